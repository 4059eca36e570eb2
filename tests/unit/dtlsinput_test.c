/* dtlsinput_test.c - the DTLS-SRTP server session (against the client of
 * dtlsfixture.h) given what it cannot use: garbage before, during and after
 * the handshake, application data, the peer's close_notify, and an OpenSSL
 * error left on the thread's queue by someone else. */
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

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A small xorshift generator so garbage is the same on every run. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}
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
	struct dtlsfixture_wire *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	uint8_t *buf = calloc(1, 70000);
	assert_non_null(buf);
	uint32_t seed = 0x9e3779b9u;

	for (int shape = 0; shape < 12; shape++) {
		struct dtls *d = NULL;
		assert_int_equal(dtls_create(id, dtls_identity_fingerprint(id), dtlsfixture_on_send, w, &d), 0);
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
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
	dtlsfixture_pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

/* Once connected, records that fail their MAC, come from no epoch, or are
 * not DTLS are dropped silently (RFC 6347 4.1.2.7); the keys stay. */
static void test_garbage_after_connected(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	dtlsfixture_pump(b);
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
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

static void test_application_data_ignored(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	dtlsfixture_pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	/* DTLS-SRTP carries no application data; a peer that sends some (a data
	 * channel would be SCTP, not this) does no harm. */
	const char msg[] = "hello over dtls";
	for (int i = 0; i < 3; i++)
		assert_int_equal(SSL_write(b->c.ssl, msg, sizeof(msg)), (int)sizeof(msg));
	assert_true(dtlsfixture_client_to_server(b) > 0);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

static void test_close_notify(void **state)
{
	(void)state;
	struct dtls_identity *id = NULL;
	assert_int_equal(dtls_identity_create(&id), 0);
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	dtlsfixture_pump(b);
	assert_int_equal(dtls_state(b->d), DTLS_CONNECTED);
	assert_true(SSL_shutdown(b->c.ssl) >= 0);
	assert_true(dtlsfixture_client_to_server(b) > 0);
	assert_int_equal(b->first_error, 0);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	/* Closed is final and quiet. */
	uint8_t junk[30] = { 23, 0xfe, 0xfd, 0, 1 };
	int rc = dtls_handle_datagram(b->d, junk, sizeof(junk));
	assert_true(rc == 0 || rc == MCU_EPROTO);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	assert_int_equal(dtls_handle_timeout(b->d), 0);
	assert_int_equal(dtls_state(b->d), DTLS_CLOSED);
	dtlsfixture_bench_free(b);
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
	struct dtlsfixture_client_opts o = { .srtp_profiles = BOTH_PROFILES };
	struct dtlsfixture_bench *b = dtlsfixture_bench_new(id, &o, NULL);
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		dtlsfixture_client_step(&b->c);
		/* Somebody else's failure, left on this thread's queue. */
		BIO *none = BIO_new_file("/nonexistent/dtls_test/none", "r");
		assert_null(none);
		assert_int_not_equal(ERR_peek_error(), 0);
		size_t up = dtlsfixture_client_to_server(b);
		int down = dtlsfixture_server_to_client(b);
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
	assert_true(dtlsfixture_client_to_server(b) > 0);
	ERR_clear_error();
	if (b->first_error != 0 || dtls_state(b->d) != DTLS_CONNECTED)
		fail_msg("after the handshake a stale error failed the session: "
			 "rc %d, state %s, \"%s\"", b->first_error,
			 dtls_state_name(dtls_state(b->d)), dtls_failure(b->d));
	dtlsfixture_bench_free(b);
	dtls_identity_destroy(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_fresh_session),
		cmocka_unit_test(test_garbage_then_handshake),
		cmocka_unit_test(test_garbage_after_connected),
		cmocka_unit_test(test_application_data_ignored),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_stale_openssl_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
