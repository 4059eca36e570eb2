/* rtcpreport_test.c - the endpoint's RTCP reports: a receiver report while
 * nothing was sent, sender reports (video first) whose RTP time runs on
 * from the newest packet at each kind's clock rate, one kind's SR alone,
 * report blocks whose fraction lost counts since the previous report, and
 * LSR/DLSR from the peer's own sender report. The output is read back with
 * rtcp.h's readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/rtcp.h"
#include "mcu/net/rtcpreport.h"
#include "base/rtp.h"
#include "mcu/net/rtpstats.h"

#include <string.h>

#define AUDIO_SSRC 0x1111u
#define VIDEO_SSRC 0x2222u
#define PEER_AUDIO 0xA0A0u
#define PEER_VIDEO 0xB0B0u
#define WALL_US 1700000000000000LL

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An RTP header with this timestamp, then payload bytes of zeros. */
static size_t rtp_packet(uint8_t *buf, uint32_t ts, size_t payload)
{
	memset(buf, 0, 12 + payload);
	assert_int_equal(rtp_write_header(buf, 12, 96, false, 1, ts, VIDEO_SSRC), 12);
	return 12 + payload;
}

/* A stream of the peer's with seqs 0..n-1, leaving out those in skip. */
static void receive(struct rtpstats *s, uint32_t ssrc, int n, const int *skip, int n_skip)
{
	rtpstats_init(s, ssrc, 90000);
	for (int seq = 0; seq < n; seq++) {
		bool skipped = false;
		for (int i = 0; i < n_skip; i++)
			skipped |= skip[i] == seq;
		if (!skipped)
			rtpstats_update(s, (uint16_t)seq, (uint32_t)seq * 3000, 100, seq * 33000);
	}
}

/* Reports of our two streams, audio at audio_rate Hz, video at 90 kHz. */
static struct rtcpreport *new_reports_at(uint32_t audio_rate)
{
	struct rtcpreport *r = NULL;
	const uint32_t ssrc[2] = { [PORT_AUDIO] = AUDIO_SSRC, [PORT_VIDEO] = VIDEO_SSRC };
	const uint32_t rate[2] = { [PORT_AUDIO] = audio_rate, [PORT_VIDEO] = 90000 };
	assert_int_equal(rtcpreport_create(ssrc, rate, &r), 0);
	assert_non_null(r);
	return r;
}

static struct rtcpreport *new_reports(void)
{
	return new_reports_at(48000);
}

static void test_rr_before_sending(void **state)
{
	(void)state;
	struct rtcpreport *r = new_reports();
	struct rtpstats audio = { 0 }, video = { 0 };
	struct rtcp_report blocks[2];
	/* Nothing received yet: no blocks, and an empty RR from our video SSRC. */
	assert_int_equal(rtcpreport_blocks(r, &audio, &video, 0, blocks), 0);
	uint8_t buf[1500];
	size_t len = rtcpreport_write(r, blocks, 0, 0, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 8);
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_RR);
	assert_int_equal(p.sender_ssrc, VIDEO_SSRC);
	assert_int_equal(p.count, 0);

	/* Receiving video: the RR carries its block. */
	receive(&video, PEER_VIDEO, 10, NULL, 0);
	int n = rtcpreport_blocks(r, &audio, &video, 0, blocks);
	assert_int_equal(n, 1);
	assert_int_equal(blocks[0].ssrc, PEER_VIDEO);
	len = rtcpreport_write(r, blocks, n, 0, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 32);
	/* Too small for even the RR: nothing. */
	assert_int_equal(rtcpreport_write(r, blocks, n, 0, WALL_US, buf, 16), 0);
	rtcpreport_destroy(r);
	rtcpreport_destroy(NULL);
}

static void test_sender_reports(void **state)
{
	(void)state;
	struct rtcpreport *r = new_reports();
	uint8_t pkt[200];
	/* Two video packets (the newest at ts 9000, captured at 1 s) and one
	 * audio packet (ts 480, captured at 1.5 s). */
	rtcpreport_sent(r, PORT_VIDEO, pkt, rtp_packet(pkt, 6000, 100), 900000);
	rtcpreport_sent(r, PORT_VIDEO, pkt, rtp_packet(pkt, 9000, 50), 1000000);
	rtcpreport_sent(r, PORT_AUDIO, pkt, rtp_packet(pkt, 480, 20), 1500000);

	struct rtpstats audio = { 0 }, video = { 0 };
	receive(&audio, PEER_AUDIO, 5, NULL, 0);
	struct rtcp_report blocks[2];
	int n = rtcpreport_blocks(r, &audio, &video, 2000000, blocks);
	assert_int_equal(n, 1);
	uint8_t buf[1500];
	size_t len = rtcpreport_write(r, blocks, n, 2000000, WALL_US, buf, sizeof(buf));
	/* SR with one block (52 bytes), then SR without (28). */
	assert_int_equal(len, 52 + 28);

	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.sender_ssrc, VIDEO_SSRC);
	const uint8_t *info = buf + p.offset + 8;
	uint64_t ntp = (uint64_t)be32(info) << 32 | be32(info + 4);
	assert_true(ntp == rtcp_ntp_from_wall_us(WALL_US));
	assert_int_equal(be32(info + 8), 9000 + 90000);  /* 1 s after the newest at 90 kHz */
	assert_int_equal(be32(info + 12), 2);
	assert_int_equal(be32(info + 16), 150);
	struct rtcp_report got[4];
	assert_int_equal(rtcp_read_reports(buf, &p, got, 4), 1);
	assert_int_equal(got[0].ssrc, PEER_AUDIO);

	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.sender_ssrc, AUDIO_SSRC);
	info = buf + p.offset + 8;
	assert_int_equal(be32(info + 8), 480 + 24000);   /* 0.5 s at 48 kHz */
	assert_int_equal(be32(info + 12), 1);
	assert_int_equal(be32(info + 16), 20);
	assert_int_equal(rtcp_read_reports(buf, &p, got, 4), 0);
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 0);
	rtcpreport_destroy(r);
}

static void test_one_kinds_sr(void **state)
{
	(void)state;
	struct rtcpreport *r = new_reports_at(8000);
	uint8_t pkt[200], buf[1500];
	/* Nothing sent of either kind: no SR. */
	assert_int_equal(rtcpreport_write_sr(r, PORT_AUDIO, 0, WALL_US, buf, sizeof(buf)), 0);
	rtcpreport_sent(r, PORT_AUDIO, pkt, rtp_packet(pkt, 160, 160), 1000000);
	rtcpreport_sent(r, PORT_AUDIO, pkt, rtp_packet(pkt, 320, 160), 1020000);
	assert_int_equal(rtcpreport_write_sr(r, PORT_VIDEO, 0, WALL_US, buf, sizeof(buf)), 0);

	size_t len = rtcpreport_write_sr(r, PORT_AUDIO, 1520000, WALL_US, buf, sizeof(buf));
	assert_int_equal(len, 28);                       /* an SR, no block */
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.sender_ssrc, AUDIO_SSRC);
	assert_int_equal(p.count, 0);
	const uint8_t *info = buf + p.offset + 8;
	uint64_t ntp = (uint64_t)be32(info) << 32 | be32(info + 4);
	assert_true(ntp == rtcp_ntp_from_wall_us(WALL_US));
	assert_int_equal(be32(info + 8), 320 + 4000);    /* 0.5 s at 8 kHz */
	assert_int_equal(be32(info + 12), 2);
	assert_int_equal(be32(info + 16), 320);
	assert_int_equal(rtcp_next(buf, len, &pos, &p), 0);
	/* Too small: nothing. */
	assert_int_equal(rtcpreport_write_sr(r, PORT_AUDIO, 1520000, WALL_US, buf, 20), 0);
	rtcpreport_destroy(r);
}

static void test_fraction_lost_since_last(void **state)
{
	(void)state;
	struct rtcpreport *r = new_reports();
	struct rtpstats audio = { 0 }, video = { 0 };
	static const int skip[] = { 3, 5 };
	receive(&audio, PEER_AUDIO, 10, skip, 2);
	receive(&video, PEER_VIDEO, 10, NULL, 0);
	struct rtcp_report blocks[2];
	assert_int_equal(rtcpreport_blocks(r, &audio, &video, 0, blocks), 2);
	assert_int_equal(blocks[0].ssrc, PEER_AUDIO);
	assert_int_equal(blocks[0].fraction_lost, 2 * 256 / 10);
	assert_int_equal(blocks[0].cumulative_lost, 2);
	assert_int_equal(blocks[0].highest_seq, 9);
	assert_int_equal(blocks[0].lsr, 0);
	assert_int_equal(blocks[0].dlsr, 0);
	assert_int_equal(blocks[1].ssrc, PEER_VIDEO);
	assert_int_equal(blocks[1].fraction_lost, 0);
	/* Nothing new since: the loss is history, not this interval's. */
	assert_int_equal(rtcpreport_blocks(r, &audio, &video, 0, blocks), 2);
	assert_int_equal(blocks[0].fraction_lost, 0);
	assert_int_equal(blocks[0].cumulative_lost, 2);
	rtcpreport_destroy(r);
}

static void test_lsr_dlsr(void **state)
{
	(void)state;
	struct rtcpreport *r = new_reports();
	struct rtpstats audio = { 0 }, video = { 0 };
	receive(&audio, PEER_AUDIO, 3, NULL, 0);
	receive(&video, PEER_VIDEO, 3, NULL, 0);

	/* The peer's SR on its video stream, and one from a stranger. */
	uint8_t buf[200];
	struct rtcp_sr sr = { .ssrc = PEER_VIDEO, .ntp = 0x0011223344556677ull };
	int w = rtcp_write_sr(buf, sizeof(buf), &sr, NULL, 0);
	assert_true(w > 0);
	struct rtcp_sr stranger = { .ssrc = 0x5555, .ntp = 0x1234567890ull };
	int w2 = rtcp_write_sr(buf + w, sizeof(buf) - (size_t)w, &stranger, NULL, 0);
	assert_true(w2 > 0);
	size_t pos = 0;
	struct rtcp_packet p;
	while (rtcp_next(buf, (size_t)(w + w2), &pos, &p) == 1)
		rtcpreport_peer_sr(r, buf, &p, &audio, &video, 10000000);

	struct rtcp_report blocks[2];
	assert_int_equal(rtcpreport_blocks(r, &audio, &video, 10500000, blocks), 2);
	assert_int_equal(blocks[0].lsr, 0);             /* no SR on audio */
	assert_int_equal(blocks[1].lsr, 0x22334455u);   /* the middle 32 bits */
	assert_int_equal(blocks[1].dlsr, 65536 / 2);    /* 0.5 s in 1/65536 s */
	rtcpreport_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_before_sending),
		cmocka_unit_test(test_sender_reports),
		cmocka_unit_test(test_one_kinds_sr),
		cmocka_unit_test(test_fraction_lost_since_last),
		cmocka_unit_test(test_lsr_dlsr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
