/*
 * metrics.c - see metrics.h. Health as JSON; /metrics as Prometheus text
 * written into one buffer sized from the number of rooms, each sample with
 * its HELP and TYPE lines.
 */
#include "metrics.h"
#include "apijson.h"
#include "base/clock.h"
#include "mcu/registry.h"
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>

int metrics_health(const struct signaling_env *env, struct httpmsg_reply *reply)
{
	struct registry_totals t;
	registry_totals(env->registry, &t);
	json_int_t uptime = (clock_now_us() - env->started_us) / 1000000;
	return apijson_reply(reply, 200, json_pack("{s:s, s:s, s:i, s:i, s:I}", "status", "ok",
						   "version", env->version, "rooms", t.rooms,
						   "participants", t.participants, "uptime_s", uptime));
}

/* Appends one Prometheus sample with its HELP and TYPE lines. */
static size_t metric(char *buf, size_t size, size_t n, const char *name, const char *type,
		     const char *help, const char *labels, double value)
{
	if (n >= size)
		return n;
	int w = snprintf(buf + n, size - n, "# HELP %s %s\n# TYPE %s %s\n%s%s %.17g\n", name, help,
			 name, type, name, labels, value);
	return n + (w > 0 ? (size_t)w : 0);
}

/* One per-room family: its HELP and TYPE, then a sample per room. */
static size_t room_family(char *buf, size_t size, size_t n, const char *name, const char *type,
			  const char *help, const struct room_info *rooms, int n_rooms,
			  double (*value)(const struct mix_stats *))
{
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "# HELP %s %s\n# TYPE %s %s\n", name, help,
				      name, type);
	for (int i = 0; i < n_rooms && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s{room=\"%s\"} %.17g\n", name,
				      rooms[i].name, value(&rooms[i].mixer));
	return n;
}

static double m_vdec(const struct mix_stats *s) { return s->video_decoders; }
static double m_adec(const struct mix_stats *s) { return s->audio_decoders; }
static double m_venc(const struct mix_stats *s) { return s->video_encoders; }
static double m_aenc(const struct mix_stats *s) { return s->audio_encoders; }
static double m_tick(const struct mix_stats *s) { return (double)s->tick_us_last / 1e6; }
static double m_tick_max(const struct mix_stats *s) { return (double)s->tick_us_max / 1e6; }
static double m_overruns(const struct mix_stats *s) { return (double)s->overruns; }
static double m_frames(const struct mix_stats *s) { return (double)s->frames_encoded; }
static double m_decode(const struct mix_stats *s) { return (double)s->decode_us / 1e6; }
static double m_encode(const struct mix_stats *s) { return (double)s->encode_us / 1e6; }
static double m_dropped(const struct mix_stats *s) { return (double)s->dropped_packets; }
static double m_audio_late(const struct mix_stats *s) { return (double)s->audio_misses; }
static double m_video_late(const struct mix_stats *s) { return (double)s->video_misses; }
static double m_cpu(const struct mix_stats *s) { return (double)s->cpu_us / 1e6; }

/* The per-room families, in the order /metrics writes them. */
static const struct room_metric {
	const char *name, *type, *help;
	double (*value)(const struct mix_stats *);
} room_metric_table[] = {
	{ "mcu_room_video_decoders", "gauge",
	  "Video decoders running in the room (one per video sender).", m_vdec },
	{ "mcu_room_audio_decoders", "gauge",
	  "Audio decoders running in the room (one per audio sender).", m_adec },
	{ "mcu_room_video_encoders", "gauge",
	  "Video encoders running in the room (one per output profile in use).", m_venc },
	{ "mcu_room_audio_encoders", "gauge",
	  "Opus encoders running in the room (the shared mix plus one per mixed speaker).", m_aenc },
	{ "mcu_room_mixer_tick_seconds", "gauge", "Work of the room thread's last tick.", m_tick },
	{ "mcu_room_mixer_tick_max_seconds", "gauge", "Longest tick of the room thread so far.",
	  m_tick_max },
	{ "mcu_room_mixer_overruns_total", "counter", "Room ticks that ran late.", m_overruns },
	{ "mcu_room_audio_late_ticks_total", "counter", "Audio ticks of the room that ran late.",
	  m_audio_late },
	{ "mcu_room_video_late_ticks_total", "counter", "Video ticks of the room that ran late.",
	  m_video_late },
	{ "mcu_room_cpu_seconds_total", "counter", "CPU time of the room's mixing work.", m_cpu },
	{ "mcu_room_video_frames_encoded_total", "counter", "Video frames encoded, all profiles.",
	  m_frames },
	{ "mcu_room_video_decode_seconds_total", "counter",
	  "Room thread CPU time spent decoding video.", m_decode },
	{ "mcu_room_video_encode_seconds_total", "counter",
	  "Room thread CPU time spent encoding video.", m_encode },
	{ "mcu_room_dropped_packets_total", "counter",
	  "Inbound media packets the room's buffers refused.", m_dropped },
};

static size_t room_metrics(char *buf, size_t size, size_t n, const struct room_info *rooms, int nr)
{
	size_t count = sizeof(room_metric_table) / sizeof(room_metric_table[0]);
	for (size_t i = 0; i < count; i++) {
		const struct room_metric *m = &room_metric_table[i];
		n = room_family(buf, size, n, m->name, m->type, m->help, rooms, nr, m->value);
	}
	return n;
}

static size_t webhook_metrics(char *buf, size_t size, size_t n, struct webhook *w)
{
	if (!w)
		return n;
	struct webhook_stats st;
	webhook_get_stats(w, &st);
	n = metric(buf, size, n, "mcu_webhook_events_total", "counter",
		   "Webhook events by outcome: delivered (2xx), failed (given up), dropped (queue full).",
		   "{outcome=\"delivered\"}", (double)st.delivered);
	n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
			      "mcu_webhook_events_total{outcome=\"failed\"} %llu\n"
			      "mcu_webhook_events_total{outcome=\"dropped\"} %llu\n",
			      (unsigned long long)st.failed, (unsigned long long)st.dropped);
	n = metric(buf, size, n, "mcu_webhook_attempts_total", "counter",
		   "Webhook POSTs made, first tries and retries.", "", (double)st.attempts);
	n = metric(buf, size, n, "mcu_webhook_queued", "gauge", "Webhook events waiting.", "",
		   st.queued);
	return n;
}

int metrics_prometheus(const struct signaling_env *env, struct httpmsg_reply *reply)
{
	struct registry_totals t;
	struct room_traffic x;
	registry_totals(env->registry, &t);
	registry_traffic(env->registry, &x);
	struct room_info *rooms = NULL;
	int n_rooms = 0;
	if (registry_list(env->registry, &rooms, &n_rooms))
		return httpmsg_error(reply, 500, "internal", "out of memory");
	size_t n = 0, size = 8192 + (size_t)n_rooms * 4096;
	char *buf = malloc(size);
	if (!buf) {
		free(rooms);
		return httpmsg_error(reply, 500, "internal", "out of memory");
	}
	n = metric(buf, size, n, "mcu_uptime_seconds", "gauge", "Seconds since start.", "",
		   (double)(clock_now_us() - env->started_us) / 1e6);
	n = metric(buf, size, n, "mcu_rooms", "gauge", "Rooms open now.", "", t.rooms);
	n = metric(buf, size, n, "mcu_participants", "gauge", "Participants connected now.", "",
		   t.participants);
	n = metric(buf, size, n, "mcu_joins_total", "counter", "Participants that joined.", "",
		   (double)t.joins);
	n = metric(buf, size, n, "mcu_leaves_total", "counter", "Participants that left or were removed.",
		   "", (double)t.leaves);
	n = metric(buf, size, n, "mcu_rtp_packets_in_total", "counter",
		   "RTP packets decrypted, by media kind.", "{kind=\"audio\"}", (double)x.audio_packets_in);
	n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
			      "mcu_rtp_packets_in_total{kind=\"video\"} %llu\n",
			      (unsigned long long)x.video_packets_in);
	n = metric(buf, size, n, "mcu_rtp_bytes_in_total", "counter",
		   "RTP payload bytes decrypted, by media kind.", "{kind=\"audio\"}", (double)x.audio_bytes_in);
	n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
			      "mcu_rtp_bytes_in_total{kind=\"video\"} %llu\n",
			      (unsigned long long)x.video_bytes_in);
	n = metric(buf, size, n, "mcu_rtcp_packets_in_total", "counter", "RTCP packets decrypted.", "",
		   (double)x.rtcp_in);
	n = metric(buf, size, n, "mcu_srtp_errors_total", "counter",
		   "Packets that failed SRTP authentication or replay checks.", "", (double)x.srtp_errors);
	n = metric(buf, size, n, "mcu_unknown_packets_in_total", "counter",
		   "Datagrams of no known kind or payload type.", "", (double)x.other_in);
	n = metric(buf, size, n, "mcu_packets_out_total", "counter", "Datagrams sent to endpoints.", "",
		   (double)x.packets_out);
	n = metric(buf, size, n, "mcu_bytes_out_total", "counter", "Bytes sent to endpoints.", "",
		   (double)x.bytes_out);
	n = room_metrics(buf, size, n, rooms, n_rooms);
	n = webhook_metrics(buf, size, n, env->webhook);
	free(rooms);
	int status = n >= size ? httpmsg_error(reply, 500, "internal", "metrics buffer too small")
			       : httpmsg_text(reply, 200, "text/plain; version=0.0.4", buf, n);
	free(buf);
	return status;
}
