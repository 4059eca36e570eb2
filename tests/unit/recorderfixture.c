/*
 * recorderfixture.c - see recorderfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "recorderfixture.h"

#include "base/clock.h"
#include "codecs/opuscodec.h"
#include "codecs/venc.h"

#include <ftw.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* assert_in_range compares as unsigned; these values can be negative. */
void recorderfixture_assert_near(double v, double want, double tol)
{
	if (fabs(v - want) > tol)
		fail_msg("%.4f is not within %.3f of %.4f", v, tol, want);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int recorderfixture_setup(void **state)
{
	struct recorderfixture_fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/recorder_test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct venc_config vc = {
		.width = W, .height = H, .fps = FPS, .bitrate_kbps = 300,
		.preset = "ultrafast", .threads = 1, .keyint_max = 0,
	};
	assert_int_equal(venc_create(&vc, &f->enc), 0);
	f->pic = av_frame_alloc();
	assert_non_null(f->pic);
	f->pic->format = AV_PIX_FMT_YUV420P;
	f->pic->width = W;
	f->pic->height = H;
	assert_int_equal(av_frame_get_buffer(f->pic, 0), 0);
	/* Solid orange. */
	for (int r = 0; r < H; r++)
		memset(f->pic->data[0] + (size_t)r * f->pic->linesize[0], 150, W);
	for (int r = 0; r < H / 2; r++) {
		memset(f->pic->data[1] + (size_t)r * f->pic->linesize[1], 60, W / 2);
		memset(f->pic->data[2] + (size_t)r * f->pic->linesize[2], 200, W / 2);
	}
	*state = f;
	return 0;
}

int recorderfixture_teardown(void **state)
{
	struct recorderfixture_fx *f = *state;
	venc_destroy(f->enc);
	opuscodec_enc_destroy(f->opus);
	av_frame_free(&f->pic);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct recorder_config recorderfixture_config(const char *dir, enum recorder_audio audio)
{
	return (struct recorder_config){
		.dir = dir, .room = "lobby", .width = W, .height = H, .fps = FPS,
		.audio = audio, .queue_packets = 1024,
	};
}

/* Encodes the next picture; the access unit is borrowed until the next call. */
void recorderfixture_encode(struct recorderfixture_fx *f, bool force_idr,
			    const uint8_t **au, size_t *len, bool *idr)
{
	assert_int_equal(venc_encode(f->enc, f->pic, f->frames * (90000 / FPS), force_idr, au,
				     len, idr), 0);
	assert_true(*len > 0);
	f->frames++;
}

void recorderfixture_sine(struct recorderfixture_fx *f, int16_t *pcm, int n)
{
	for (int i = 0; i < n; i++) {
		pcm[i] = (int16_t)(12000 * sin(f->phase));
		f->phase += 2 * M_PI * 440 / 48000;
	}
}

void recorderfixture_push_until(struct recorderfixture_fx *f, struct recorder *r,
				enum recorder_audio audio, struct recorderfixture_clocks *c,
				int64_t to_us)
{
	for (int n = 0;; n++) {
		bool video = c->video_us <= c->audio_us;
		int64_t t = video ? c->video_us : c->audio_us;
		if (t >= to_us)
			return;
		if (video) {
			const uint8_t *au;
			size_t len;
			bool idr;
			bool force = c->idr_every && c->pushed_pictures % c->idr_every == 0;
			recorderfixture_encode(f, force, &au, &len, &idr);
			assert_int_equal(idr, force || f->frames == 1);
			recorder_push_video(r, au, len, idr, t);
			c->pushed_pictures++;
			c->video_us += FRAME_US;
		} else {
			int16_t pcm[CHUNK];
			recorderfixture_sine(f, pcm, CHUNK);
			if (audio == RECORDER_AAC) {
				recorder_push_pcm(r, pcm, CHUNK, t);
			} else {
				uint8_t pkt[OPUS_MAX_PACKET];
				int len = opuscodec_enc_encode(f->opus, pcm, pkt, sizeof(pkt));
				assert_true(len > 0);
				recorder_push_opus(r, pkt, (size_t)len, t);
			}
			c->audio_us += CHUNK_US;
		}
		if (n % 32 == 31)
			usleep(1000);
	}
}

void recorderfixture_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

void recorderfixture_wait_state(struct recorder *r, enum recorder_state want)
{
	struct recorder_status st;
	for (int i = 0; i < 500; i++) {
		recorder_get_status(r, &st);
		if (st.state == want)
			return;
		recorderfixture_sleep_ms(10);
	}
	fail_msg("state %s, not %s", recorder_state_name(st.state), recorder_state_name(want));
}

static double secs(int64_t ts, AVRational tb)
{
	return ts == AV_NOPTS_VALUE ? NAN : (double)ts * av_q2d(tb);
}

/* Opens path with libavformat, as ffprobe would, and demuxes every packet. */
void recorderfixture_probe(const char *path, struct recorderfixture_probe *p)
{
	memset(p, 0, sizeof(*p));
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	p->duration = ic->duration == AV_NOPTS_VALUE ? NAN : (double)ic->duration / AV_TIME_BASE;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		const AVStream *st = ic->streams[i];
		const AVCodecParameters *par = st->codecpar;
		if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
			p->has_video = true;
			p->vcodec = par->codec_id;
			p->width = par->width;
			p->height = par->height;
			p->vstart = secs(st->start_time, st->time_base);
		} else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
			p->has_audio = true;
			p->acodec = par->codec_id;
			p->sample_rate = par->sample_rate;
			p->channels = par->ch_layout.nb_channels;
			p->astart = secs(st->start_time, st->time_base);
		}
	}
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	while (av_read_frame(ic, pkt) >= 0) {
		if (ic->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			if (p->vpackets++ == 0) {
				p->first_video_key = pkt->flags & AV_PKT_FLAG_KEY;
				p->first_video_pts = pkt->pts;
			}
		} else {
			p->apackets++;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&ic);
}

uint64_t recorderfixture_file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

json_t *recorderfixture_load_sidecar(const char *mp4)
{
	char path[512];
	snprintf(path, sizeof(path), "%s.json", mp4);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

const char *recorderfixture_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

void recorderfixture_path_of(const struct recorderfixture_fx *f, const char *sub,
			     const struct recorder_status *st, char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s", f->dir, sub, st->file);
}
