/* rtpsession_test.c - the RTP session both endpoints share: RTP told apart
 * by payload type (bundled) or by the socket's kind, counted, queued with
 * its audio level, and refused as other (not RTP, a stranger's payload
 * type, too long); the rate cap; RTCP read for feedback on our video and
 * the peer's sender reports, or only noted; the outbound count; the
 * reports, PLI and NACK it writes, read back with rtcp.h's readers; and
 * the snapshot it fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "mcu/net/endpoint.h"
#include "mcu/net/rtpsession.h"

#include <string.h>

#define OUR_AUDIO 0x1111u
#define OUR_VIDEO 0x2222u
#define PEER_AUDIO 0xA0A0u
#define PEER_VIDEO 0xB0B0u
#define OPUS_PT 111
#define H264_PT 102
#define VP8_PT 96
#define LEVEL_EXT 1
#define WALL_US 1700000000000000LL

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A WebRTC-like session: Opus at 48 kHz, H.264 and VP8 at 90 kHz. */
static struct rtpsession *new_session(int max_packet_rate)
{
	struct rtpsession_params p = {
		.ssrc = { [PORT_AUDIO] = OUR_AUDIO, [PORT_VIDEO] = OUR_VIDEO },
		.rate = { [PORT_AUDIO] = 48000, [PORT_VIDEO] = 90000 },
		.pts = { [PORT_AUDIO] = { OPUS_PT }, [PORT_VIDEO] = { H264_PT, VP8_PT } },
		.n_pts = { [PORT_AUDIO] = 1, [PORT_VIDEO] = 2 },
		.audio_level_ext = LEVEL_EXT,
		.max_packet_rate = max_packet_rate,
	};
	struct rtpsession *s = NULL;
	assert_int_equal(rtpsession_create(&p, &s), 0);
	assert_non_null(s);
	return s;
}

/* An RTP packet with payload bytes of value seq & 0xff. */
static size_t rtp_packet(uint8_t *buf, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
			 size_t payload)
{
	assert_int_equal(rtp_write_header(buf, 12, (uint8_t)pt, false, seq, ts, ssrc), 12);
	memset(buf + 12, seq & 0xff, payload);
	return 12 + payload;
}

/* An Opus packet carrying an RFC 6464 level (one-byte extension form). */
static size_t audio_with_level(uint8_t *buf, uint16_t seq, int level)
{
	assert_int_equal(rtp_write_header(buf, 12, OPUS_PT, false, seq, seq * 960u, PEER_AUDIO), 12);
	buf[0] |= 0x10;                                  /* X */
	static const uint8_t ext[] = { 0xBE, 0xDE, 0x00, 0x01 };
	memcpy(buf + 12, ext, sizeof(ext));
	buf[16] = LEVEL_EXT << 4;                        /* id, one byte of data */
	buf[17] = (uint8_t)(0x80 | level);               /* the voice bit, then -level dBov */
	buf[18] = buf[19] = 0;
	memset(buf + 20, 0x55, 30);
	return 50;
}

/* The session's figures, in an otherwise empty snapshot. */
static struct endpoint_info info_of(struct rtpsession *s)
{
	struct endpoint_info info;
	memset(&info, 0, sizeof(info));
	rtpsession_info(s, &info);
	return info;
}

static void test_create_and_destroy(void **state)
{
	(void)state;
	struct rtpsession_params p = { .n_pts = { PORT_MAX_PTS + 1, 0 } };
	struct rtpsession *s = NULL;
	assert_int_equal(rtpsession_create(&p, &s), MCU_EINVAL);
	assert_null(s);
	p.n_pts[0] = -1;
	assert_int_equal(rtpsession_create(&p, &s), MCU_EINVAL);

	int64_t before = clock_now_us();
	s = new_session(0);
	int64_t after = clock_now_us();
	/* Alive as of its making; nothing queued or counted. */
	assert_true(rtpsession_alive_us(s) >= before && rtpsession_alive_us(s) <= after);
	struct port_packet out;
	assert_int_equal(rtpsession_pop(s, &out), 0);
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.audio.packets_in + info.video.packets_in + info.rtcp_in + info.other_in, 0);
	rtpsession_destroy(s);
	rtpsession_destroy(NULL);
}

static void test_bundled_rtp_by_payload_type(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[1600];
	assert_int_equal(rtpsession_recv_rtp(s, buf, audio_with_level(buf, 7, 33), 1000), 0);
	size_t len = rtp_packet(buf, VP8_PT, 100, 9000, PEER_VIDEO, 80);
	buf[1] |= 0x80;                                  /* marker */
	assert_int_equal(rtpsession_recv_rtp(s, buf, len, 2000), 0);
	assert_int_equal(rtpsession_alive_us(s), 2000);

	struct port_packet out;
	assert_int_equal(rtpsession_pop(s, &out), 1);
	assert_int_equal(out.kind, PORT_AUDIO);
	assert_int_equal(out.pt, OPUS_PT);
	assert_int_equal(out.seq, 7);
	assert_int_equal(out.ts, 7 * 960);
	assert_int_equal(out.ssrc, PEER_AUDIO);
	assert_int_equal(out.audio_level, 33);
	assert_int_equal(out.arrival_us, 1000);
	assert_int_equal(out.len, 30);
	assert_int_equal(out.payload[0], 0x55);
	assert_false(out.marker);

	assert_int_equal(rtpsession_pop(s, &out), 1);
	assert_int_equal(out.kind, PORT_VIDEO);
	assert_int_equal(out.pt, VP8_PT);
	assert_true(out.marker);
	assert_int_equal(out.audio_level, -1);           /* video carries none */
	assert_int_equal(out.len, 80);
	assert_int_equal(out.payload[79], 100);
	assert_int_equal(rtpsession_pop(s, &out), 0);

	/* An audio packet without the extension has no level. */
	len = rtp_packet(buf, OPUS_PT, 8, 7680, PEER_AUDIO, 20);
	assert_int_equal(rtpsession_recv_rtp(s, buf, len, 3000), 0);
	assert_int_equal(rtpsession_pop(s, &out), 1);
	assert_int_equal(out.audio_level, -1);
	rtpsession_destroy(s);
}

static void test_refused_rtp_is_other(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[1600];
	static const uint8_t junk[] = { 0x00, 0x01, 0x02 };
	assert_int_equal(rtpsession_recv_rtp(s, junk, sizeof(junk), 1000), MCU_EPROTO);
	assert_int_equal(rtpsession_recv_rtp(s, buf, rtp_packet(buf, 0, 1, 0, PEER_AUDIO, 20), 1000),
			 MCU_ENOTFOUND);
	size_t big = rtp_packet(buf, H264_PT, 1, 0, PEER_VIDEO, PORT_MAX_PAYLOAD + 1);
	assert_int_equal(rtpsession_recv_rtp(s, buf, big, 1000), MCU_ELIMIT);

	struct port_packet out;
	assert_int_equal(rtpsession_pop(s, &out), 0);
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.other_in, 3);
	assert_int_equal(info.video.packets_in, 0);      /* not counted as media */
	assert_int_equal(info.video.ssrc, 0);
	/* Refused packets prove nothing. */
	assert_true(rtpsession_alive_us(s) != 1000);
	rtpsession_destroy(s);
}

static void test_rtp_on_a_kinds_socket(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[200];
	/* Video's payload type on the audio socket is not audio. */
	size_t len = rtp_packet(buf, H264_PT, 1, 0, PEER_VIDEO, 20);
	assert_int_equal(rtpsession_recv_rtp_on(s, PORT_AUDIO, buf, len, 500), MCU_ENOTFOUND);
	assert_int_equal(rtpsession_recv_rtp_on(s, PORT_VIDEO, buf, len, 500), 0);
	static const uint8_t junk[] = { 0xff };
	assert_int_equal(rtpsession_recv_rtp_on(s, PORT_VIDEO, junk, 1, 500), MCU_EPROTO);
	struct port_packet out;
	assert_int_equal(rtpsession_pop(s, &out), 1);
	assert_int_equal(out.kind, PORT_VIDEO);
	assert_int_equal(rtpsession_pop(s, &out), 0);
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.other_in, 2);
	assert_int_equal(info.video.packets_in, 1);
	assert_int_equal(rtpsession_alive_us(s), 500);
	rtpsession_destroy(s);
}

static void test_receive_statistics(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[200];
	struct port_packet out;
	/* Video seqs 0..9 without 3 and 6, 20 payload bytes each. */
	for (uint16_t seq = 0; seq < 10; seq++) {
		if (seq == 3 || seq == 6)
			continue;
		size_t len = rtp_packet(buf, H264_PT, seq, seq * 3000u, PEER_VIDEO, 20);
		assert_int_equal(rtpsession_recv_rtp(s, buf, len, seq * 33333), 0);
		assert_int_equal(rtpsession_pop(s, &out), 1);
	}
	struct endpoint_info info;
	memset(&info, 0, sizeof(info));
	info.srtp_errors = 7;                            /* not the session's: left */
	info.legacy = true;
	rtpsession_info(s, &info);
	assert_int_equal(info.video.ssrc, PEER_VIDEO);
	assert_int_equal(info.video.packets_in, 8);
	assert_int_equal(info.video.bytes_in, 160);
	assert_int_equal(info.video.lost, 2);
	assert_true(info.video.jitter_ms >= 0.0);
	assert_int_equal(info.audio.ssrc, 0);
	assert_int_equal(info.srtp_errors, 7);
	assert_true(info.legacy);

	/* A new SSRC starts the figures again. */
	size_t len = rtp_packet(buf, H264_PT, 500, 0, 0xC0C0, 20);
	assert_int_equal(rtpsession_recv_rtp(s, buf, len, 400000), 0);
	rtpsession_info(s, &info);
	assert_int_equal(info.video.ssrc, 0xC0C0);
	assert_int_equal(info.video.packets_in, 1);
	assert_int_equal(info.video.lost, 0);
	rtpsession_destroy(s);
}

static void test_rate_cap(void **state)
{
	(void)state;
	/* 4 packets/s: a bucket of one packet. */
	struct rtpsession *s = new_session(4);
	assert_true(rtpsession_admit(s, 1000000));
	assert_false(rtpsession_admit(s, 1000001));
	assert_false(rtpsession_admit(s, 1000002));
	assert_true(rtpsession_admit(s, 1300000));       /* a quarter second refills one */
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.rate_limited, 2);
	rtpsession_destroy(s);

	s = new_session(0);                              /* no cap */
	for (int i = 0; i < 1000; i++)
		assert_true(rtpsession_admit(s, 1000000));
	rtpsession_destroy(s);
}

/* A FIR (PSFB FMT 4) from the peer; FCI names any SSRC. */
static size_t write_fir(uint8_t *buf)
{
	memset(buf, 0, 20);
	buf[0] = 0x84;
	buf[1] = RTCP_PSFB;
	buf[3] = 4;                                      /* 5 words */
	buf[7] = 0x0A;                                   /* sender SSRC */
	buf[15] = 0x99;                                  /* FCI SSRC */
	return 20;
}

static void test_rtcp_feedback(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[600];
	size_t len = 0;
	/* The peer's RR on our video (a quarter lost), a PLI for our video, a
	 * NACK of our video, a REMB, then a PLI for a stranger. */
	struct rtcp_report rr = { .ssrc = OUR_VIDEO, .fraction_lost = 64 };
	len += (size_t)rtcp_write_rr(buf + len, sizeof(buf) - len, PEER_VIDEO, &rr, 1);
	len += (size_t)rtcp_write_pli(buf + len, sizeof(buf) - len, PEER_VIDEO, OUR_VIDEO);
	static const uint16_t lost[] = { 10, 12 };
	len += (size_t)rtcp_write_nack(buf + len, sizeof(buf) - len, PEER_VIDEO, OUR_VIDEO, lost, 2);
	const uint32_t ours[] = { OUR_VIDEO };
	len += (size_t)rtcp_write_remb(buf + len, sizeof(buf) - len, PEER_VIDEO, 750000, ours, 1);
	struct port_feedback fb = { .loss_fraction = -1 };
	assert_int_equal(rtpsession_recv_rtcp(s, buf, len, 5000, &fb), 0);
	assert_true(fb.keyframe);
	assert_int_equal(fb.loss_fraction, 64);
	assert_int_equal(fb.remb_bps, 750000);
	assert_int_equal(fb.n_nacks, 2);
	assert_int_equal(fb.nacks[0], 10);
	assert_int_equal(fb.nacks[1], 12);
	assert_int_equal(rtpsession_alive_us(s), 5000);

	/* A PLI for another stream asks for nothing; a FIR asks whatever it
	 * names; NACKs of another stream are not ours. */
	fb = (struct port_feedback){ .loss_fraction = -1 };
	len = (size_t)rtcp_write_pli(buf, sizeof(buf), PEER_VIDEO, 0x7777);
	len += (size_t)rtcp_write_nack(buf + len, sizeof(buf) - len, PEER_VIDEO, 0x7777, lost, 2);
	assert_int_equal(rtpsession_recv_rtcp(s, buf, len, 6000, &fb), 0);
	assert_false(fb.keyframe);
	assert_int_equal(fb.n_nacks, 0);
	assert_int_equal(fb.loss_fraction, -1);
	assert_int_equal(rtpsession_recv_rtcp(s, buf, write_fir(buf), 6000, &fb), 0);
	assert_true(fb.keyframe);

	/* A compound that breaks off: what came before is read. */
	len = (size_t)rtcp_write_pli(buf, sizeof(buf), PEER_VIDEO, OUR_VIDEO);
	memset(buf + len, 0xff, 8);
	fb = (struct port_feedback){ .loss_fraction = -1 };
	assert_int_equal(rtpsession_recv_rtcp(s, buf, len + 8, 7000, &fb), MCU_EPROTO);
	assert_true(fb.keyframe);

	struct endpoint_info info = info_of(s);
	assert_int_equal(info.rtcp_in, 4 + 2 + 1 + 1);
	rtpsession_destroy(s);
}

static void test_note_rtcp_and_count(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	rtpsession_note_rtcp(s, 8000);
	rtpsession_note_rtcp(s, 9000);
	rtpsession_count_other(s);
	rtpsession_count_out(s, 100);
	rtpsession_count_out(s, 1200);
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.rtcp_in, 2);
	assert_int_equal(info.other_in, 1);
	assert_int_equal(info.packets_out, 2);
	assert_int_equal(info.bytes_out, 1300);
	assert_int_equal(rtpsession_alive_us(s), 9000);
	rtpsession_destroy(s);
}

static void test_reports_with_blocks(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[1500];
	/* Nothing sent or received: an empty RR from our video SSRC. */
	size_t len = rtpsession_write_reports(s, 0, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 8);

	/* The peer's video, then its SR on that stream. */
	for (uint16_t seq = 0; seq < 5; seq++)
		rtpsession_recv_rtp(s, buf, rtp_packet(buf, H264_PT, seq, seq * 3000u, PEER_VIDEO, 20), 1000);
	struct rtcp_sr peer = { .ssrc = PEER_VIDEO, .ntp = 0x0011223344556677ull };
	struct port_feedback fb = { .loss_fraction = -1 };
	len = (size_t)rtcp_write_sr(buf, sizeof(buf), &peer, NULL, 0);
	assert_int_equal(rtpsession_recv_rtcp(s, buf, len, 10000000, &fb), 0);

	/* One video packet of ours, captured at 1 s. */
	uint8_t pkt[100];
	rtpsession_sent_rtp(s, PORT_VIDEO, pkt, rtp_packet(pkt, H264_PT, 1, 9000, OUR_VIDEO, 50), 1000000);
	len = rtpsession_write_reports(s, 10500000, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 52);                        /* SR with one block */
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.sender_ssrc, OUR_VIDEO);
	assert_int_equal(be32(buf + p.offset + 16), 9000 + 855000);   /* 9.5 s on at 90 kHz */
	assert_int_equal(be32(buf + p.offset + 20), 1);
	assert_int_equal(be32(buf + p.offset + 24), 50);
	struct rtcp_report got[2];
	assert_int_equal(rtcp_read_reports(buf, &p, got, 2), 1);
	assert_int_equal(got[0].ssrc, PEER_VIDEO);
	assert_int_equal(got[0].lsr, 0x22334455u);
	assert_int_equal(got[0].dlsr, 65536 / 2);
	rtpsession_destroy(s);
}

static void test_one_sr_alone(void **state)
{
	(void)state;
	/* A plain-RTP G.722 session: audio at 8 kHz. */
	struct rtpsession_params p = {
		.ssrc = { [PORT_AUDIO] = OUR_AUDIO },
		.rate = { [PORT_AUDIO] = 8000, [PORT_VIDEO] = 90000 },
		.pts = { [PORT_AUDIO] = { 9 } },
		.n_pts = { [PORT_AUDIO] = 1 },
	};
	struct rtpsession *s = NULL;
	assert_int_equal(rtpsession_create(&p, &s), 0);
	uint8_t pkt[200], buf[100];
	assert_int_equal(rtpsession_write_sr(s, PORT_AUDIO, 0, WALL_US, buf, sizeof(buf)), 0);
	rtpsession_sent_rtp(s, PORT_AUDIO, pkt, rtp_packet(pkt, 9, 1, 160, OUR_AUDIO, 160), 2000000);
	size_t len = rtpsession_write_sr(s, PORT_AUDIO, 2100000, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 28);
	size_t pos = 0;
	struct rtcp_packet rp;
	assert_int_equal(rtcp_next(buf, len, &pos, &rp), 1);
	assert_int_equal(rp.type, RTCP_SR);
	assert_int_equal(rp.count, 0);
	assert_int_equal(rp.sender_ssrc, OUR_AUDIO);
	assert_int_equal(be32(buf + rp.offset + 16), 160 + 800);   /* 0.1 s at 8 kHz */
	assert_int_equal(rtpsession_write_sr(s, PORT_VIDEO, 2100000, WALL_US, buf, sizeof(buf)), 0);
	rtpsession_destroy(s);
}

static void test_pli_and_nack(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[200];
	static const uint16_t seqs[] = { 3, 4, 40 };
	/* No video from the peer yet: nothing to name. */
	assert_int_equal(rtpsession_write_pli(s, buf, sizeof(buf)), 0);
	assert_int_equal(rtpsession_write_nack(s, seqs, 3, buf, sizeof(buf)), 0);

	rtpsession_recv_rtp(s, buf, rtp_packet(buf, H264_PT, 1, 0, PEER_VIDEO, 20), 1000);
	size_t len = rtpsession_write_pli(s, buf, sizeof(buf));
	assert_int_equal(len, 12);
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_PSFB);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sender_ssrc, OUR_VIDEO);
	assert_int_equal(p.media_ssrc, PEER_VIDEO);

	len = rtpsession_write_nack(s, seqs, 3, buf, sizeof(buf));
	assert_true(len > 12);
	pos = 0;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_RTPFB);
	assert_int_equal(p.media_ssrc, PEER_VIDEO);
	uint16_t got[8];
	assert_int_equal(rtcp_read_nack(buf, &p, got, 8), 3);
	/* Too small a buffer: nothing. */
	assert_int_equal(rtpsession_write_pli(s, buf, 4), 0);
	assert_int_equal(rtpsession_write_nack(s, seqs, 3, buf, 4), 0);
	rtpsession_destroy(s);
}

static void test_queue_keeps_the_newest(void **state)
{
	(void)state;
	struct rtpsession *s = new_session(0);
	uint8_t buf[200];
	/* 600 packets into a queue of 512: the oldest 88 are dropped. */
	for (int i = 0; i < 600; i++) {
		size_t len = rtp_packet(buf, H264_PT, (uint16_t)i, 0, PEER_VIDEO, 10);
		assert_int_equal(rtpsession_recv_rtp(s, buf, len, i), 0);
	}
	struct endpoint_info info = info_of(s);
	assert_int_equal(info.queue_dropped, 88);
	struct port_packet out;
	assert_int_equal(rtpsession_pop(s, &out), 1);
	assert_int_equal(out.seq, 88);
	rtpsession_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_destroy),
		cmocka_unit_test(test_bundled_rtp_by_payload_type),
		cmocka_unit_test(test_refused_rtp_is_other),
		cmocka_unit_test(test_rtp_on_a_kinds_socket),
		cmocka_unit_test(test_receive_statistics),
		cmocka_unit_test(test_rate_cap),
		cmocka_unit_test(test_rtcp_feedback),
		cmocka_unit_test(test_note_rtcp_and_count),
		cmocka_unit_test(test_reports_with_blocks),
		cmocka_unit_test(test_one_sr_alone),
		cmocka_unit_test(test_pli_and_nack),
		cmocka_unit_test(test_queue_keeps_the_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
