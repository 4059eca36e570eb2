/* srtpctx_test.c - the libsrtp2 wrapper: library init, profile names, key
 * checks, and two contexts with mirrored keys (A's local half is B's remote
 * half) passing RTP and RTCP both ways for AES-CM and AES-GCM; tampered,
 * replayed, short and foreign packets are refused; many SSRCs share one
 * any-SSRC template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mcu/net/srtpctx.h"

#include <string.h>

/* Room for the biggest packet here plus the trailer protect may add. */
#define PKT_CAP (1200 + SRTPCTX_MAX_TRAILER)
#define RTP_HEADER 12

/* Growth of a protected packet: RTP gains the auth tag; RTCP also gains the
 * 4-byte E|SRTCP index word. */
#define CM_RTP_GROWTH 10
#define GCM_RTP_GROWTH 16
#define CM_RTCP_GROWTH (4 + 10)
#define GCM_RTCP_GROWTH (4 + 16)

static size_t salt_len_of(enum srtpctx_profile profile)
{
	return profile == SRTPCTX_AEAD_AES_128_GCM ? 12 : 14;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Writes an RTP packet (PT 96) with a payload derived from seq; returns its
 * length in bytes. */
static size_t make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, size_t payload)
{
	p[0] = 0x80;
	p[1] = 96;
	put16(p + 2, seq);
	put32(p + 4, 3000u * seq);
	put32(p + 8, ssrc);
	for (size_t i = 0; i < payload; i++)
		p[RTP_HEADER + i] = (uint8_t)(i * 7 + seq);
	return RTP_HEADER + payload;
}

/* Writes a 28-byte RTCP sender report; returns its length. */
static size_t make_rtcp_sr(uint8_t *p, uint32_t ssrc, uint32_t packets)
{
	p[0] = 0x80;     /* V=2, no padding, no report blocks */
	p[1] = 200;      /* SR */
	put16(p + 2, 6); /* 7 words minus one */
	put32(p + 4, ssrc);
	put32(p + 8, 0xe1234567u);  /* NTP seconds */
	put32(p + 12, 0x89abcdefu); /* NTP fraction */
	put32(p + 16, 90000u * packets);
	put32(p + 20, packets);
	put32(p + 24, packets * 1000u);
	return 28;
}

/* Fills a's keys with distinct bytes per field and b's as a's mirror. */
static void mirrored_keys(enum srtpctx_profile profile, struct srtpctx_keys *a,
			  struct srtpctx_keys *b)
{
	memset(a, 0, sizeof(*a));
	a->profile = profile;
	a->key_len = 16;
	a->salt_len = salt_len_of(profile);
	for (size_t i = 0; i < sizeof(a->local_key); i++) {
		a->local_key[i] = (uint8_t)(0x10 + i);
		a->remote_key[i] = (uint8_t)(0xa0 + i);
	}
	for (size_t i = 0; i < sizeof(a->local_salt); i++) {
		a->local_salt[i] = (uint8_t)(0x40 + i);
		a->remote_salt[i] = (uint8_t)(0xd0 + i);
	}
	*b = *a;
	memcpy(b->local_key, a->remote_key, sizeof(b->local_key));
	memcpy(b->local_salt, a->remote_salt, sizeof(b->local_salt));
	memcpy(b->remote_key, a->local_key, sizeof(b->remote_key));
	memcpy(b->remote_salt, a->local_salt, sizeof(b->remote_salt));
}

struct pair {
	struct srtpctx *a;
	struct srtpctx *b;
};

static void make_pair(enum srtpctx_profile profile, struct pair *p)
{
	struct srtpctx_keys ka, kb;
	assert_int_equal(srtpctx_library_init(), 0);
	mirrored_keys(profile, &ka, &kb);
	p->a = NULL;
	p->b = NULL;
	assert_int_equal(srtpctx_create(&ka, &p->a), 0);
	assert_int_equal(srtpctx_create(&kb, &p->b), 0);
	assert_non_null(p->a);
	assert_non_null(p->b);
}

static void free_pair(struct pair *p)
{
	srtpctx_destroy(p->a);
	srtpctx_destroy(p->b);
}

static void test_library_init(void **state)
{
	(void)state;
	assert_int_equal(srtpctx_library_init(), 0);
	assert_int_equal(srtpctx_library_init(), 0); /* idempotent */
}

static void test_profile_names(void **state)
{
	(void)state;
	assert_string_equal(srtpctx_profile_name(SRTPCTX_AES128_CM_SHA1_80),
			    "SRTP_AES128_CM_SHA1_80");
	assert_string_equal(srtpctx_profile_name(SRTPCTX_AEAD_AES_128_GCM),
			    "SRTP_AEAD_AES_128_GCM");
	assert_non_null(srtpctx_profile_name((enum srtpctx_profile)2));
}

static void test_create_rejects_bad_keys(void **state)
{
	(void)state;
	assert_int_equal(srtpctx_library_init(), 0);
	struct srtpctx_keys good, mirror, k;
	struct srtpctx *ctx = NULL;
	mirrored_keys(SRTPCTX_AES128_CM_SHA1_80, &good, &mirror);

	k = good;
	k.profile = (enum srtpctx_profile)2; /* SRTP_AES128_CM_SHA1_32: not served */
	assert_int_equal(srtpctx_create(&k, &ctx), MCU_EINVAL);
	k.profile = (enum srtpctx_profile)0;
	assert_int_equal(srtpctx_create(&k, &ctx), MCU_EINVAL);

	k = good;
	k.salt_len = 12; /* a GCM salt for a CM profile */
	assert_int_equal(srtpctx_create(&k, &ctx), MCU_EINVAL);

	mirrored_keys(SRTPCTX_AEAD_AES_128_GCM, &good, &mirror);
	k = good;
	k.salt_len = 14; /* a CM salt for a GCM profile */
	assert_int_equal(srtpctx_create(&k, &ctx), MCU_EINVAL);
	k = good;
	k.key_len = 32;
	assert_int_equal(srtpctx_create(&k, &ctx), MCU_EINVAL);

	/* The untouched keys still work: the refusals were about the fields. */
	assert_int_equal(srtpctx_create(&good, &ctx), 0);
	srtpctx_destroy(ctx);
}

/* Sends n RTP packets with sequence numbers from seq on, from one side to
 * the other, and checks each grows by growth bytes and comes back exactly. */
static void rtp_one_way(struct srtpctx *from, struct srtpctx *to, uint32_t ssrc,
			uint16_t seq, size_t growth, int n)
{
	uint8_t pkt[PKT_CAP], orig[PKT_CAP];
	for (int i = 0; i < n; i++) {
		size_t payload = 20 + (size_t)(i * 37) % 1100;
		size_t len = make_rtp(pkt, ssrc, (uint16_t)(seq + i), payload);
		size_t orig_len = len;
		memcpy(orig, pkt, len);
		assert_int_equal(srtpctx_protect_rtp(from, pkt, &len, sizeof(pkt)), 0);
		assert_int_equal(len, orig_len + growth);
		/* The header stays in the clear; the payload does not. */
		assert_memory_equal(pkt, orig, RTP_HEADER);
		assert_memory_not_equal(pkt + RTP_HEADER, orig + RTP_HEADER, payload);
		assert_int_equal(srtpctx_unprotect_rtp(to, pkt, &len), 0);
		assert_int_equal(len, orig_len);
		assert_memory_equal(pkt, orig, orig_len);
	}
}

/* The same for n RTCP sender reports. */
static void rtcp_one_way(struct srtpctx *from, struct srtpctx *to, uint32_t ssrc,
			 size_t growth, int n)
{
	uint8_t pkt[PKT_CAP], orig[PKT_CAP];
	for (int i = 0; i < n; i++) {
		size_t len = make_rtcp_sr(pkt, ssrc, (uint32_t)i + 1);
		size_t orig_len = len;
		memcpy(orig, pkt, len);
		assert_int_equal(srtpctx_protect_rtcp(from, pkt, &len, sizeof(pkt)), 0);
		assert_int_equal(len, orig_len + growth);
		assert_int_equal(srtpctx_unprotect_rtcp(to, pkt, &len), 0);
		assert_int_equal(len, orig_len);
		assert_memory_equal(pkt, orig, orig_len);
	}
}

static void round_trip(enum srtpctx_profile profile)
{
	struct pair p;
	make_pair(profile, &p);
	int gcm = profile == SRTPCTX_AEAD_AES_128_GCM;
	size_t rtp_growth = gcm ? GCM_RTP_GROWTH : CM_RTP_GROWTH;
	size_t rtcp_growth = gcm ? GCM_RTCP_GROWTH : CM_RTCP_GROWTH;
	rtp_one_way(p.a, p.b, 0x11111111u, 1000, rtp_growth, 20);
	rtp_one_way(p.b, p.a, 0x22222222u, 65530, rtp_growth, 20); /* wraps */
	rtcp_one_way(p.a, p.b, 0x11111111u, rtcp_growth, 5);
	rtcp_one_way(p.b, p.a, 0x22222222u, rtcp_growth, 5);
	free_pair(&p);
}

static void test_round_trip_cm(void **state)
{
	(void)state;
	round_trip(SRTPCTX_AES128_CM_SHA1_80);
}

static void test_round_trip_gcm(void **state)
{
	(void)state;
	round_trip(SRTPCTX_AEAD_AES_128_GCM);
}

/* Flips one byte at offset of a protected packet; unprotect must refuse it,
 * and the untouched copy must still pass afterwards. */
static void tamper(enum srtpctx_profile profile, int rtcp, size_t offset)
{
	struct pair p;
	make_pair(profile, &p);
	uint8_t pkt[PKT_CAP], copy[PKT_CAP];
	size_t len = rtcp ? make_rtcp_sr(pkt, 7, 1) : make_rtp(pkt, 7, 1, 100);
	int rc = rtcp ? srtpctx_protect_rtcp(p.a, pkt, &len, sizeof(pkt))
		      : srtpctx_protect_rtp(p.a, pkt, &len, sizeof(pkt));
	assert_int_equal(rc, 0);
	memcpy(copy, pkt, len);
	size_t bad_len = len;
	if (offset >= len)
		offset = len - 1; /* the last byte of the tag */
	pkt[offset] ^= 0x01;
	rc = rtcp ? srtpctx_unprotect_rtcp(p.b, pkt, &bad_len)
		  : srtpctx_unprotect_rtp(p.b, pkt, &bad_len);
	assert_int_equal(rc, MCU_EPROTO);
	rc = rtcp ? srtpctx_unprotect_rtcp(p.b, copy, &len)
		  : srtpctx_unprotect_rtp(p.b, copy, &len);
	assert_int_equal(rc, 0);
	free_pair(&p);
}

static void test_tampered_rejected(void **state)
{
	(void)state;
	enum srtpctx_profile profiles[] = { SRTPCTX_AES128_CM_SHA1_80, SRTPCTX_AEAD_AES_128_GCM };
	for (size_t i = 0; i < 2; i++) {
		tamper(profiles[i], 0, 30);     /* RTP payload */
		tamper(profiles[i], 0, 8);      /* RTP SSRC: authenticated, not encrypted */
		tamper(profiles[i], 0, 100000); /* RTP auth tag */
		tamper(profiles[i], 1, 12);     /* RTCP encrypted part */
		tamper(profiles[i], 1, 100000); /* RTCP auth tag */
	}
}

static void replay(enum srtpctx_profile profile)
{
	struct pair p;
	make_pair(profile, &p);
	uint8_t pkt[PKT_CAP], copy[PKT_CAP];

	size_t len = make_rtp(pkt, 9, 500, 60);
	assert_int_equal(srtpctx_protect_rtp(p.a, pkt, &len, sizeof(pkt)), 0);
	memcpy(copy, pkt, len);
	size_t copy_len = len;
	assert_int_equal(srtpctx_unprotect_rtp(p.b, pkt, &len), 0);
	assert_int_equal(srtpctx_unprotect_rtp(p.b, copy, &copy_len), MCU_EPROTO);

	len = make_rtcp_sr(pkt, 9, 1);
	assert_int_equal(srtpctx_protect_rtcp(p.a, pkt, &len, sizeof(pkt)), 0);
	memcpy(copy, pkt, len);
	copy_len = len;
	assert_int_equal(srtpctx_unprotect_rtcp(p.b, pkt, &len), 0);
	assert_int_equal(srtpctx_unprotect_rtcp(p.b, copy, &copy_len), MCU_EPROTO);

	/* The stream goes on after the replay was refused. */
	rtp_one_way(p.a, p.b, 9, 501, profile == SRTPCTX_AEAD_AES_128_GCM ? GCM_RTP_GROWTH
									: CM_RTP_GROWTH, 3);
	free_pair(&p);
}

static void test_replay_rejected(void **state)
{
	(void)state;
	replay(SRTPCTX_AES128_CM_SHA1_80);
	replay(SRTPCTX_AEAD_AES_128_GCM);
}

static void test_capacity(void **state)
{
	(void)state;
	struct pair p;
	make_pair(SRTPCTX_AES128_CM_SHA1_80, &p);
	uint8_t pkt[PKT_CAP], orig[PKT_CAP];
	size_t len = make_rtp(pkt, 5, 1, 100);
	size_t orig_len = len;
	memcpy(orig, pkt, len);

	size_t short_cap = len + SRTPCTX_MAX_TRAILER - 1;
	assert_int_equal(srtpctx_protect_rtp(p.a, pkt, &len, short_cap), MCU_EINVAL);
	assert_int_equal(len, orig_len);
	assert_int_equal(srtpctx_protect_rtp(p.a, pkt, &len, 0), MCU_EINVAL);
	assert_int_equal(len, orig_len);
	assert_memory_equal(pkt, orig, orig_len); /* refused before touching it */

	size_t rtcp_len = make_rtcp_sr(pkt + 600, 5, 1);
	assert_int_equal(srtpctx_protect_rtcp(p.a, pkt + 600, &rtcp_len,
					      rtcp_len + SRTPCTX_MAX_TRAILER - 1), MCU_EINVAL);
	assert_int_equal(rtcp_len, 28);

	/* Exactly len + SRTPCTX_MAX_TRAILER is enough. */
	assert_int_equal(srtpctx_protect_rtp(p.a, pkt, &len, orig_len + SRTPCTX_MAX_TRAILER), 0);
	assert_int_equal(len, orig_len + CM_RTP_GROWTH);
	assert_int_equal(srtpctx_unprotect_rtp(p.b, pkt, &len), 0);
	assert_memory_equal(pkt, orig, orig_len);
	free_pair(&p);
}

static void test_many_ssrcs(void **state)
{
	(void)state;
	struct pair p;
	make_pair(SRTPCTX_AEAD_AES_128_GCM, &p);
	/* Interleaved, as a room's streams arrive; each SSRC is a new clone of
	 * the any-SSRC template on both sides. */
	for (int round = 0; round < 3; round++) {
		for (uint32_t s = 0; s < 64; s++) {
			rtp_one_way(p.a, p.b, 0x1000u + s * 0x10001u, (uint16_t)(round * 100),
				    GCM_RTP_GROWTH, 1);
			rtp_one_way(p.b, p.a, 0x9000u + s, (uint16_t)(7 + round), GCM_RTP_GROWTH, 1);
		}
	}
	for (uint32_t s = 0; s < 16; s++)
		rtcp_one_way(p.a, p.b, 0x1000u + s * 0x10001u, GCM_RTCP_GROWTH, 1);
	free_pair(&p);

	make_pair(SRTPCTX_AES128_CM_SHA1_80, &p);
	for (uint32_t s = 0; s < 64; s++)
		rtp_one_way(p.a, p.b, 0xabc00000u + s, (uint16_t)s, CM_RTP_GROWTH, 2);
	free_pair(&p);
}

static void test_foreign_and_short_rejected(void **state)
{
	(void)state;
	struct pair p;
	make_pair(SRTPCTX_AES128_CM_SHA1_80, &p);
	uint8_t pkt[PKT_CAP];

	/* What A protects is for B: A's own inbound keys (B's outbound) refuse it. */
	size_t len = make_rtp(pkt, 3, 1, 50);
	assert_int_equal(srtpctx_protect_rtp(p.a, pkt, &len, sizeof(pkt)), 0);
	assert_int_equal(srtpctx_unprotect_rtp(p.a, pkt, &len), MCU_EPROTO);

	/* A plain, unprotected packet has no valid tag. */
	len = make_rtp(pkt, 4, 1, 50);
	assert_int_equal(srtpctx_unprotect_rtp(p.b, pkt, &len), MCU_EPROTO);
	len = make_rtcp_sr(pkt, 4, 1);
	assert_int_equal(srtpctx_unprotect_rtcp(p.b, pkt, &len), MCU_EPROTO);

	/* Shorter than a header, or than header plus tag. */
	for (size_t n = 0; n < 20; n++) {
		make_rtp(pkt, 4, 2, 50);
		len = n;
		assert_int_equal(srtpctx_unprotect_rtp(p.b, pkt, &len), MCU_EPROTO);
		make_rtcp_sr(pkt, 4, 2);
		len = n;
		assert_int_equal(srtpctx_unprotect_rtcp(p.b, pkt, &len), MCU_EPROTO);
	}
	free_pair(&p);
}

static void test_destroy_null(void **state)
{
	(void)state;
	srtpctx_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_init),
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_create_rejects_bad_keys),
		cmocka_unit_test(test_round_trip_cm),
		cmocka_unit_test(test_round_trip_gcm),
		cmocka_unit_test(test_tampered_rejected),
		cmocka_unit_test(test_replay_rejected),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_many_ssrcs),
		cmocka_unit_test(test_foreign_and_short_rejected),
		cmocka_unit_test(test_destroy_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
