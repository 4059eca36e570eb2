/*
 * rtcpreport.h - the RTCP reports an endpoint sends every second (through
 * its RTP session, rtpsession.h): a WebRTC endpoint sends a sender report
 * per stream it sends (RFC 3550 6.4.1), carrying reception report blocks on
 * what it receives, or a receiver report while it sends nothing yet; a
 * plain-RTP endpoint sends each stream's sender report alone, on that
 * stream's RTCP port. It remembers what went out (for the SR's counts and
 * RTP time), the peer's newest sender reports (for LSR/DLSR) and the totals
 * of the previous report (for the fraction lost since then).
 *
 * Two sides with two owners: the receive side (rtcpreport_peer_sr,
 * rtcpreport_blocks) runs on the thread that reads the endpoint only; the
 * send side (rtcpreport_sent, rtcpreport_write, rtcpreport_write_sr) runs
 * on the room thread and the transport thread under one lock of the
 * caller's (the endpoint's send_lock).
 */
#ifndef MCU_RTCPREPORT_H
#define MCU_RTCPREPORT_H

#include "mixer/port.h"

#include <stddef.h>
#include <stdint.h>

struct rtcpreport;
struct rtcp_packet;
struct rtcp_report;
struct rtpstats;

/* Makes the reports of a sender with these SSRCs (ours; 0 for a kind we
 * never send) and RTP clock rates (Hz), both by enum port_media (borrowed,
 * copied). Returns 0 or MCU_ENOMEM. Thread: any. */
int rtcpreport_create(const uint32_t ssrc[2], const uint32_t rate[2], struct rtcpreport **out);

/* Frees r; accepts NULL. Thread: any, once no other uses it. */
void rtcpreport_destroy(struct rtcpreport *r);

/* Counts one RTP packet we send (borrowed, plain text, len >= 12: its
 * header's timestamp is read) whose media was captured at capture_us on the
 * room clock (monotonic µs). Thread: the room thread, under the caller's
 * send lock. */
void rtcpreport_sent(struct rtcpreport *r, enum port_media kind, const uint8_t *pkt, size_t len,
		     int64_t capture_us);

/* Remembers a sender report of the peer (one packet p of the decrypted
 * compound pkt, both borrowed) on a stream it sends us: the one whose SSRC
 * audio_rx or video_rx counts. Other packets are ignored. now is monotonic
 * µs. Thread: the transport thread. */
void rtcpreport_peer_sr(struct rtcpreport *r, const uint8_t *pkt, const struct rtcp_packet *p,
			const struct rtpstats *audio_rx, const struct rtpstats *video_rx,
			int64_t now);

/* Writes the report blocks on what we receive into out (room for two): audio, then
 * video, each only once its stream started; the fraction lost counts since
 * the previous call. now is monotonic µs. Returns how many were written.
 * Thread: the transport thread. */
int rtcpreport_blocks(struct rtcpreport *r, const struct rtpstats *audio_rx,
		      const struct rtpstats *video_rx, int64_t now, struct rtcp_report *out);

/*
 * Writes the compound report into buf (cap bytes): an SR for video then one
 * for audio, each for a stream that has sent a packet, the first carrying
 * the n blocks (borrowed); an RR with them when we send nothing. now is
 * monotonic µs, wall_us the wall clock in µs since the Unix epoch. Returns
 * the length written, 0 when nothing fit. Thread: any, under the caller's
 * send lock.
 */
size_t rtcpreport_write(struct rtcpreport *r, const struct rtcp_report *blocks, int n,
			int64_t now, int64_t wall_us, uint8_t *buf, size_t cap);

/* Writes the sender report of one kind's stream alone, with no report
 * block, into buf (cap bytes). now and wall_us as rtcpreport_write's.
 * Returns the length written, 0 when nothing of that kind was sent or
 * nothing fit. Thread: any, under the caller's send lock. */
size_t rtcpreport_write_sr(struct rtcpreport *r, enum port_media kind, int64_t now,
			   int64_t wall_us, uint8_t *buf, size_t cap);

#endif
