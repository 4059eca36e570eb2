/*
 * lgmedia.h - the load generator's media, made once at start-up: H.264
 * Annex B clips cut into RTP payloads, and Opus packets of tones, silence
 * and a click, all held in memory so that the measured window only replays
 * them (no encoding while the server is measured).
 *
 * A clip is plain data, read-only once made: any number of senders may
 * replay one clip, each with its own SSRC, sequence numbers and timestamps.
 * Thread: any (nothing here keeps state between calls).
 */
#ifndef LG_LGMEDIA_H
#define LG_LGMEDIA_H

#include <stdbool.h>
#include <stdint.h>

/* One RTP payload of a clip: payload bytes at clip->data + off. */
struct lgpkt {
	uint32_t off;
	uint16_t len;
	bool marker;                /* last payload of its frame */
	uint8_t level;              /* audio: RFC 6464 level of the frame's sound, 0 loud..127 */
};

/* A packetized stream that senders loop. Frame i's payloads are
 * pkts[first[i]] .. pkts[first[i + 1] - 1]; an audio frame is one packet. */
struct lgclip {
	uint8_t *data;
	struct lgpkt *pkts;
	uint32_t *first;            /* n_frames + 1 entries */
	int n_frames, n_pkts;
	int cap_pkts;               /* room in pkts (and data, MAX_PAYLOAD each) */
	int fps;                    /* frames per second: 30 (video) or 50 (20 ms audio) */
	uint32_t ts_step;           /* RTP timestamp ticks per frame: 3000 or 960 */
	bool video;
	/* A clip with an event (the flash, the click): the frame that carries
	 * it, and for audio how many samples into that frame's decoded sound
	 * the click starts. event_frame < 0: no event. */
	int event_frame;
	int event_offset;
};

enum lgaudio_kind { LGAUDIO_TONE, LGAUDIO_SILENCE, LGAUDIO_CLICK };

/*
 * Reads an Annex B H.264 file, splits it into access units (an AUD, SPS,
 * PPS or SEI after a slice, or a slice with first_mb_in_slice 0, starts a
 * new one) and cuts each into RTP payloads of at most 1200 bytes
 * (packetization mode 1). The first frame should be an IDR (senders start
 * there). Returns 0, MCU_EIO (unreadable file), MCU_EPROTO (no frames) or
 * MCU_ENOMEM; *out is filled (free with lgmedia_free).
 */
int lgmedia_load_h264(const char *path, struct lgclip *out);

/*
 * Makes one second of 20 ms Opus packets (mono, 48 kHz, 32 kbit/s) that
 * loop without a gap: a tone of freq Hz at -12 dBFS, digital silence, or a
 * quiet 300 Hz tone (-30 dBFS, enough to count as speaking) with a 10 ms
 * 1 kHz burst at -3 dBFS starting at 0.5 s (the click). For the click the
 * packets are decoded again to find where the burst starts in the decoded
 * sound (event_frame, event_offset): the codec's own delay is thus part of
 * the reference, as it would be for a receiver of the sender itself.
 * Returns 0, MCU_EINVAL or MCU_ENOMEM.
 */
int lgmedia_make_opus(enum lgaudio_kind kind, int freq, struct lgclip *out);

/* The clip that carries the flash (lgmedia_load_h264 of the flash file):
 * marks its first bright frame as the event (luma of the first frame's
 * pictures is judged by the caller). Returns 0 or MCU_EPROTO when the clip
 * has no frame index 'frame'. */
int lgmedia_set_event(struct lgclip *c, int frame);

/* Frees what a clip holds and zeroes it; accepts an empty clip. */
void lgmedia_free(struct lgclip *c);

#endif
