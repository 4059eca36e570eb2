/*
 * rtpsession.h - the RTP session of one participant's transport, written
 * once for both kinds of endpoint (the WebRTC endpoint, endpoint.h; the
 * plain-RTP endpoint, rtpep.h). It holds what comes in: the inbound rate
 * cap, per media kind the receive statistics (RFC 3550, rtpstats.h) and the
 * counters the API shows, the inbound queue to the room (pktq.h) and the
 * time the peer last proved alive; and what goes out: what was sent, for
 * our sender reports (rtcpreport.h). From these it writes the RTCP the
 * endpoints send: reports, PLI and NACK.
 *
 * It sees plain text only and owns no socket: the WebRTC endpoint decrypts
 * before it hands a packet in and protects what the session wrote before
 * sending it; either endpoint sends, and tells the session what left.
 *
 * The retransmission history that answers NACKs is not here: the room keeps
 * one per output profile (mixer/), shared by every receiver of that output.
 *
 * Threads. The receive side (rtpsession_admit, the recv and note functions,
 * rtpsession_write_reports) runs on the one thread that reads the endpoint
 * at a time: its transport thread, or for a plain-RTP sender the room
 * thread. The send side (rtpsession_sent_rtp, rtpsession_write_reports,
 * rtpsession_write_sr) runs under one lock of the caller's, its send lock.
 * The room thread pops the queue. Counters are atomics: any thread.
 */
#ifndef MCU_RTPSESSION_H
#define MCU_RTPSESSION_H

#include "mixer/port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtpsession;
struct endpoint_info;

/* What the negotiation fixed (copied at creation). */
struct rtpsession_params {
	uint32_t ssrc[2];             /* ours, by enum port_media; 0: we never send that kind */
	uint32_t rate[2];             /* each kind's RTP clock rate, Hz, both ways */
	int pts[2][PORT_MAX_PTS];     /* payload types each kind arrives with */
	int n_pts[2];
	int audio_level_ext;          /* extmap id of RFC 6464 audio levels; 0: none */
	int max_packet_rate;          /* inbound datagrams/s; 0: no cap */
};

/* Makes a session: an empty inbound queue (512 packets), a full rate cap,
 * alive as of now. Returns 0, MCU_EINVAL (n_pts out of 0..PORT_MAX_PTS) or
 * MCU_ENOMEM. Thread: any. */
int rtpsession_create(const struct rtpsession_params *p, struct rtpsession **out);

/* Frees s; accepts NULL. Thread: any, once no other uses it. */
void rtpsession_destroy(struct rtpsession *s);

/* May one more datagram arriving at now_us (monotonic) be read? Within
 * max_packet_rate it may; otherwise it is counted as rate limited and the
 * caller drops it unread. Thread: the reading thread. */
bool rtpsession_admit(struct rtpsession *s, int64_t now_us);

/*
 * Takes one plain-text RTP packet (borrowed) that arrived at arrival_us
 * (monotonic), its kind told by its payload type (a bundled transport: the
 * audio types first): counts it in that kind's statistics, notes the peer
 * alive and queues it for the room, with the RFC 6464 level of an audio
 * packet. Returns 0 when queued; otherwise counts the datagram as other and
 * returns MCU_EPROTO (not RTP), MCU_ENOTFOUND (a payload type of neither
 * kind) or MCU_ELIMIT (a payload longer than PORT_MAX_PAYLOAD). Thread:
 * the reading thread.
 */
int rtpsession_recv_rtp(struct rtpsession *s, const uint8_t *pkt, size_t len, int64_t arrival_us);

/* As rtpsession_recv_rtp for a packet whose kind is known by where it came
 * (a plain-RTP endpoint's socket of that kind): its payload type must be
 * one of kind's, or it is MCU_ENOTFOUND. Thread: the reading thread. */
int rtpsession_recv_rtp_on(struct rtpsession *s, enum port_media kind, const uint8_t *pkt,
			   size_t len, int64_t arrival_us);

/*
 * Reads one plain-text RTCP compound (borrowed) that came at now_us
 * (monotonic): notes the peer alive, counts each of its packets, remembers
 * the peer's sender reports on the streams it sends us (for our report
 * blocks), and adds to *fb what it says of our video stream: keyframe
 * requests (PLI naming it, or any FIR), NACKs, REMB, its receiver report's
 * fraction lost. fb is borrowed; the caller holds the lock that guards it.
 * Returns 0, or the error where the compound broke off (the packets before
 * it were read). Thread: the reading thread.
 */
int rtpsession_recv_rtcp(struct rtpsession *s, const uint8_t *pkt, size_t len, int64_t now_us,
			 struct port_feedback *fb);

/* Counts one RTCP datagram left unread (a plain-RTP endpoint takes no
 * feedback: the datagram only proves the peer alive, as of arrival_us).
 * Thread: the reading thread. */
void rtpsession_note_rtcp(struct rtpsession *s, int64_t arrival_us);

/* Counts one inbound datagram of no known kind, or not the peer's. Thread:
 * any. */
void rtpsession_count_other(struct rtpsession *s);

/* Counts one datagram of bytes that left for the peer (media, RTCP or
 * anything else the endpoint sends). Thread: any. */
void rtpsession_count_out(struct rtpsession *s, size_t bytes);

/* Remembers one RTP packet of ours of kind (borrowed, plain text, len >=
 * 12) whose media was captured at capture_us (monotonic), for sender
 * reports. Thread: the room thread, under the caller's send lock. */
void rtpsession_sent_rtp(struct rtpsession *s, enum port_media kind, const uint8_t *pkt,
			 size_t len, int64_t capture_us);

/*
 * Writes a WebRTC endpoint's compound report into buf (cap bytes): an SR
 * for video then one for audio, for each stream we sent, the first
 * carrying report blocks on what we receive (the fraction lost counts
 * since the previous call); an RR with the blocks while we send nothing.
 * now is monotonic µs, wall_us the wall clock. Returns the length, 0 when
 * nothing fit. Thread: the reading thread, under the caller's send lock.
 */
size_t rtpsession_write_reports(struct rtpsession *s, int64_t now, int64_t wall_us, uint8_t *buf,
				size_t cap);

/* Writes the sender report of our kind stream alone (a plain-RTP endpoint
 * sends each on that kind's RTCP port), no block. Returns the length, 0
 * when we sent nothing of that kind or it did not fit. Thread: any, under
 * the caller's send lock. */
size_t rtpsession_write_sr(struct rtpsession *s, enum port_media kind, int64_t now,
			   int64_t wall_us, uint8_t *buf, size_t cap);

/* Writes a PLI from our video SSRC for the peer's video stream into buf.
 * Returns the length, or 0 while no video came from the peer (nothing to
 * name yet: the room asks again when video comes). Thread: any. */
size_t rtpsession_write_pli(struct rtpsession *s, uint8_t *buf, size_t cap);

/* Writes a generic NACK for n sequence numbers (borrowed) of the peer's
 * video stream into buf. Returns the length, or 0 while no video came or
 * nothing fit. Thread: any. */
size_t rtpsession_write_nack(struct rtpsession *s, const uint16_t *seqs, int n, uint8_t *buf,
			     size_t cap);

/* Copies the oldest queued packet into *out. Returns 1, or 0 when the
 * queue is empty. Thread: the room thread. */
int rtpsession_pop(struct rtpsession *s, struct port_packet *out);

/* Monotonic µs of the last RTP or RTCP the session took from the peer, or
 * of its creation. Thread: any. */
int64_t rtpsession_alive_us(struct rtpsession *s);

/* Fills the figures of *out the session counts (audio, video, rtcp_in,
 * other_in, queue_dropped, rate_limited, packets_out, bytes_out); leaves
 * the other fields. Thread: any. */
void rtpsession_info(struct rtpsession *s, struct endpoint_info *out);

#endif
