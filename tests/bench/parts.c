/*
 * parts.c - the benchmark's isolated codec costs: what a room of N senders
 * spends in its codecs alone, measured with the server's own codec modules
 * and settings, so that "MCU / sum of parts" shows the cost of everything
 * else (compositing, scaling, packetizing, sending, the jitter buffers).
 *
 *   parts --media=DIR --senders=4[,9,...] [--seconds=10]
 *
 * Per room size: each of the N clips (DIR/v<i>.h264) decoded alone, as the
 * room decodes it (no deblocking once its tile is half its size or less),
 * and the room's hd and sd pictures (the grid drawn with the mixer's canvas,
 * sd scaled from hd, neither timed) encoded alone with an IDR every 3 s, as
 * the room does for legacy receivers, which cannot ask for one. Audio: Opus
 * decoding of a tone and of silence, and encoding of a 3-tone mix (32
 * kbit/s, complexity 5: the room's encoders). Only the codec call is timed,
 * in thread CPU time, as fast as it goes, or with --paced one video frame
 * each 1/30 s as a room ticks (caches then go cold between frames, as in a
 * room). Prints one JSON object: CPU seconds per second of media of each
 * part.
 */
#include "lgmedia.h"
#include "codecs/acodec.h"
#include "codecs/h264pkt.h"
#include "codecs/vdec.h"
#include "codecs/venc.h"
#include "base/clock.h"
#include "base/err.h"
#include "mixer/canvas.h"
#include "mixer/layout.h"

#include <jansson.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SENDERS 16
#define AU_CAP (1 << 20)
#define IDR_EVERY 90               /* frames: the room's 3 s for legacy receivers */

/* The calling thread's CPU, in seconds. */
static double thread_cpu(void)
{
	return (double)clock_thread_cpu_us() / 1e6;
}

/* Frame f of clip c as one Annex B access unit in au; returns its length. */
static int access_unit(const struct lgclip *c, int f, uint8_t *au)
{
	struct h264_depack d;
	h264pkt_depack_begin(&d, au, AU_CAP);
	for (uint32_t p = c->first[f]; p < c->first[f + 1]; p++)
		h264pkt_depack_add(&d, c->data + c->pkts[p].off, c->pkts[p].len);
	int len = h264pkt_depack_end(&d);
	if (len > 0)
		memset(au + len, 0, VDEC_PADDING);
	return len;
}

struct room_parts {
	double decode[MAX_SENDERS], encode_hd, encode_sd;
};

static int encode(struct venc *e, const AVFrame *pic, int f, double *cpu)
{
	const uint8_t *au;
	size_t len;
	bool idr;
	double t0 = thread_cpu();
	int rc = venc_encode(e, pic, (int64_t)f * 3000, f % IDR_EVERY == 0, &au, &len, &idr);
	*cpu += thread_cpu() - t0;
	return rc;
}

static int room(const struct lgclip *clips, int n, int frames, bool paced, struct room_parts *out)
{
	struct vdec *dec[MAX_SENDERS] = { 0 };
	AVFrame *pic[MAX_SENDERS] = { 0 };
	struct venc *hd = NULL, *sd = NULL;
	struct canvas *cv = NULL;
	struct SwsContext *sws = NULL;
	AVFrame *small = av_frame_alloc();
	uint8_t *au = malloc(AU_CAP + VDEC_PADDING);
	struct layout_rect tiles[MAX_SENDERS];
	memset(out, 0, sizeof(*out));
	int rc = small && au ? canvas_create(&cv) : MCU_ENOMEM;
	struct venc_config vc = { .width = 1280, .height = 720, .fps = 30, .bitrate_kbps = 2000,
				  .preset = "veryfast", .threads = 1, .keyint_max = 300 };
	if (!rc)
		rc = venc_create(&vc, &hd);
	vc.width = 640, vc.height = 360, vc.bitrate_kbps = 700;
	if (!rc)
		rc = venc_create(&vc, &sd);
	if (!rc && layout_tiles(LAYOUT_GRID, n, 0, 1280, 720, tiles) < 0)
		rc = MCU_EINVAL;
	if (!rc)
		rc = canvas_layout(cv, 1280, 720, tiles, n);
	for (int i = 0; !rc && i < n; i++) {
		rc = vdec_create(CODEC_H264, &dec[i]);
		if (!rc && !(pic[i] = av_frame_alloc()))
			rc = MCU_ENOMEM;
	}
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int f = 0; !rc && f < frames; f++) {
		if (paced) { /* one frame each 1/30 s, as a room ticks */
			next.tv_nsec += 33333333;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
		for (int i = 0; !rc && i < n; i++) {
			const struct lgclip *c = &clips[i];
			int len = access_unit(c, f % c->n_frames, au);
			AVFrame *p = NULL;
			double t0 = thread_cpu();
			if (len > 0)
				rc = vdec_decode(dec[i], au, (size_t)len, &p);
			out->decode[i] += thread_cpu() - t0;
			if (!rc && p) {
				/* As the room decodes: no deblocking for a tile at
				 * half size or less (mixvideo.c's compose). */
				vdec_set_fast(dec[i], layout_at_half_or_less(&tiles[i], p->width, p->height));
				av_frame_unref(pic[i]);
				av_frame_ref(pic[i], p);
			}
			if (!rc && pic[i]->data[0])
				rc = canvas_draw(cv, i, pic[i], c, (uint64_t)f + 1);
		}
		if (!rc)
			rc = encode(hd, canvas_frame(cv), f, &out->encode_hd);
		if (!rc)
			rc = canvas_scale(canvas_frame(cv), small, 640, 360, &sws);
		if (!rc)
			rc = encode(sd, small, f, &out->encode_sd);
	}
	double secs = frames / 30.0;
	for (int i = 0; i < n; i++)
		out->decode[i] /= secs;
	out->encode_hd /= secs;
	out->encode_sd /= secs;
	for (int i = 0; i < n; i++) {
		vdec_destroy(dec[i]);
		av_frame_free(&pic[i]);
	}
	venc_destroy(hd);
	venc_destroy(sd);
	canvas_destroy(cv);
	sws_freeContext(sws);
	av_frame_free(&small);
	free(au);
	return rc;
}

/* Opus: decoding a tone and silence, encoding a 3-tone mix; per second. */
static int audio(int seconds, json_t *out)
{
	struct lgclip tone = { 0 }, silence = { 0 };
	struct adec *d1 = NULL, *d2 = NULL;
	struct aenc *e = NULL;
	int rc = lgmedia_make_opus(LGAUDIO_TONE, 440, &tone);
	if (!rc)
		rc = lgmedia_make_opus(LGAUDIO_SILENCE, 0, &silence);
	if (!rc)
		rc = acodec_dec_create(CODEC_OPUS, &d1);
	if (!rc)
		rc = acodec_dec_create(CODEC_OPUS, &d2);
	if (!rc)
		rc = acodec_enc_create(CODEC_OPUS, 32000, &e);
	int16_t pcm[5760];
	uint8_t pkt[1500];
	double dt = 0, ds = 0, en = 0;
	int frames = seconds * 50;
	for (int k = 0; !rc && k < frames; k++) {
		const struct lgpkt *a = &tone.pkts[k % tone.n_frames];
		const struct lgpkt *s = &silence.pkts[k % silence.n_frames];
		double t0 = thread_cpu();
		acodec_dec_decode(d1, tone.data + a->off, a->len, false, pcm, 5760);
		double t1 = thread_cpu();
		acodec_dec_decode(d2, silence.data + s->off, s->len, false, pcm, 5760);
		double t2 = thread_cpu();
		for (int i = 0; i < 960; i++) {
			double t = (double)(k * 960 + i) / 48000.0;
			pcm[i] = (int16_t)(6000 * (sin(2 * M_PI * 440 * t) + sin(2 * M_PI * 540 * t) +
						   sin(2 * M_PI * 670 * t)) / 1.5);
		}
		double t3 = thread_cpu();
		acodec_enc_encode(e, pcm, pkt, sizeof(pkt));
		en += thread_cpu() - t3;
		dt += t1 - t0;
		ds += t2 - t1;
	}
	json_object_set_new(out, "opus_decode_tone", json_real(dt / seconds));
	json_object_set_new(out, "opus_decode_silence", json_real(ds / seconds));
	json_object_set_new(out, "opus_encode", json_real(en / seconds));
	acodec_dec_destroy(d1);
	acodec_dec_destroy(d2);
	acodec_enc_destroy(e);
	lgmedia_free(&tone);
	lgmedia_free(&silence);
	return rc;
}

int main(int argc, char **argv)
{
	const char *media = NULL, *sizes = "4";
	int seconds = 10;
	bool paced = false;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--media=", 8))
			media = argv[i] + 8;
		else if (!strncmp(argv[i], "--senders=", 10))
			sizes = argv[i] + 10;
		else if (!strncmp(argv[i], "--seconds=", 10))
			seconds = atoi(argv[i] + 10);
		else if (!strcmp(argv[i], "--paced"))
			paced = true;
	}
	if (!media || seconds < 1) {
		fprintf(stderr, "usage: parts --media=DIR [--senders=4,9] [--seconds=10] [--paced]\n");
		return 2;
	}
	static struct lgclip clips[MAX_SENDERS];
	int n_clips = 0, rc = 0;
	char path[512];
	for (; n_clips < MAX_SENDERS; n_clips++) {
		snprintf(path, sizeof(path), "%s/v%d.h264", media, n_clips);
		if (lgmedia_load_h264(path, &clips[n_clips]))
			break;
	}
	json_t *out = json_object(), *rooms = json_object();
	json_object_set_new(out, "rooms", rooms);
	for (const char *s = sizes; !rc && *s;) {
		int n = atoi(s);
		if (n < 1 || n > n_clips) {
			fprintf(stderr, "parts: %d senders, %d clips in %s\n", n, n_clips, media);
			rc = MCU_EINVAL;
			break;
		}
		struct room_parts p;
		rc = room(clips, n, seconds * 30, paced, &p);
		json_t *dec = json_array();
		double sum = 0;
		for (int i = 0; i < n; i++) {
			json_array_append_new(dec, json_real(p.decode[i]));
			sum += p.decode[i];
		}
		char key[16];
		snprintf(key, sizeof(key), "%d", n);
		json_object_set_new(rooms, key, json_pack("{s:o, s:f, s:f, s:f}", "decode", dec,
							  "decode_sum", sum, "encode_hd", p.encode_hd,
							  "encode_sd", p.encode_sd));
		const char *comma = strchr(s, ',');
		s = comma ? comma + 1 : s + strlen(s);
	}
	if (!rc)
		rc = audio(seconds * 5, out);
	json_object_set_new(out, "ok", json_boolean(!rc));
	char *text = json_dumps(out, JSON_COMPACT);
	if (text)
		puts(text);
	free(text);
	json_decref(out);
	for (int i = 0; i < n_clips; i++)
		lgmedia_free(&clips[i]);
	return rc ? 1 : 0;
}
