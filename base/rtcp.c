/*
 * rtcp.c - see rtcp.h: RTP's fixed header, the RTCP packets the server
 * writes (SR, RR, PLI, generic NACK, REMB), NTP time, and the report
 * blocks, NACKs and REMBs receivers send back.
 *
 * Writers work out the whole size first and write nothing into a buffer
 * they refuse. Readers are handed a packet rtcp_next() has bounded: they
 * trust p->offset and p->len (nothing else), never read past p->len, and
 * check every count against it, because everything inside comes from the
 * peer. Malformed input is MCU_EPROTO; a packet of the wrong type or
 * feedback format is the caller's mistake (it dispatches on p->type and
 * p->count), so that is MCU_EINVAL.
 */
#include "rtcp.h"
#include "err.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#define RTP_VERSION_BITS 0x80      /* V=2 in the first byte, P=X=0 */

#define RTCP_HEADER 4
#define RTCP_PADDING_BIT 0x20
#define RTCP_MAX_COUNT 31          /* the 5-bit RC field */
#define RTCP_REPORT_BLOCK 24
#define RTCP_SR_FIXED 28           /* header, SSRC, NTP, RTP ts, counts */
#define RTCP_RR_FIXED 8            /* header, SSRC */
#define RTCP_FB_FIXED 12           /* header, sender and media SSRC (RFC 4585 6.1) */
#define RTCP_FMT_PLI 1             /* PSFB, RFC 4585 6.3.1 */
#define RTCP_FMT_NACK 1            /* RTPFB, RFC 4585 6.2.1 */
#define RTCP_FMT_AFB 15            /* PSFB application layer, RFC 4585 6.4 */

#define NACK_ENTRY 4               /* PID and BLP */
#define NACK_BLP_BITS 16
#define REMB_FIXED 20              /* RTCP_FB_FIXED + "REMB" + num/exp/mantissa */
#define REMB_MAX_SSRCS 255         /* the 8-bit Num SSRC field */
#define REMB_MANTISSA_BITS 18

#define CUMULATIVE_LOST_MAX 0x7FFFFF    /* 24-bit signed, RFC 3550 6.4.1 */
#define CUMULATIVE_LOST_MIN (-0x800000)

#define US_PER_S 1000000
#define NTP_UNIX_OFFSET_S 2208988800LL  /* 1900-01-01 to 1970-01-01 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Floor division, so a time before 1970 still gets a fraction in [0, 1).
 * The seconds are kept modulo 2^32: from 2036-02-07 they wrap into NTP era
 * 1, which is what RFC 5905 section 6 prescribes and what peers expect
 * (only differences of NTP times are ever used). The fraction is rounded to
 * the nearest 2^-32 s; 999999 µs still rounds below 2^32.
 */
uint64_t rtcp_ntp_from_wall_us(int64_t wall_us)
{
	int64_t s = wall_us / US_PER_S, us = wall_us % US_PER_S;
	if (us < 0) {
		us += US_PER_S;
		s--;
	}
	uint32_t ntp_s = (uint32_t)(s + NTP_UNIX_OFFSET_S);
	uint64_t frac = (((uint64_t)us << 32) + US_PER_S / 2) / US_PER_S;
	return (uint64_t)ntp_s << 32 | frac;
}

/* The common header; len is the whole packet in bytes, a multiple of 4. */
static void put_header(uint8_t *p, unsigned count, uint8_t type, size_t len)
{
	assert(count <= RTCP_MAX_COUNT && len % 4 == 0 && len / 4 - 1 <= UINT16_MAX);
	p[0] = (uint8_t)(RTP_VERSION_BITS | count);
	p[1] = type;
	put16(p + 2, (uint16_t)(len / 4 - 1));
}

/* Cumulative loss saturates at the 24-bit field's ends, as RFC 3550 A.3
 * asks, rather than wrapping into a nonsense sign. */
static void put_report(uint8_t *p, const struct rtcp_report *r)
{
	int32_t lost = r->cumulative_lost;
	if (lost > CUMULATIVE_LOST_MAX)
		lost = CUMULATIVE_LOST_MAX;
	if (lost < CUMULATIVE_LOST_MIN)
		lost = CUMULATIVE_LOST_MIN;
	put32(p, r->ssrc);
	put32(p + 4, (uint32_t)r->fraction_lost << 24 | ((uint32_t)lost & 0xFFFFFF));
	put32(p + 8, r->highest_seq);
	put32(p + 12, r->jitter);
	put32(p + 16, r->lsr);
	put32(p + 20, r->dlsr);
}

static void get_report(const uint8_t *p, struct rtcp_report *r)
{
	uint32_t w = get32(p + 4);
	uint32_t lost = w & 0xFFFFFF;
	r->ssrc = get32(p);
	r->fraction_lost = (uint8_t)(w >> 24);
	/* Sign-extend the 24-bit field without shifting into the sign bit. */
	r->cumulative_lost = lost & 0x800000 ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	r->highest_seq = get32(p + 8);
	r->jitter = get32(p + 12);
	r->lsr = get32(p + 16);
	r->dlsr = get32(p + 20);
}

/* The size of an SR or RR with n report blocks, or 0 when n is not
 * something the RC field can say or reports is missing. */
static size_t report_packet_size(size_t fixed, const struct rtcp_report *reports,
				 int n_reports)
{
	if (n_reports < 0 || n_reports > RTCP_MAX_COUNT || (n_reports > 0 && !reports))
		return 0;
	return fixed + (size_t)n_reports * RTCP_REPORT_BLOCK;
}

/*
 * n_reports is 0..31 (the RC field); reports (borrowed) may be NULL when it
 * is 0. Returns the length written, or MCU_EINVAL for a bad count, a NULL
 * sr or a buffer under 28 + 24 * n_reports bytes.
 */
int rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sr *sr,
		  const struct rtcp_report *reports, int n_reports)
{
	size_t len = report_packet_size(RTCP_SR_FIXED, reports, n_reports);
	if (len == 0 || !sr || cap < len)
		return MCU_EINVAL;
	put_header(buf, (unsigned)n_reports, RTCP_SR, len);
	put32(buf + 4, sr->ssrc);
	put32(buf + 8, (uint32_t)(sr->ntp >> 32));
	put32(buf + 12, (uint32_t)sr->ntp);
	put32(buf + 16, sr->rtp_ts);
	put32(buf + 20, sr->packets);
	put32(buf + 24, sr->octets);
	for (int i = 0; i < n_reports; i++)
		put_report(buf + RTCP_SR_FIXED + (size_t)i * RTCP_REPORT_BLOCK, &reports[i]);
	return (int)len;
}

/* As rtcp_write_sr(), with an 8-byte fixed part. */
int rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
		  const struct rtcp_report *reports, int n_reports)
{
	size_t len = report_packet_size(RTCP_RR_FIXED, reports, n_reports);
	if (len == 0 || cap < len)
		return MCU_EINVAL;
	put_header(buf, (unsigned)n_reports, RTCP_RR, len);
	put32(buf + 4, ssrc);
	for (int i = 0; i < n_reports; i++)
		put_report(buf + RTCP_RR_FIXED + (size_t)i * RTCP_REPORT_BLOCK, &reports[i]);
	return (int)len;
}

/* The 12-byte header every feedback message starts with. */
static void put_feedback(uint8_t *p, unsigned fmt, uint8_t type, size_t len,
			 uint32_t sender_ssrc, uint32_t media_ssrc)
{
	put_header(p, fmt, type, len);
	put32(p + 4, sender_ssrc);
	put32(p + 8, media_ssrc);
}

/* Returns 12, or MCU_EINVAL when cap < 12. */
int rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	if (cap < RTCP_FB_FIXED)
		return MCU_EINVAL;
	put_feedback(buf, RTCP_FMT_PLI, RTCP_PSFB, RTCP_FB_FIXED, sender_ssrc, media_ssrc);
	return RTCP_FB_FIXED;
}

/* Signed distance of s after base, -32768..32767. Sorting by it orders any
 * set of seqs spanning under half the number space, across the wrap. */
static int seq_offset(uint16_t s, uint16_t base)
{
	int d = (uint16_t)(s - base);
	return d >= 0x8000 ? d - 0x10000 : d;
}

/* The smallest offset (from seqs[0]) above floor, or INT_MAX for none. */
static int next_offset(const uint16_t *seqs, int n, int floor)
{
	int best = INT_MAX;
	for (int i = 0; i < n; i++) {
		int d = seq_offset(seqs[i], seqs[0]);
		if (d > floor && d < best)
			best = d;
	}
	return best;
}

/* Bit i of the BLP names offset pid + 1 + i (RFC 4585 6.2.1). */
static uint16_t nack_blp(const uint16_t *seqs, int n, int pid)
{
	uint16_t blp = 0;
	for (int i = 0; i < n; i++) {
		int d = seq_offset(seqs[i], seqs[0]) - pid - 1;
		if (d >= 0 && d < NACK_BLP_BITS)
			blp |= (uint16_t)(1u << d);
	}
	return blp;
}

/*
 * Walks the seqs in wrap-aware order, one entry per PID: the earliest seq
 * not yet covered, plus the 16 after it in the BLP. Duplicates fall into an
 * entry already made. Writes the entries at out unless it is NULL; returns
 * how many there are. Quadratic, but it neither allocates nor touches the
 * caller's const array, and a NACK list is at most a few hundred seqs.
 */
static int nack_walk(const uint16_t *seqs, int n, uint8_t *out)
{
	int entries = 0;
	int pid = next_offset(seqs, n, INT_MIN);
	while (pid != INT_MAX) {
		if (out) {
			uint8_t *e = out + (size_t)entries * NACK_ENTRY;
			put16(e, (uint16_t)(seqs[0] + pid));
			put16(e + 2, nack_blp(seqs, n, pid));
		}
		entries++;
		pid = next_offset(seqs, n, pid + NACK_BLP_BITS);
	}
	return entries;
}

/*
 * seqs (borrowed, n >= 1) in any order, duplicates allowed; they should
 * span less than half the sequence space, as any real loss list does (a
 * wider set is still all NACKed, in an order relative to seqs[0]). The
 * entries never exceed 65536 / 17, so the length field cannot overflow.
 * Returns the length written or MCU_EINVAL.
 */
int rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, int n)
{
	if (n < 1 || !seqs)
		return MCU_EINVAL;
	int entries = nack_walk(seqs, n, NULL);
	size_t len = RTCP_FB_FIXED + (size_t)entries * NACK_ENTRY;
	if (cap < len)
		return MCU_EINVAL;
	put_feedback(buf, RTCP_FMT_NACK, RTCP_RTPFB, len, sender_ssrc, media_ssrc);
	nack_walk(seqs, n, buf + RTCP_FB_FIXED);
	return (int)len;
}

/*
 * The media SSRC is 0, as the REMB draft says; the sources it applies to
 * are the list. The mantissa is the bitrate shifted down (truncated) just
 * far enough to fit 18 bits, so the estimate read back is never above
 * bitrate_bps and below it by less than one part in 2^17. ssrcs (borrowed)
 * may be NULL when n_ssrcs is 0; n_ssrcs is at most 255. Returns the length
 * written or MCU_EINVAL.
 */
int rtcp_write_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t bitrate_bps,
		    const uint32_t *ssrcs, int n_ssrcs)
{
	if (n_ssrcs < 0 || n_ssrcs > REMB_MAX_SSRCS || (n_ssrcs > 0 && !ssrcs))
		return MCU_EINVAL;
	size_t len = REMB_FIXED + (size_t)n_ssrcs * 4;
	if (cap < len)
		return MCU_EINVAL;
	unsigned br_exp = 0;
	while (bitrate_bps >> br_exp >= 1u << REMB_MANTISSA_BITS)
		br_exp++;
	uint32_t mantissa = bitrate_bps >> br_exp;

	put_feedback(buf, RTCP_FMT_AFB, RTCP_PSFB, len, sender_ssrc, 0);
	memcpy(buf + 12, "REMB", 4);
	put32(buf + 16, (uint32_t)n_ssrcs << 24 | br_exp << REMB_MANTISSA_BITS | mantissa);
	for (int i = 0; i < n_ssrcs; i++)
		put32(buf + REMB_FIXED + (size_t)i * 4, ssrcs[i]);
	return (int)len;
}

/*
 * How much of the packet is content: p->len less its RTCP padding when the
 * P bit is set (RFC 3550 6.4.1: the last byte counts the padding, itself
 * included). The padding may not eat into the first min bytes. Returns the
 * content length (>= min), or MCU_EPROTO.
 */
static int content_len(const uint8_t *h, const struct rtcp_packet *p, size_t min)
{
	if (p->len < min)
		return MCU_EPROTO;
	size_t len = p->len;
	if (h[0] & RTCP_PADDING_BIT) {
		uint8_t pad = h[len - 1];
		if (pad == 0 || pad > len - min)
			return MCU_EPROTO;
		len -= pad;
	}
	/* p->len is at most 4 * 65536, far inside int. */
	return (int)len;
}

/*
 * pkt is the datagram p was found in (borrowed); out receives up to max
 * blocks, so max 0 only validates. A packet whose RC claims more blocks
 * than it holds is MCU_EPROTO, even when fewer are asked for; bytes after
 * the blocks (profile-specific extensions) are ignored.
 */
int rtcp_read_reports(const uint8_t *pkt, const struct rtcp_packet *p,
		      struct rtcp_report *out, int max)
{
	if (max < 0 || (max > 0 && !out))
		return MCU_EINVAL;
	if (p->len < RTCP_HEADER)
		return MCU_EPROTO;
	const uint8_t *h = pkt + p->offset;
	if (h[1] != RTCP_SR && h[1] != RTCP_RR)
		return MCU_EINVAL;
	size_t fixed = h[1] == RTCP_SR ? RTCP_SR_FIXED : RTCP_RR_FIXED;
	int len = content_len(h, p, fixed);
	if (len < 0)
		return len;
	int rc = h[0] & 0x1f;
	if ((size_t)len - fixed < (size_t)rc * RTCP_REPORT_BLOCK)
		return MCU_EPROTO;
	int n = rc < max ? rc : max;
	for (int i = 0; i < n; i++)
		get_report(h + fixed + (size_t)i * RTCP_REPORT_BLOCK, &out[i]);
	return n;
}

/*
 * pkt is the datagram p was found in (borrowed). Seqs come out in the
 * packet's order, PID before its BLP bits, up to max of them (the rest are
 * dropped, so size seqs for 17 per entry to get them all). A NACK must
 * carry at least one whole entry (RFC 4585 6.2.1); a partial one is
 * MCU_EPROTO.
 */
int rtcp_read_nack(const uint8_t *pkt, const struct rtcp_packet *p, uint16_t *seqs, int max)
{
	if (max < 0 || (max > 0 && !seqs))
		return MCU_EINVAL;
	if (p->len < RTCP_HEADER)
		return MCU_EPROTO;
	const uint8_t *h = pkt + p->offset;
	if (h[1] != RTCP_RTPFB || (h[0] & 0x1f) != RTCP_FMT_NACK)
		return MCU_EINVAL;
	int len = content_len(h, p, RTCP_FB_FIXED + NACK_ENTRY);
	if (len < 0)
		return len;
	if ((len - RTCP_FB_FIXED) % NACK_ENTRY != 0)
		return MCU_EPROTO;
	int n = 0;
	for (int off = RTCP_FB_FIXED; off < len && n < max; off += NACK_ENTRY) {
		uint16_t pid = get16(h + off);
		uint16_t blp = get16(h + off + 2);
		seqs[n++] = pid;
		for (int bit = 0; bit < NACK_BLP_BITS && n < max; bit++)
			if (blp & 1u << bit)
				seqs[n++] = (uint16_t)(pid + 1 + bit);
	}
	return n;
}

/*
 * pkt is the datagram p was found in (borrowed); *bps is written only on
 * success. An application-layer packet too short to hold an identifier is
 * MCU_EPROTO. The wire can say up to (2^18 - 1) << 63 bit/s; anything
 * beyond 32 bits is read as UINT32_MAX (no estimate, in effect).
 */
int rtcp_read_remb(const uint8_t *pkt, const struct rtcp_packet *p, uint32_t *bps)
{
	if (p->len < RTCP_HEADER)
		return MCU_EPROTO;
	const uint8_t *h = pkt + p->offset;
	if (h[1] != RTCP_PSFB || (h[0] & 0x1f) != RTCP_FMT_AFB)
		return MCU_EINVAL;
	int len = content_len(h, p, RTCP_FB_FIXED + 4);
	if (len < 0)
		return len;
	if (memcmp(h + RTCP_FB_FIXED, "REMB", 4) != 0)
		return MCU_ENOTFOUND;
	if (len < REMB_FIXED || len - REMB_FIXED < 4 * h[16])
		return MCU_EPROTO;
	unsigned br_exp = h[17] >> 2;
	uint32_t mantissa = (uint32_t)(h[17] & 3) << 16 | get16(h + 18);
	if (mantissa == 0)
		*bps = 0;
	else if (br_exp >= 32 || mantissa > UINT32_MAX >> br_exp)
		*bps = UINT32_MAX;
	else
		*bps = mantissa << br_exp;
	return 0;
}

/*
 * Reduced-size RTCP (RFC 5506) is allowed, hence no SR/RR-first rule. On
 * MCU_EPROTO *pos is left where the bad packet starts, so the packets
 * already returned stay valid and a retry fails the same way. The RTCP
 * padding bit is not interpreted: padding is part of the packet's len.
 * An empty datagram simply has no packets (returns 0).
 */
int rtcp_next(const uint8_t *pkt, size_t len, size_t *pos, struct rtcp_packet *out)
{
	if (*pos >= len)
		return 0;
	size_t left = len - *pos;
	const uint8_t *p = pkt + *pos;
	if (left < 4 || p[0] >> 6 != RTP_VERSION)
		return MCU_EPROTO;
	size_t plen = ((size_t)get16(p + 2) + 1) * 4;
	if (plen > left)
		return MCU_EPROTO;

	out->type = p[1];
	out->count = p[0] & 0x1f;
	out->sender_ssrc = plen >= 8 ? get32(p + 4) : 0;
	bool feedback = p[1] == RTCP_RTPFB || p[1] == RTCP_PSFB;
	out->media_ssrc = feedback && plen >= 12 ? get32(p + 8) : 0;
	out->offset = *pos;
	out->len = plen;
	*pos += plen;
	return 1;
}
