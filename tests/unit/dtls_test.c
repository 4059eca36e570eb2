/* dtls_test.c - the DTLS-SRTP server session against a real OpenSSL DTLS
 * client that lives in this file: memory BIOs on the client side, the send
 * callback's datagrams queued and fed back. Checks the state sequence, the
 * negotiated profile, the SRTP keys against the client's own export
 * (RFC 5764 4.2), SRTP both ways with those keys, the fingerprint checks,
 * alerts, close_notify, retransmission on timeout, and garbage input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/dtls.h"
#include "base/err.h"
#include "mcu/srtpctx.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FP_LEN 95            /* 32 bytes as "XX" joined by ':' */
#define MAX_DGRAMS 64        /* what the server may send between two reads */
#define MAX_DGRAM 4096
#define CLIENT_MTU 1200
#define HANDSHAKE_ROUNDS 12  /* a DTLS 1.2 handshake needs 3 */
#define EXPORTER "EXTRACTOR-dtls_srtp"
#define BOTH_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* The datagrams the server handed to its send callback since the last
 * delivery, with their boundaries. */
struct wire {
	int count;
	int total;          /* ever sent */
	bool overflow;      /* a datagram did not fit: asserted outside the callback */
	size_t len[MAX_DGRAMS];
	uint8_t data[MAX_DGRAMS][MAX_DGRAM];
};

/* The test's DTLS client: what a browser would be. */
struct client {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;      /* what the server sent; owned by ssl */
	BIO *wbio;      /* what the client wrote; owned by ssl */
	char fingerprint[FP_LEN + 1]; /* of cert, upper case */
	bool done;      /* the client finished its handshake */
	bool failed;    /* the client gave up (and sent an alert) */
};

struct client_opts {
	const char *srtp_profiles; /* NULL: no use_srtp extension */
	bool refuse_server_cert;   /* the client's verify callback says no */
};

/* One server session, its client and the wire between them. */
struct bench {
	struct dtls *d;
	struct client c;
	struct wire w;
	enum dtls_state seen[8]; /* distinct server states, in order */
	int nseen;
	int first_error;          /* first non-zero dtls_handle_datagram result */
	bool duplicate;           /* feed every client flight twice */
};

/* A small xorshift generator so garbage is the same on every run. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void format_fingerprint(const X509 *cert, bool upper, char out[FP_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(X509_digest(cert, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = out;
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 0x0f];
	}
	*p = '\0';
}

/* A fresh P-256 key and a self-signed certificate for it, as browsers make. */
static void make_cert(long serial, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509 *cert = X509_new();
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 86400L));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	X509_NAME *name = X509_get_subject_name(cert);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"test-client",
						    -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	*key_out = key;
	*cert_out = cert;
}

static int trust_anything(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

static int trust_nothing(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 0;
}

/* The client's DTLS timer: 10 s, so it never retransmits in a test. The
 * tests drive the server's timer; a client retransmission would land in the
 * same memory BIO as its next flight and reach the server glued to it. */
static unsigned int slow_client_timer(SSL *ssl, unsigned int previous_us)
{
	(void)ssl;
	(void)previous_us;
	return 10u * 1000 * 1000;
}

static void client_init(struct client *c, const struct client_opts *o)
{
	memset(c, 0, sizeof(*c));
	make_cert(2, &c->key, &c->cert);
	format_fingerprint(c->cert, true, c->fingerprint);

	c->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(c->ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_use_certificate(c->ctx, c->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c->ctx, c->key), 1);
	if (o->srtp_profiles) /* returns 0 on success */
		assert_int_equal(SSL_CTX_set_tlsext_use_srtp(c->ctx, o->srtp_profiles), 0);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER,
			   o->refuse_server_cert ? trust_nothing : trust_anything);
	/* A memory BIO cannot tell the MTU: we set it. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU);

	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	assert_non_null(c->rbio);
	assert_non_null(c->wbio);
	/* Empty means "nothing yet", not end of file. */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	assert_int_equal(DTLS_set_link_mtu(c->ssl, CLIENT_MTU), 1);
	DTLS_set_timer_cb(c->ssl, slow_client_timer);
	SSL_set_connect_state(c->ssl);
}

static void client_free(struct client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

/* The server's send callback. */
static void on_send(void *user, const uint8_t *data, size_t len)
{
	struct wire *w = user;
	if (w->count >= MAX_DGRAMS || len > MAX_DGRAM || len == 0) {
		w->overflow = true;
		return;
	}
	memcpy(w->data[w->count], data, len);
	w->len[w->count] = len;
	w->count++;
	w->total++;
}

/* A client and a server session for it from id. fingerprint is what the
 * "offer" says; NULL means the client's real one. */
static struct bench *bench_new(struct dtls_identity *id, const struct client_opts *o,
			       const char *fingerprint)
{
	struct bench *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	client_init(&b->c, o);
	assert_int_equal(dtls_create(id, fingerprint ? fingerprint : b->c.fingerprint,
				     on_send, &b->w, &b->d), 0);
	assert_non_null(b->d);
	assert_int_equal(dtls_state(b->d), DTLS_NEW);
	b->seen[b->nseen++] = DTLS_NEW;
	return b;
}

static void bench_free(struct bench *b)
{
	dtls_destroy(b->d);
	client_free(&b->c);
	free(b);
}

/* Records the server's state after a datagram and checks what must hold
 * in it. */
static void note_state(struct bench *b)
{
	enum dtls_state st = dtls_state(b->d);
	if (st != b->seen[b->nseen - 1]) {
		assert_true(b->nseen < (int)(sizeof(b->seen) / sizeof(b->seen[0])));
		b->seen[b->nseen++] = st;
	}
	struct srtpctx_keys k;
	if (st != DTLS_CONNECTED)
		assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
	if (st == DTLS_FAILED)
		assert_true(dtls_failure(b->d)[0] != '\0');
	else
		assert_string_equal(dtls_failure(b->d), "");
}

static int feed_server(struct bench *b, const uint8_t *data, size_t len)
{
	int rc = dtls_handle_datagram(b->d, data, len);
	assert_true(rc == 0 || rc == MCU_EPROTO);
	if (rc && !b->first_error)
		b->first_error = rc;
	note_state(b);
	return rc;
}

/* Moves everything the client wrote to the server as one datagram: DTLS lets
 * one datagram carry several records, as browsers pack a flight. Returns the
 * bytes moved. */
static size_t client_to_server(struct bench *b)
{
	static const size_t cap = 16384;
	size_t pending = BIO_ctrl_pending(b->c.wbio);
	if (pending == 0)
		return 0;
	assert_true(pending <= cap);
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	int n = BIO_read(b->c.wbio, buf, (int)pending);
	assert_int_equal(n, (int)pending);
	feed_server(b, buf, pending);
	if (b->duplicate)
		feed_server(b, buf, pending);
	free(buf);
	return pending;
}

/* Hands the server's queued datagrams to the client. Returns how many. */
static int server_to_client(struct bench *b)
{
	assert_false(b->w.overflow);
	int n = b->w.count;
	for (int i = 0; i < n; i++)
		assert_int_equal(BIO_write(b->c.rbio, b->w.data[i], (int)b->w.len[i]),
				 (int)b->w.len[i]);
	b->w.count = 0;
	return n;
}

static void client_step(struct client *c)
{
	if (c->done || c->failed)
		return;
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->done = true;
		return;
	}
	int e = SSL_get_error(c->ssl, ret);
	if (e != SSL_ERROR_WANT_READ) {
		c->failed = true;
		/* The client's error is the test's business: leave the thread's
		 * queue as clean as a transport thread's would be. */
		ERR_clear_error();
	}
}

/* Runs the handshake until nothing moves any more (bounded). */
static void pump(struct bench *b)
{
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		client_step(&b->c);
		size_t up = client_to_server(b);
		int down = server_to_client(b);
		if (up == 0 && down == 0)
			return;
	}
	fail_msg("the handshake did not settle in %d rounds", HANDSHAKE_ROUNDS);
}

/* The client's view of the SRTP keys: its own export, split as RFC 5764
 * 4.2 says (client key | server key | client salt | server salt), with the
 * client's half as local. */
static void client_keys(struct client *c, struct srtpctx_keys *k)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
	assert_non_null(p);
	memset(k, 0, sizeof(*k));
	if (p->id == SRTP_AES128_CM_SHA1_80) {
		k->profile = SRTPCTX_AES128_CM_SHA1_80;
		k->salt_len = 14;
	} else {
		assert_int_equal(p->id, SRTP_AEAD_AES_128_GCM);
		k->profile = SRTPCTX_AEAD_AES_128_GCM;
		k->salt_len = 12;
	}
	k->key_len = 16;
	uint8_t m[2 * (16 + 14)];
	size_t total = 2 * (k->key_len + k->salt_len);
	assert_int_equal(SSL_export_keying_material(c->ssl, m, total, EXPORTER,
						    strlen(EXPORTER), NULL, 0, 0), 1);
	size_t kl = k->key_len, sl = k->salt_len;
	memcpy(k->local_key, m, kl);                       /* client key */
	memcpy(k->remote_key, m + kl, kl);                 /* server key */
	memcpy(k->local_salt, m + 2 * kl, sl);             /* client salt */
	memcpy(k->remote_salt, m + 2 * kl + sl, sl);       /* server salt */
}

/* The server's keys must be the client's, mirrored. */
static void check_keys_mirror(const struct srtpctx_keys *server,
			      const struct srtpctx_keys *client)
{
	assert_int_equal(server->profile, client->profile);
	assert_int_equal(server->key_len, 16);
	assert_int_equal(server->salt_len, client->salt_len);
	assert_memory_equal(server->local_key, client->remote_key, 16);
	assert_memory_equal(server->remote_key, client->local_key, 16);
	assert_memory_equal(server->local_salt, client->remote_salt, client->salt_len);
	assert_memory_equal(server->remote_salt, client->local_salt, client->salt_len);
	/* Two halves of one export are not the same bytes. */
	assert_memory_not_equal(server->local_key, server->remote_key, 16);
}

/* One RTP packet each way between contexts built from the two views. */
static void check_srtp_end_to_end(const struct srtpctx_keys *server,
				  const struct srtpctx_keys *client)
{
	assert_int_equal(srtpctx_library_init(), 0);
	struct srtpctx *s = NULL, *c = NULL;
	assert_int_equal(srtpctx_create(server, &s), 0);
	assert_int_equal(srtpctx_create(client, &c), 0);
	struct srtpctx *from[2] = { s, c }, *to[2] = { c, s };
	for (int dir = 0; dir < 2; dir++) {
		uint8_t pkt[200 + SRTPCTX_MAX_TRAILER], orig[200];
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x80;
		pkt[1] = 111;
		pkt[3] = (uint8_t)(dir + 1);   /* seq */
		pkt[11] = (uint8_t)(0x40 + dir); /* ssrc */
		for (int i = 12; i < 200; i++)
			pkt[i] = (uint8_t)(i * 3 + dir);
		memcpy(orig, pkt, sizeof(orig));
		size_t len = sizeof(orig);
		assert_int_equal(srtpctx_protect_rtp(from[dir], pkt, &len, sizeof(pkt)), 0);
		assert_true(len > sizeof(orig));
		assert_int_equal(srtpctx_unprotect_rtp(to[dir], pkt, &len), 0);
		assert_int_equal(len, sizeof(orig));
		assert_memory_equal(pkt, orig, sizeof(orig));
	}
	srtpctx_destroy(s);
	srtpctx_destroy(c);
}

/* A full handshake with a client offering profiles; checks states, keys,
 * the server's certificate as the client saw it, and SRTP with the keys. */
static void handshake_and_check(const char *profiles, enum srtpctx_profile expect,
				bool any_profile)
{
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = profiles };
	struct bench *b = bench_new(id, &o, NULL);

	/* Before anything: no keys, the timer does nothing. */
	struct srtpctx_keys server;
	assert_int_equal(dtls_srtp_keys(b->d, &server), MCU_EAGAIN);
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(b->w.total, 0);

	pump(b);
	assert_true(b->c.done);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(b->nseen, 3);
	assert_int_equal(b->seen[0], DTLS_NEW);
	assert_int_equal(b->seen[1], DTLS_CONNECTING);
	assert_int_equal(b->seen[2], DTLS_CONNECTED);
	assert_string_equal(dtls_failure(b->d), "");
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);

	assert_int_equal(dtls_srtp_keys(b->d, &server), 0);
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(b->c.ssl);
	assert_non_null(p);
	assert_int_equal((unsigned long)server.profile, p->id);
	if (!any_profile)
		assert_int_equal(server.profile, expect);
	struct srtpctx_keys client;
	client_keys(&b->c, &client);
	check_keys_mirror(&server, &client);
	check_srtp_end_to_end(&server, &client);

	/* The certificate the client got is the identity's. */
	X509 *peer = SSL_get1_peer_certificate(b->c.ssl);
	assert_non_null(peer);
	char seen[FP_LEN + 1];
	format_fingerprint(peer, true, seen);
	X509_free(peer);
	assert_string_equal(seen, dtls_identity_fingerprint(id));

	bench_free(b);
	dtls_identity_destroy(id);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(dtls_state_name(DTLS_NEW), "new");
	assert_string_equal(dtls_state_name(DTLS_CONNECTING), "connecting");
	assert_string_equal(dtls_state_name(DTLS_CONNECTED), "connected");
	assert_string_equal(dtls_state_name(DTLS_FAILED), "failed");
	assert_string_equal(dtls_state_name(DTLS_CLOSED), "closed");
}

static void test_identity_fingerprint(void **state)
{
	(void)state;
	struct dtls_identity *a = NULL, *b = NULL;
	assert_int_equal(dtls_identity_create(&a), 0);
	assert_int_equal(dtls_identity_create(&b), 0);
	const char *fp = dtls_identity_fingerprint(a);
	assert_non_null(fp);
	assert_int_equal(strlen(fp), FP_LEN);
	for (int i = 0; i < FP_LEN; i++) {
		if (i % 3 == 2)
			assert_int_equal(fp[i], ':');
		else
			assert_true(isdigit((unsigned char)fp[i]) || (fp[i] >= 'A' && fp[i] <= 'F'));
	}
	/* Stable for the identity's life, and new per identity. */
	assert_ptr_equal(dtls_identity_fingerprint(a), fp);
	assert_string_not_equal(fp, dtls_identity_fingerprint(b));
	dtls_identity_destroy(a);
	dtls_identity_destroy(b);
	dtls_identity_destroy(NULL);
}

static void test_create_rejects_bad_fingerprint(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	struct wire *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	assert_int_equal(dtls_identity_create(&id), 0);
	const char *good = dtls_identity_fingerprint(id); /* any valid sha-256 will do */
	char buf[200];
	struct dtls *d = NULL;

	assert_int_equal(dtls_create(id, NULL, on_send, w, &d), MCU_EINVAL);
	assert_int_equal(dtls_create(id, "", on_send, w, &d), MCU_EINVAL);
	assert_int_equal(dtls_create(id, "zz", on_send, w, &d), MCU_EINVAL);
	/* 31 and 33 bytes */
	snprintf(buf, sizeof(buf), "%.92s", good);
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);
	snprintf(buf, sizeof(buf), "%s:AB", good);
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);
	/* a sha-1 fingerprint's length */
	snprintf(buf, sizeof(buf), "%.59s", good);
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);
	/* not hex, wrong separator, no separators */
	snprintf(buf, sizeof(buf), "%s", good);
	buf[4] = 'G';
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);
	snprintf(buf, sizeof(buf), "%s", good);
	buf[2] = '-';
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);
	size_t n = 0;
	for (const char *p = good; *p; p++)
		if (*p != ':')
			buf[n++] = *p;
	buf[n] = '\0';
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), MCU_EINVAL);

	/* Upper and lower case are both fine. */
	assert_int_equal(dtls_create(id, good, on_send, w, &d), 0);
	dtls_destroy(d);
	d = NULL;
	snprintf(buf, sizeof(buf), "%s", good);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(dtls_create(id, buf, on_send, w, &d), 0);
	dtls_destroy(d);

	assert_int_equal(w->total, 0); /* creating and destroying sends nothing */
	dtls_destroy(NULL);
	dtls_identity_destroy(id);
	free(w);
}

static void test_idle_session(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	struct srtpctx_keys k;
	for (int i = 0; i < 3; i++)
		assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_NEW);
	assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
	assert_string_equal(dtls_failure(b->d), "");
	assert_int_equal(b->w.total, 0);
	bench_free(b);
	dtls_identity_destroy(id);
}

static void test_handshake_both_offered(void **state)
{
	(void)state;
	handshake_and_check(BOTH_PROFILES, 0, true);
	handshake_and_check("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", 0, true);
}

static void test_handshake_cm(void **state)
{
	(void)state;
	handshake_and_check("SRTP_AES128_CM_SHA1_80", SRTPCTX_AES128_CM_SHA1_80, false);
	/* A profile we do not serve alongside one we do. */
	handshake_and_check("SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80",
			    SRTPCTX_AES128_CM_SHA1_80, false);
}

static void test_handshake_gcm(void **state)
{
	(void)state;
	handshake_and_check("SRTP_AEAD_AES_128_GCM", SRTPCTX_AEAD_AES_128_GCM, false);
}

static void test_lowercase_offer_fingerprint(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	/* The client's real certificate is only known after client_init: make
	 * the bench, then replace its session with one given lower case. */
	struct bench *b = bench_new(id, &o, NULL);
	dtls_destroy(b->d);
	char lower[FP_LEN + 1];
	format_fingerprint(b->c.cert, false, lower);
	assert_int_equal(dtls_create(id, lower, on_send, &b->w, &b->d), 0);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	bench_free(b);
	dtls_identity_destroy(id);
}

static void test_two_sessions_one_identity(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b1 = bench_new(id, &o, NULL);
	struct bench *b2 = bench_new(id, &o, NULL);
	/* Interleaved, as one transport thread serves many endpoints. */
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		struct bench *bs[2] = { b1, b2 };
		for (int i = 0; i < 2; i++) {
			client_step(&bs[i]->c);
			client_to_server(bs[i]);
			server_to_client(bs[i]);
		}
	}
	assert_int_equal(dtls_state(b1->d), DTLS_CONNECTED);
	assert_int_equal(dtls_state(b2->d), DTLS_CONNECTED);
	struct srtpctx_keys k1, k2, c1;
	assert_int_equal(dtls_srtp_keys(b1->d, &k1), 0);
	assert_int_equal(dtls_srtp_keys(b2->d, &k2), 0);
	assert_memory_not_equal(k1.local_key, k2.local_key, 16);
	assert_memory_not_equal(k1.remote_key, k2.remote_key, 16);
	client_keys(&b1->c, &c1);
	check_keys_mirror(&k1, &c1);
	bench_free(b1);
	bench_free(b2);
	dtls_identity_destroy(id);
}

static void test_fingerprint_mismatch(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	/* The offer names some other certificate. */
	EVP_PKEY *other_key = NULL;
	X509 *other = NULL;
	make_cert(3, &other_key, &other);
	char other_fp[FP_LEN + 1];
	format_fingerprint(other, true, other_fp);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, other_fp);

	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_FAILED);
	assert_int_equal(b->first_error, MCU_EPROTO);
	for (int i = 0; i < b->nseen; i++)
		assert_int_not_equal(b->seen[i], DTLS_CONNECTED);
	assert_non_null(strstr(dtls_failure(b->d), "fingerprint"));
	struct srtpctx_keys k;
	assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);

	/* Failed is final. */
	uint8_t junk[40] = { 23, 0xfe, 0xfd };
	assert_int_equal(dtls_handle_datagram(b->d, junk, sizeof(junk)), MCU_EPROTO);
	(void)dtls_handle_timeout(b->d);
	assert_int_equal(dtls_state(b->d), DTLS_FAILED);
	assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);

	bench_free(b);
	X509_free(other);
	EVP_PKEY_free(other_key);
	dtls_identity_destroy(id);
}

static void test_no_srtp_offered(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	/* Without use_srtp, or with only profiles we do not serve, there are no
	 * keys, and "connected" promises keys. */
	const char *offers[] = { NULL, "SRTP_AES128_CM_SHA1_32" };
	for (int i = 0; i < 2; i++) {
		struct client_opts o = { .srtp_profiles = offers[i] };
		struct bench *b = bench_new(id, &o, NULL);
		pump(b);
		assert_int_equal(dtls_state(b->d), DTLS_FAILED);
		assert_int_equal(b->first_error, MCU_EPROTO);
		struct srtpctx_keys k;
		assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
		bench_free(b);
	}
	dtls_identity_destroy(id);
}

static void test_client_alert(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES, .refuse_server_cert = true };
	struct bench *b = bench_new(id, &o, NULL);
	pump(b);
	assert_true(b->c.failed);
	assert_int_equal(dtls_state(b->d), DTLS_FAILED);
	assert_int_equal(b->first_error, MCU_EPROTO);
	assert_true(dtls_failure(b->d)[0] != '\0');
	bench_free(b);
	dtls_identity_destroy(id);
}

/* Exact duplicates (a network that duplicates, a client that retransmits)
 * are dropped by the record layer's replay check. */
static void test_duplicate_datagrams(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	b->duplicate = true;
	pump(b);
	assert_true(b->c.done);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	struct srtpctx_keys server, client;
	assert_int_equal(dtls_srtp_keys(b->d, &server), 0);
	client_keys(&b->c, &client);
	check_keys_mirror(&server, &client);
	bench_free(b);
	dtls_identity_destroy(id);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void test_retransmit_on_timeout(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);

	client_step(&b->c);
	assert_true(client_to_server(b) > 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTING);
	assert_true(b->w.count > 0);
	b->w.count = 0; /* the server's first flight is lost */

	/* Before the timer runs out there is nothing to resend. */
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(b->w.count, 0);
	/* OpenSSL's first DTLS timeout is one second. */
	sleep_ms(1300);
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTING);
	/* The same messages again, though maybe cut into datagrams differently
	 * (OpenSSL resends one message per datagram). */
	assert_true(b->w.count > 0);

	server_to_client(b);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	assert_true(b->c.done);
	bench_free(b);
	dtls_identity_destroy(id);
}

/* Soft contract for input the session cannot use: 0 or MCU_EPROTO, and
 * MCU_EPROTO exactly when it failed on it. */
static void feed_garbage(struct dtls *d, const uint8_t *data, size_t len)
{
	enum dtls_state before = dtls_state(d);
	int rc = dtls_handle_datagram(d, data, len);
	assert_true(rc == 0 || rc == MCU_EPROTO);
	enum dtls_state after = dtls_state(d);
	if (before != DTLS_FAILED)
		assert_int_equal(rc == MCU_EPROTO, after == DTLS_FAILED);
	assert_int_not_equal(after, DTLS_CONNECTED);
	if (after == DTLS_FAILED)
		assert_true(dtls_failure(d)[0] != '\0');
	struct srtpctx_keys k;
	assert_int_equal(dtls_srtp_keys(d, &k), MCU_EAGAIN);
}

/* A DTLS 1.2 record header for body (not copied) of len bytes. */
static size_t put_record(uint8_t *p, uint8_t type, uint16_t epoch, uint64_t seq,
			 size_t len)
{
	p[0] = type;
	p[1] = 0xfe;
	p[2] = 0xfd;
	p[3] = (uint8_t)(epoch >> 8);
	p[4] = (uint8_t)epoch;
	for (int i = 0; i < 6; i++)
		p[5 + i] = (uint8_t)(seq >> (40 - 8 * i));
	p[11] = (uint8_t)(len >> 8);
	p[12] = (uint8_t)len;
	return 13;
}

static void test_garbage_fresh_session(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct wire *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	uint8_t *buf = calloc(1, 70000);
	assert_non_null(buf);
	uint32_t seed = 0x9e3779b9u;

	for (int shape = 0; shape < 12; shape++) {
		struct dtls *d = NULL;
		assert_int_equal(dtls_create(id, dtls_identity_fingerprint(id), on_send, w, &d), 0);
		size_t len = 0;
		switch (shape) {
		case 0: buf[0] = 22; len = 1; break;
		case 1: memset(buf, 0, 13); len = 13; break;
		case 2: /* a header that promises more than follows */
			len = put_record(buf, 22, 0, 0, 0xffff) + 20;
			break;
		case 3: /* a handshake fragment longer than its message */
			len = put_record(buf, 22, 0, 0, 12 + 8);
			buf[len] = 1; /* ClientHello */
			buf[len + 3] = 4;    /* length 4 */
			buf[len + 11] = 200; /* fragment length 200 */
			len += 20;
			break;
		case 4: /* application data before any handshake */
			len = put_record(buf, 23, 0, 0, 40) + 40;
			break;
		case 5: /* a record from an epoch that does not exist yet */
			len = put_record(buf, 22, 3, 7, 30) + 30;
			break;
		case 6: memset(buf, 0xff, 1500); len = 1500; break;
		case 7: memset(buf, 0x16, 70000); len = 70000; break;
		default:
			len = 1 + next_random(&seed) % 1400;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)next_random(&seed);
			if (shape >= 10 && len >= 13) /* a DTLS header, random rest */
				put_record(buf, (uint8_t)(20 + shape % 4), 0, 0, len - 13);
			break;
		}
		feed_garbage(d, buf, len);
		feed_garbage(d, buf, len); /* and again */
		for (int i = 0; i < 3; i++)
			(void)dtls_handle_timeout(d);
		dtls_destroy(d);
	}
	free(buf);
	free(w);
	dtls_identity_destroy(id);
}

/* Bytes that are not DTLS at all (no DTLS version) are dropped, and a real
 * handshake still completes on the same session. */
static void test_garbage_then_handshake(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	uint32_t seed = 12345;
	uint8_t buf[600];
	for (int i = 0; i < 20; i++) {
		size_t len = 13 + next_random(&seed) % (sizeof(buf) - 13);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)next_random(&seed);
		buf[1] = 0x03; /* a TLS-ish version, never DTLS's 0xfe */
		feed_garbage(b->d, buf, len);
	}
	assert_int_not_equal(dtls_state(b->d), DTLS_FAILED);
	assert_int_equal(b->w.total, 0);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	bench_free(b);
	dtls_identity_destroy(id);
}

/* Once connected, records that fail their MAC, come from no epoch, or are
 * not DTLS are dropped silently (RFC 6347 4.1.2.7); the keys stay. */
static void test_garbage_after_connected(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	struct srtpctx_keys before, after;
	assert_int_equal(dtls_srtp_keys(b->d, &before), 0);

	uint32_t seed = 777;
	uint8_t buf[700];
	for (int i = 0; i < 30; i++) {
		size_t body = 1 + next_random(&seed) % 600;
		size_t len = 13 + body;
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)next_random(&seed);
		switch (i % 3) {
		case 0: /* application data under the current epoch, wrong MAC;
			 * bodies under 24 bytes are shorter than a GCM record's
			 * explicit nonce and tag */
			put_record(buf, 23, 1, 100 + (uint64_t)i, body);
			break;
		case 1: /* a handshake record from an epoch long gone */
			put_record(buf, 22, 0, 50 + (uint64_t)i, body);
			break;
		default: /* not DTLS: no DTLS version */
			buf[1] = 0x01;
			break;
		}
		int rc = dtls_handle_datagram(b->d, buf, len);
		if (rc != 0 || dtls_state(b->d) != DTLS_CONNECTED)
			fail_msg("a %zu-byte record (type %u, epoch %u) failed the session: "
				 "rc %d, state %s, \"%s\"", body, buf[0], buf[4], rc,
				 dtls_state_name(dtls_state(b->d)), dtls_failure(b->d));
	}
	assert_int_equal(dtls_srtp_keys(b->d, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	bench_free(b);
	dtls_identity_destroy(id);
}

static void test_application_data_ignored(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	/* DTLS-SRTP carries no application data; a peer that sends some (a data
	 * channel would be SCTP, not this) does no harm. */
	const char msg[] = "hello over dtls";
	for (int i = 0; i < 3; i++)
		assert_int_equal(SSL_write(b->c.ssl, msg, sizeof(msg)), (int)sizeof(msg));
	assert_true(client_to_server(b) > 0);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	bench_free(b);
	dtls_identity_destroy(id);
}

static void test_close_notify(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	assert_true(SSL_shutdown(b->c.ssl) >= 0);
	assert_true(client_to_server(b) > 0);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	/* Closed is final and quiet. */
	uint8_t junk[30] = { 23, 0xfe, 0xfd, 0, 1 };
	int rc = dtls_handle_datagram(b->d, junk, sizeof(junk));
	assert_true(rc == 0 || rc == MCU_EPROTO);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	bench_free(b);
	dtls_identity_destroy(id);
}

/* OpenSSL's SSL_get_error() reads the thread's error queue. Another user of
 * OpenSSL on the transport thread may leave an entry there; a good datagram
 * must not fail the session because of it. */
static void test_stale_openssl_error(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct bench *b = bench_new(id, &o, NULL);
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		client_step(&b->c);
		/* Somebody else's failure, left on this thread's queue. */
		BIO *none = BIO_new_file("/nonexistent/dtls_test/none", "r");
		assert_null(none);
		assert_int_not_equal(ERR_peek_error(), 0);
		size_t up = client_to_server(b);
		int down = server_to_client(b);
		ERR_clear_error();
		if (up == 0 && down == 0)
			break;
	}
	if (b->first_error != 0 || dtls_state(b->d) != DTLS_CONNECTED)
		fail_msg("during the handshake a stale error failed the session: "
			 "rc %d, state %s, \"%s\"", b->first_error,
			 dtls_state_name(dtls_state(b->d)), dtls_failure(b->d));

	/* The same after the handshake, where records go through SSL_read. */
	const char msg[] = "x";
	assert_int_equal(SSL_write(b->c.ssl, msg, sizeof(msg)), (int)sizeof(msg));
	assert_null(BIO_new_file("/nonexistent/dtls_test/none", "r"));
	assert_true(client_to_server(b) > 0);
	ERR_clear_error();
	if (b->first_error != 0 || dtls_state(b->d) != DTLS_CONNECTED)
		fail_msg("after the handshake a stale error failed the session: "
			 "rc %d, state %s, \"%s\"", b->first_error,
			 dtls_state_name(dtls_state(b->d)), dtls_failure(b->d));
	bench_free(b);
	dtls_identity_destroy(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_identity_fingerprint),
		cmocka_unit_test(test_create_rejects_bad_fingerprint),
		cmocka_unit_test(test_idle_session),
		cmocka_unit_test(test_handshake_both_offered),
		cmocka_unit_test(test_handshake_cm),
		cmocka_unit_test(test_handshake_gcm),
		cmocka_unit_test(test_lowercase_offer_fingerprint),
		cmocka_unit_test(test_two_sessions_one_identity),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_no_srtp_offered),
		cmocka_unit_test(test_client_alert),
		cmocka_unit_test(test_duplicate_datagrams),
		cmocka_unit_test(test_retransmit_on_timeout),
		cmocka_unit_test(test_garbage_fresh_session),
		cmocka_unit_test(test_garbage_then_handshake),
		cmocka_unit_test(test_garbage_after_connected),
		cmocka_unit_test(test_application_data_ignored),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_stale_openssl_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
