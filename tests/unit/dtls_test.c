/* dtls_test.c - the DTLS-SRTP server session against a real OpenSSL DTLS
 * client (dtlsfixture.h): memory BIOs on the client side, the send
 * callback's datagrams queued and fed back. Checks the state sequence, the
 * negotiated profile, the SRTP keys against the client's own export
 * (RFC 5764 4.2), SRTP both ways with those keys, the fingerprint checks,
 * alerts and retransmission on timeout. What the session does with input it
 * cannot use (garbage, application data, close_notify): dtlsinput_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtlsfixture.h"

#include "base/err.h"
#include "mcu/net/srtpctx.h"

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

#define EXPORTER "EXTRACTOR-dtls_srtp"

/* The client's view of the SRTP keys: its own export, split as RFC 5764
 * 4.2 says (client key | server key | client salt | server salt), with the
 * client's half as local. */
static void client_keys(struct dtlsfixture_client *c, struct srtpctx_keys *k)
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = profiles };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);

	/* Before anything: no keys, the timer does nothing. */
	struct srtpctx_keys server;
	assert_int_equal(dtls_srtp_keys(b->d, &server), MCU_EAGAIN);
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(b->w.total, 0);

	dtlsfixture_pump(b);
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
	dtlsfixture_format_fingerprint(peer, true, seen);
	X509_free(peer);
	assert_string_equal(seen, dtls_identity_fingerprint(id));

	dtlsfixture_bench_free(b);
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
	struct dtlsfixture_wire *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	assert_int_equal(dtls_identity_create(&id), 0);
	const char *good = dtls_identity_fingerprint(id); /* any valid sha-256 will do */
	char buf[200];
	struct dtls *d = NULL;

	assert_int_equal(dtls_create(id, NULL, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	assert_int_equal(dtls_create(id, "", dtlsfixture_on_send, w, &d), MCU_EINVAL);
	assert_int_equal(dtls_create(id, "zz", dtlsfixture_on_send, w, &d), MCU_EINVAL);
	/* 31 and 33 bytes */
	snprintf(buf, sizeof(buf), "%.92s", good);
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	snprintf(buf, sizeof(buf), "%s:AB", good);
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	/* a sha-1 fingerprint's length */
	snprintf(buf, sizeof(buf), "%.59s", good);
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	/* not hex, wrong separator, no separators */
	snprintf(buf, sizeof(buf), "%s", good);
	buf[4] = 'G';
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	snprintf(buf, sizeof(buf), "%s", good);
	buf[2] = '-';
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);
	size_t n = 0;
	for (const char *p = good; *p; p++)
		if (*p != ':')
			buf[n++] = *p;
	buf[n] = '\0';
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), MCU_EINVAL);

	/* Upper and lower case are both fine. */
	assert_int_equal(dtls_create(id, good, dtlsfixture_on_send, w, &d), 0);
	dtls_destroy(d);
	d = NULL;
	snprintf(buf, sizeof(buf), "%s", good);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(dtls_create(id, buf, dtlsfixture_on_send, w, &d), 0);
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	struct srtpctx_keys k;
	for (int i = 0; i < 3; i++)
		assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_NEW);
	assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
	assert_string_equal(dtls_failure(b->d), "");
	assert_int_equal(b->w.total, 0);
	dtlsfixture_bench_free(b);
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	/* The client's real certificate is only known after client_init: make
	 * the bench, then replace its session with one given lower case. */
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	dtls_destroy(b->d);
	char lower[FP_LEN + 1];
	dtlsfixture_format_fingerprint(b->c.cert, false, lower);
	assert_int_equal(dtls_create(id, lower, dtlsfixture_on_send, &b->w, &b->d), 0);
	dtlsfixture_pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

static void test_two_sessions_one_identity(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b1 = dtlsfixture_bench_new(id, &o, NULL);
	struct dtlsfixture_bench *b2 = dtlsfixture_bench_new(id, &o, NULL);
	/* Interleaved, as one transport thread serves many endpoints. */
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		struct dtlsfixture_bench *bs[2] = { b1, b2 };
		for (int i = 0; i < 2; i++) {
			dtlsfixture_client_step(&bs[i]->c);
			dtlsfixture_client_to_server(bs[i]);
			dtlsfixture_server_to_client(bs[i]);
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
	dtlsfixture_bench_free(b1);
	dtlsfixture_bench_free(b2);
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
	dtlsfixture_make_cert(3, &other_key, &other);
	char other_fp[FP_LEN + 1];
	dtlsfixture_format_fingerprint(other, true, other_fp);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, other_fp);

	dtlsfixture_pump(b);
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

	dtlsfixture_bench_free(b);
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
		struct dtlsfixture_client_opts o = { .srtp_profiles = offers[i] };
		struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
		dtlsfixture_pump(b);
		assert_int_equal(dtls_state(b->d), DTLS_FAILED);
		assert_int_equal(b->first_error, MCU_EPROTO);
		struct srtpctx_keys k;
		assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
		dtlsfixture_bench_free(b);
	}
	dtls_identity_destroy(id);
}

static void test_client_alert(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES, .refuse_server_cert = true };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	dtlsfixture_pump(b);
	assert_true(b->c.failed);
	assert_int_equal(dtls_state(b->d), DTLS_FAILED);
	assert_int_equal(b->first_error, MCU_EPROTO);
	assert_true(dtls_failure(b->d)[0] != '\0');
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

/* Exact duplicates (a network that duplicates, a client that retransmits)
 * are dropped by the record layer's replay check. */
static void test_duplicate_datagrams(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	b->duplicate = true;
	dtlsfixture_pump(b);
	assert_true(b->c.done);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	struct srtpctx_keys server, client;
	assert_int_equal(dtls_srtp_keys(b->d, &server), 0);
	client_keys(&b->c, &client);
	check_keys_mirror(&server, &client);
	dtlsfixture_bench_free(b);
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);

	dtlsfixture_client_step(&b->c);
	assert_true(dtlsfixture_client_to_server(b) > 0);
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

	dtlsfixture_server_to_client(b);
	dtlsfixture_pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	assert_true(b->c.done);
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

/* Soft contract for input the session cannot use: 0 or MCU_EPROTO, and
 * MCU_EPROTO exactly when it failed on it. */
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
