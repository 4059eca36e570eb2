/*
 * loadgen.c - the benchmark's load generator (issue #7): plays participants
 * into one room of a running mcu over loopback and measures what the
 * server spends on them.
 *
 *   loadgen --server=127.0.0.1:PORT --room=NAME --media=DIR [--mcu-pid=PID]
 *           [--step=S,SD,V,A ...] [--talkers=3] [--warmup=4] [--measure=20]
 *           [--latency] [--joins=N] [--seed=N] [--keep-room]
 *
 * Participants are legacy endpoints (plain RTP/AVP offers, RTCP muxed) on
 * 127.0.0.1. Each --step grows the room to S video senders (sendrecv, hd:
 * H.264 720p30 from DIR/v<i>.h264 and a 20 ms Opus stream, a tone for the
 * first --talkers of them and silence for the rest), SD receive-only sd
 * endpoints, V receive-only hd viewers and A audio-only participants
 * (sendrecv; the first --talkers of them talk), waits --warmup seconds and
 * measures --measure seconds: the server's CPU (utime + stime of --mcu-pid)
 * per second of media, its busiest thread, the room's mixer counters
 * (GET /api/rooms/{room}) and what each kind of endpoint received.
 *
 * --latency makes video sender 0 play DIR/flash.h264 (black, white from
 * frame 15 of each second) with a click at 0.5 s of each second (everyone
 * else is then silent) and adds one receive-only hd endpoint that
 * decodes the composite and the mix: over the last step's window, the
 * delay the server adds to the flash and to the click is the arrival of
 * the event in the room's output less its sending time. That sender's clock
 * runs slow by 1/(rate x window), so the phase of its frames against the
 * room's ticks goes once round in the window (a constant phase would make
 * the figure depend on luck). --joins then times N joins of a receive-only
 * hd endpoint at random moments: from the POST to the first decoded picture
 * (a keyframe: the server starts every receiver at one).
 *
 * The result is one JSON object on stdout; progress goes to stderr.
 */
#include "lghttp.h"
#include "lgmedia.h"
#include "lgnet.h"
#include "lgproc.h"
#include "base/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_STEPS 8
#define MAX_EPS 1100
#define MAX_CLIPS 16
#define FLASH_FRAME 15
#define MAX_JOINS 64
#define JOIN_WAIT_US 3000000

enum ep_class { C_SENDER, C_SD, C_VIEWER, C_AUDIO, C_PROBE, C_COUNT };
static const char *const class_name[C_COUNT] = { "senders", "sd", "viewers", "audio", "probe" };

/* Tones that are not harmonics, sums or differences of each other. */
static const int tones[] = { 440, 540, 670, 770, 930, 1070, 1210, 1330, 1470, 1590, 1730, 1870 };

struct options {
	struct lgserver server;
	const char *room, *media;
	int mcu_pid, talkers, joins;
	double warmup, measure;
	bool latency, keep_room;
	unsigned seed;
	int n_steps;
	int steps[MAX_STEPS][4];              /* senders, sd, viewers, audio */
};

struct endpoint {
	int net;                              /* index in the net */
	enum ep_class cls;
	char id[64];
};

struct bench {
	struct options o;
	struct lgnet *net;
	struct lgclip video[MAX_CLIPS], flash, silence, click;
	struct lgclip tone[sizeof(tones) / sizeof(tones[0])];
	int n_video;
	struct endpoint eps[MAX_EPS];
	int n_eps;
	int count[C_COUNT];
	json_t *out;
};

static void sleep_us(int64_t us)
{
	if (us <= 0)
		return;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static int usage(void)
{
	fprintf(stderr, "usage: loadgen --server=HOST:PORT --room=NAME --media=DIR [--mcu-pid=PID]\n"
		"  [--step=SENDERS,SD,VIEWERS,AUDIO ...] [--talkers=3] [--warmup=S] [--measure=S]\n"
		"  [--latency] [--joins=N] [--seed=N] [--keep-room]\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .talkers = 3, .warmup = 4, .measure = 20, .seed = 7 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = strchr(a, '=');
		v = v ? v + 1 : "";
		if (!strncmp(a, "--server=", 9)) {
			if (lghttp_parse_server(v, &o->server))
				return usage();
		} else if (!strncmp(a, "--room=", 7)) {
			o->room = v;
		} else if (!strncmp(a, "--media=", 8)) {
			o->media = v;
		} else if (!strncmp(a, "--mcu-pid=", 10)) {
			o->mcu_pid = atoi(v);
		} else if (!strncmp(a, "--talkers=", 10)) {
			o->talkers = atoi(v);
		} else if (!strncmp(a, "--joins=", 8)) {
			o->joins = atoi(v) < MAX_JOINS ? atoi(v) : MAX_JOINS;
		} else if (!strncmp(a, "--warmup=", 9)) {
			o->warmup = atof(v);
		} else if (!strncmp(a, "--measure=", 10)) {
			o->measure = atof(v);
		} else if (!strncmp(a, "--seed=", 7)) {
			o->seed = (unsigned)atoi(v);
		} else if (!strcmp(a, "--latency")) {
			o->latency = true;
		} else if (!strcmp(a, "--keep-room")) {
			o->keep_room = true;
		} else if (!strncmp(a, "--step=", 7) && o->n_steps < MAX_STEPS) {
			int *s = o->steps[o->n_steps++];
			if (sscanf(v, "%d,%d,%d,%d", &s[0], &s[1], &s[2], &s[3]) != 4)
				return usage();
		} else {
			return usage();
		}
	}
	if (!o->server.port || !o->room || !o->media || (!o->n_steps && !o->joins))
		return usage();
	return 0;
}

/* ---- media ------------------------------------------------------------- */

static int load_media(struct bench *b)
{
	char path[512];
	int max_senders = 0;
	for (int i = 0; i < b->o.n_steps; i++)
		if (b->o.steps[i][0] > max_senders)
			max_senders = b->o.steps[i][0];
	for (int i = 0; i < MAX_CLIPS; i++) {
		snprintf(path, sizeof(path), "%s/v%d.h264", b->o.media, i);
		if (access(path, R_OK))
			break;
		int rc = lgmedia_load_h264(path, &b->video[i]);
		if (rc) {
			fprintf(stderr, "loadgen: %s: %s\n", path, err_str(rc));
			return rc;
		}
		b->n_video++;
	}
	if (b->n_video == 0 && max_senders > 0) {
		fprintf(stderr, "loadgen: no %s/v0.h264\n", b->o.media);
		return MCU_EIO;
	}
	int rc = lgmedia_make_opus(LGAUDIO_SILENCE, 0, &b->silence);
	for (size_t i = 0; !rc && i < sizeof(tones) / sizeof(tones[0]); i++)
		rc = lgmedia_make_opus(LGAUDIO_TONE, tones[i], &b->tone[i]);
	if (!rc && b->o.latency) {
		snprintf(path, sizeof(path), "%s/flash.h264", b->o.media);
		rc = lgmedia_load_h264(path, &b->flash);
		if (!rc)
			rc = lgmedia_set_event(&b->flash, FLASH_FRAME);
		if (!rc)
			rc = lgmedia_make_opus(LGAUDIO_CLICK, 0, &b->click);
	}
	if (rc)
		fprintf(stderr, "loadgen: making media: %s\n", err_str(rc));
	return rc;
}

/* ---- joining ----------------------------------------------------------- */

/* Tile 0 of the grid of n senders at 1280x720, its middle half. */
static void tile0_middle(int n, struct lgep_config *c)
{
	int cols = n <= 1 ? 1 : n == 2 ? 2 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
	int rows = n <= 2 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
	int w = 1280 / cols, h = 720 / rows;
	c->luma_x = w / 4;
	c->luma_y = h / 4;
	c->luma_w = w / 2;
	c->luma_h = h / 2;
	if (cols == 2 && rows == 1) { /* a 16:9 picture in a 640x720 tile: the middle band */
		c->luma_y = 270;
		c->luma_h = 180;
	}
}

static int join(struct bench *b, enum ep_class cls, int nth, int64_t *posted_us)
{
	struct lgep_config c = { 0 };
	const char *profile = cls == C_SD ? "sd" : "hd";
	bool sends = cls == C_SENDER || cls == C_AUDIO;
	int ntone = (int)(sizeof(tones) / sizeof(tones[0]));
	if (cls == C_SENDER) {
		bool flash = b->o.latency && nth == 0;
		/* The flash sender's clock is slow just enough that its frames'
		 * phase against the room's ticks (33.3 ms video, 20 ms audio) goes
		 * once round in the window: the delays then cover every phase. */
		if (flash && b->o.measure > 0) {
			c.slow_ppm[LG_VIDEO] = (int)(1e6 / (30 * b->o.measure));
			c.slow_ppm[LG_AUDIO] = (int)(1e6 / (50 * b->o.measure));
		}
		c.video = flash ? &b->flash : &b->video[nth % b->n_video];
		c.audio = flash ? &b->click : !b->o.latency && nth < b->o.talkers ? &b->tone[nth % ntone]
										     : &b->silence;
	} else if (cls == C_AUDIO) {
		c.audio = !b->o.latency && nth < b->o.talkers ? &b->tone[nth % ntone] : &b->silence;
	}
	c.video_port = cls != C_AUDIO;
	c.audio_port = true;
	if (cls == C_PROBE) {
		c.decode_video = true;
		c.decode_audio = b->o.latency;
		tile0_middle(b->count[C_SENDER], &c);
	}
	if (b->n_eps == MAX_EPS)
		return MCU_ELIMIT;
	struct endpoint *e = &b->eps[b->n_eps];
	int vport = 0, aport = 0;
	e->net = lgnet_add(b->net, &c, &vport, &aport);
	if (e->net < 0)
		return e->net;
	char name[32], err[300];
	snprintf(name, sizeof(name), "%s-%d", class_name[cls], nth);
	struct lgjoin_req req = { b->o.room, name, profile, vport, aport, sends };
	struct lgjoin_res res;
	if (posted_us)
		*posted_us = lgnet_now_us();
	int rc = lghttp_join(&b->o.server, &req, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "loadgen: join %s: %s\n", name, err);
		return rc;
	}
	snprintf(e->id, sizeof(e->id), "%s", res.id);
	e->cls = cls;
	if (sends)
		lgnet_send_to(b->net, e->net, res.video_port, res.audio_port);
	else
		lgnet_report_to(b->net, e->net, res.video_port, res.audio_port);
	b->n_eps++;
	b->count[cls]++;
	return 0;
}

static int grow(struct bench *b, const int *want)
{
	static const enum ep_class order[4] = { C_SENDER, C_SD, C_VIEWER, C_AUDIO };
	for (int k = 0; k < 4; k++)
		while (b->count[order[k]] < want[k]) {
			int rc = join(b, order[k], b->count[order[k]], NULL);
			if (rc)
				return rc;
		}
	if (b->o.latency && !b->count[C_PROBE])
		return join(b, C_PROBE, 0, NULL);
	return 0;
}

/* ---- measuring --------------------------------------------------------- */

struct window {
	struct lgproc_sample cpu[2];
	struct lgmixer mix[2];
	struct lgep_stats *st[2];
};

static int snapshot(struct bench *b, struct window *w, int i)
{
	int rc = 0;
	if (i == 0)
		rc = lghttp_mixer(&b->o.server, b->o.room, &w->mix[0]);
	w->st[i] = calloc((size_t)b->n_eps + 1, sizeof(*w->st[i]));
	if (!w->st[i])
		return MCU_ENOMEM;
	if (!rc)
		rc = lgproc_sample(b->o.mcu_pid, &w->cpu[i]);
	for (int k = 0; k < b->n_eps; k++)
		lgnet_get_stats(b->net, b->eps[k].net, &w->st[i][k]);
	if (!rc && i == 1)
		rc = lghttp_mixer(&b->o.server, b->o.room, &w->mix[1]);
	return rc;
}

/* Per class: the least and mean video frames/s and audio packets/s an
 * endpoint received, and the packets lost. */
static json_t *rx_json(struct bench *b, struct window *w, double secs)
{
	json_t *o = json_object();
	for (int c = 0; c < C_COUNT; c++) {
		int n = 0;
		double vmin = 1e9, amin = 1e9, vsum = 0, asum = 0;
		uint64_t lost = 0, late = 0, vpk = 0, apk = 0;
		for (int k = 0; k < b->n_eps; k++) {
			if (b->eps[k].cls != (enum ep_class)c)
				continue;
			const struct lgep_stats *x = &w->st[0][k], *y = &w->st[1][k];
			double v = (double)(y->rx[LG_VIDEO].frames - x->rx[LG_VIDEO].frames) / secs;
			double a = (double)(y->rx[LG_AUDIO].packets - x->rx[LG_AUDIO].packets) / secs;
			vmin = v < vmin ? v : vmin;
			amin = a < amin ? a : amin;
			vsum += v;
			asum += a;
			lost += y->rx[0].lost - x->rx[0].lost + y->rx[1].lost - x->rx[1].lost;
			vpk += y->rx[LG_VIDEO].packets - x->rx[LG_VIDEO].packets;
			apk += y->rx[LG_AUDIO].packets - x->rx[LG_AUDIO].packets;
			late += y->late_resyncs - x->late_resyncs;
			n++;
		}
		if (!n)
			continue;
		json_object_set_new(o, class_name[c], json_pack(
			"{s:i, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}", "n", n, "video_fps_min", vmin,
			"video_fps_mean", vsum / n, "audio_pps_min", amin, "audio_pps_mean", asum / n,
			"video_packets", (json_int_t)vpk, "audio_packets", (json_int_t)apk,
			"lost", (json_int_t)lost, "send_resyncs", (json_int_t)late));
	}
	return o;
}

static json_t *mixer_json(const struct lgmixer *m)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "participants", m->participants, "video_decoders", m->video_decoders,
			 "audio_decoders", m->audio_decoders, "video_encoders", m->video_encoders,
			 "audio_encoders", m->audio_encoders, "tiles", m->tiles, "profiles", m->profiles,
			 "ticks", (json_int_t)m->ticks, "overruns", (json_int_t)m->overruns,
			 "frames_encoded", (json_int_t)m->frames_encoded,
			 "keyframes", (json_int_t)m->keyframes, "tick_us_last", (json_int_t)m->tick_us_last,
			 "tick_us_max", (json_int_t)m->tick_us_max,
			 "dropped_packets", (json_int_t)m->dropped_packets);
}

static json_t *window_json(struct bench *b, struct window *w, const int *step)
{
	const struct lgproc_sample *x = &w->cpu[0], *y = &w->cpu[1];
	double secs = (double)(y->at_us - x->at_us) / 1e6;
	int tid = 0;
	double top = lgproc_top_thread(x, y, &tid);
	double mcu = y->cpu_s - x->cpu_s, self = y->self_s - x->self_s;
	double other = (y->machine_busy_s - x->machine_busy_s) - mcu - self;
	const struct lgmixer *m0 = &w->mix[0], *m1 = &w->mix[1];
	json_t *o = json_pack("{s:[iiii], s:f, s:f, s:f, s:f, s:i, s:f, s:f}",
			      "step", step[0], step[1], step[2], step[3], "window_s", secs,
			      "mcu_cpu_s", mcu, "mcu_cpu_per_s", mcu / secs, "top_thread_per_s", top / secs,
			      "top_thread_tid", tid, "loadgen_cpu_per_s", self / secs,
			      "other_cpu_per_s", other / secs);
	json_object_set_new(o, "mixer", mixer_json(m1));
	json_object_set_new(o, "video_codecs_per_s", json_pack(
		"{s:f, s:f}", "decode", (double)(m1->decode_us - m0->decode_us) / 1e6 / secs,
		"encode", (double)(m1->encode_us - m0->encode_us) / 1e6 / secs));
	json_object_set_new(o, "delta", json_pack(
		"{s:I, s:I, s:I, s:I, s:I}", "ticks", (json_int_t)(m1->ticks - m0->ticks),
		"overruns", (json_int_t)(m1->overruns - m0->overruns),
		"frames_encoded", (json_int_t)(m1->frames_encoded - m0->frames_encoded),
		"keyframes", (json_int_t)(m1->keyframes - m0->keyframes),
		"dropped_packets", (json_int_t)(m1->dropped_packets - m0->dropped_packets)));
	json_object_set_new(o, "rx", rx_json(b, w, secs));
	return o;
}

static int measure(struct bench *b, const int *step, json_t *list)
{
	struct window w = { 0 };
	sleep_us((int64_t)(b->o.warmup * 1e6));
	int rc = snapshot(b, &w, 0);
	if (!rc) {
		sleep_us((int64_t)(b->o.measure * 1e6));
		rc = snapshot(b, &w, 1);
	}
	if (!rc) {
		json_t *o = window_json(b, &w, step);
		fprintf(stderr, "loadgen: step %d,%d,%d,%d: mcu %.3f CPU-s/s, overruns %lld\n", step[0],
			step[1], step[2], step[3], json_real_value(json_object_get(o, "mcu_cpu_per_s")),
			(long long)(w.mix[1].overruns - w.mix[0].overruns));
		json_array_append_new(list, o);
	}
	free(w.st[0]);
	free(w.st[1]);
	return rc;
}

/* ---- latency and joins ------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median, p95 (nearest rank) and max of n values in µs, as ms. */
static json_t *dist_json(int64_t *v, int n)
{
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_real((double)v[i] / 1000.0));
	if (!n)
		return json_pack("{s:i, s:o}", "n", 0, "ms", list);
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	int p95 = (int)((95 * n + 99) / 100) - 1;
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:o}", "n", n, "median_ms", (double)v[n / 2] / 1000.0,
			 "p95_ms", (double)v[p95] / 1000.0, "min_ms", (double)v[0] / 1000.0,
			 "max_ms", (double)v[n - 1] / 1000.0, "ms", list);
}

/* Each received event less the latest sent one before it (within 900 ms),
 * for events from `from_us` on. */
static json_t *delays(struct bench *b, int sender, int probe, enum lgmedia_kind kind, int64_t from_us)
{
	static int64_t sent[512], got[512], d[512];
	int ns = lgnet_events(b->net, sender, kind, true, sent, 512);
	int ng = lgnet_events(b->net, probe, kind, false, got, 512);
	int n = 0;
	for (int i = 0; i < ng; i++) {
		if (got[i] < from_us)
			continue;
		int64_t best = -1;
		for (int j = 0; j < ns; j++)
			if (sent[j] <= got[i] && got[i] - sent[j] < 900000)
				best = sent[j];
		if (best >= 0)
			d[n++] = got[i] - best;
	}
	return dist_json(d, n);
}

static int run_joins(struct bench *b)
{
	int64_t total[MAX_JOINS], post[MAX_JOINS], first_pkt[MAX_JOINS], first_key[MAX_JOINS];
	int n = 0, failed = 0;
	for (int j = 0; j < b->o.joins; j++) {
		int64_t t0 = 0;
		int rc = join(b, C_PROBE, 100 + j, &t0);
		if (rc)
			return rc;
		int64_t t1 = lgnet_now_us();
		struct endpoint *e = &b->eps[b->n_eps - 1];
		struct lgep_stats st;
		for (int64_t end = t1 + JOIN_WAIT_US; lgnet_now_us() < end; sleep_us(1000)) {
			lgnet_get_stats(b->net, e->net, &st);
			if (st.first_picture_us)
				break;
		}
		lgnet_get_stats(b->net, e->net, &st);
		if (st.first_picture_us) {
			total[n] = st.first_picture_us - t0;
			post[n] = t1 - t0;
			first_pkt[n] = st.rx[LG_VIDEO].first_us - t0;
			first_key[n] = st.rx[LG_VIDEO].first_key_us - t0;
			n++;
		} else {
			failed++;
		}
		lghttp_leave(&b->o.server, b->o.room, e->id);
		e->cls = C_COUNT; /* gone: no class */
		/* Joins at random moments, as people join: some land just after a
		 * keyframe and wait for the next allowed one. */
		sleep_us(700000 + (int64_t)(rand_r(&b->o.seed) % 700) * 1000);
	}
	json_t *o = json_pack("{s:i, s:i}", "joins", b->o.joins, "failed", failed);
	json_object_set_new(o, "first_picture", dist_json(total, n));
	json_object_set_new(o, "post_answer", dist_json(post, n));
	json_object_set_new(o, "first_packet", dist_json(first_pkt, n));
	json_object_set_new(o, "first_keyframe_arrival", dist_json(first_key, n));
	json_object_set_new(b->out, "join", o);
	return 0;
}

static int run(struct bench *b)
{
	json_t *steps = json_array();
	json_object_set_new(b->out, "steps", steps);
	int rc = 0;
	int64_t window_from = 0;
	for (int s = 0; !rc && s < b->o.n_steps; s++) {
		rc = grow(b, b->o.steps[s]);
		window_from = lgnet_now_us() + (int64_t)(b->o.warmup * 1e6);
		if (!rc)
			rc = measure(b, b->o.steps[s], steps);
	}
	if (!rc && b->o.latency) {
		int sender = -1, probe = -1;
		for (int k = 0; k < b->n_eps; k++) {
			if (b->eps[k].cls == C_SENDER && sender < 0)
				sender = b->eps[k].net;
			if (b->eps[k].cls == C_PROBE && probe < 0)
				probe = b->eps[k].net;
		}
		json_t *lat = json_object();
		json_object_set_new(lat, "video", delays(b, sender, probe, LG_VIDEO, window_from));
		json_object_set_new(lat, "audio", delays(b, sender, probe, LG_AUDIO, window_from));
		json_object_set_new(b->out, "latency", lat);
	}
	if (!rc && b->o.joins)
		rc = run_joins(b);
	return rc;
}

int main(int argc, char **argv)
{
	static struct bench b;
	int rc = parse_args(argc, argv, &b.o);
	if (rc)
		return rc;
	b.out = json_pack("{s:s, s:i}", "room", b.o.room, "talkers", b.o.talkers);
	rc = load_media(&b);
	if (!rc)
		rc = lgnet_create(MAX_EPS, b.o.seed, &b.net);
	if (!rc)
		rc = lgnet_start(b.net);
	if (!rc)
		rc = run(&b);
	if (!b.o.keep_room)
		lghttp_delete_room(&b.o.server, b.o.room);
	lgnet_destroy(b.net);
	json_object_set_new(b.out, "ok", json_boolean(!rc));
	if (rc)
		json_object_set_new(b.out, "error", json_string(err_str(rc)));
	char *text = json_dumps(b.out, JSON_COMPACT);
	if (text)
		puts(text);
	free(text);
	json_decref(b.out);
	for (int i = 0; i < MAX_CLIPS; i++)
		lgmedia_free(&b.video[i]);
	for (size_t i = 0; i < sizeof(tones) / sizeof(tones[0]); i++)
		lgmedia_free(&b.tone[i]);
	lgmedia_free(&b.flash);
	lgmedia_free(&b.silence);
	lgmedia_free(&b.click);
	return rc ? 1 : 0;
}
