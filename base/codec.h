/*
 * codec.h - the codecs the server speaks, as ids: audio (Opus, G.722, G.711
 * PCMU and PCMA) and video (H.264, VP8), with their names as a=rtpmap
 * writes them and what RTP says of each audio codec.
 *
 * Plain data in base/: signaling reads a codec's name once, with the parsers
 * here, and from there the ids travel through every layer (the negotiation,
 * the endpoint parameters, mixer/port.h, the coders in codecs/), which
 * compare ids and no words.
 */
#ifndef MCU_CODEC_H
#define MCU_CODEC_H

enum codec_audio { CODEC_OPUS = 0, CODEC_G722 = 1, CODEC_PCMU = 2, CODEC_PCMA = 3 };
#define CODEC_AUDIO_COUNT 4

enum codec_video { CODEC_H264 = 0, CODEC_VP8 = 1 };
#define CODEC_VIDEO_COUNT 2

/* "opus", "G722", "PCMU" or "PCMA" (as in a=rtpmap); "unknown" for an id
 * out of range. Static. Thread: any. */
const char *codec_audio_name(enum codec_audio id);

/* Parses an rtpmap encoding name, in any case (SDP's names are
 * case-insensitive, RFC 4855): "opus", "G722", "PCMU", "PCMA". Returns 0, or
 * MCU_EUNSUPPORTED (also for NULL) and leaves *out untouched. Thread: any. */
int codec_audio_parse(const char *name, enum codec_audio *out);

/* The RTP clock rate in Hz: 48000 for Opus, 8000 for the others (G.722's
 * too, although it samples at 16 kHz: RFC 3551's historical value). 0 for
 * an id out of range. Thread: any. */
int codec_audio_rtp_clock(enum codec_audio id);

/* The static payload type of RFC 3551 (0 PCMU, 8 PCMA, 9 G722), -1 for Opus
 * (always dynamic) and for an id out of range. Thread: any. */
int codec_audio_static_pt(enum codec_audio id);

/* "H264" or "VP8" (as in a=rtpmap); "unknown" for an id out of range.
 * Static. Thread: any. */
const char *codec_video_name(enum codec_video id);

/* Parses an rtpmap encoding name, in any case: "H264" or "VP8". Returns 0,
 * or MCU_EUNSUPPORTED (also for NULL) and leaves *out untouched. Thread: any. */
int codec_video_parse(const char *name, enum codec_video *out);

#endif
