/*
 * mp4mux.h - one fragmented MP4 being written with libavformat: an H.264
 * video stream (Annex B access units) and a 48 kHz mono audio stream, AAC
 * packets from codecs/aacenc.h or Opus packets as they came.
 *
 * The file is written with movflags frag_keyframe+empty_moov+
 * default_base_moof and frag_duration 2 s, flushed at every packet: after a
 * crash, all but the last fragment can be read. The header waits for the
 * first keyframe, whose SPS and PPS become the stream's configuration.
 *
 * Errors are returned as codes; the failure's cause with libavformat's
 * reason ("write: No space left on device") is kept for the caller to log,
 * since it knows which recording failed. After an error the muxer is only
 * fit to be destroyed. Owned by one thread (the recorder's).
 */
#ifndef MCU_MP4MUX_H
#define MCU_MP4MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP4MUX_AUDIO_RATE 48000  /* Hz: audio pts count these samples */

struct mp4mux;
struct aacenc;
struct AVPacket;

enum mp4mux_audio { MP4MUX_AAC, MP4MUX_OPUS };

struct mp4mux_config {
	const char *path;             /* the file: made by the caller, written over */
	int width, height;            /* of the video access units */
	int fps;                      /* nominal frame rate (1 to 240) */
	enum mp4mux_audio audio;
	const struct aacenc *aac;     /* MP4MUX_AAC: the encoder whose parameters the
				       * audio stream takes (borrowed for the call) */
};

/*
 * Sets up the muxer and its two streams and opens cfg->path for writing.
 * Returns 0, MCU_EINVAL (a bad config), MCU_ENOMEM or MCU_EIO; on failure
 * *out is NULL and why (why_len bytes, may be 0) holds the cause.
 */
int mp4mux_create(const struct mp4mux_config *cfg, struct mp4mux **out, char *why,
		  size_t why_len);

/* Closes the file, without a trailer unless mp4mux_finish wrote it, and
 * frees the muxer. Accepts NULL. */
void mp4mux_destroy(struct mp4mux *m);

/*
 * At a keyframe (au borrowed, len bytes): takes its SPS and PPS as the
 * video configuration and writes the header. Returns 1 when the file
 * started, 0 when au lacks an SPS or a PPS (wait for another keyframe), or
 * MCU_ENOMEM/MCU_EIO.
 */
int mp4mux_start(struct mp4mux *m, const uint8_t *au, size_t len);

/* Whether mp4mux_start has written the header. */
bool mp4mux_started(const struct mp4mux *m);

/*
 * Writes one access unit (borrowed; followed by AV_INPUT_BUFFER_PADDING_SIZE
 * readable bytes) at t_us µs from the start. Its timestamp is made to grow
 * by at least one 90 kHz tick, since the muxer refuses one that does not.
 * Returns 0, MCU_ENOMEM or MCU_EIO. Only after mp4mux_start.
 */
int mp4mux_write_video(struct mp4mux *m, const uint8_t *au, size_t len, bool key,
		       int64_t t_us);

/*
 * Writes one audio packet (borrowed, unreferenced on return) whose pts,
 * dts and duration count samples at MP4MUX_AUDIO_RATE from the start; the
 * pts must not be negative. Returns 0, MCU_ENOMEM or MCU_EIO. Only after
 * mp4mux_start.
 */
int mp4mux_write_audio(struct mp4mux *m, struct AVPacket *pkt);

/* Writes the last fragment and the trailer. Returns 0, MCU_ENOMEM or
 * MCU_EIO. Only after mp4mux_start; then only mp4mux_destroy. */
int mp4mux_finish(struct mp4mux *m);

/* Bytes written to the file so far. */
uint64_t mp4mux_bytes(const struct mp4mux *m);

/* µs of media written: the end of the latest packet of either stream. */
int64_t mp4mux_duration_us(const struct mp4mux *m);

/* The cause of the last failure ("" if none), valid until the next call. */
const char *mp4mux_error(const struct mp4mux *m);

#endif
