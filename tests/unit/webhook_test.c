/* webhook_test.c - events POSTed to a receiver: the Standard Webhooks
 * signature (against values openssl computes), delivery with retries and
 * backoff against a small HTTP receiver in this test, giving up, a full
 * queue, shutdown within its grace, and the JSON of the registry's events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "signaling/events.h"
#include "signaling/webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a receiver: answers each request with the next status of a script */

#define MAX_REQS 16

struct receiver {
	int fd;
	int port;
	int statuses[MAX_REQS];       /* answer i-th request with this; 0: 200 */
	int delay_ms;                 /* before answering */
	char reqs[MAX_REQS][4096];    /* header block and body of each request */
	int n_reqs;
	pthread_mutex_t lock;
	volatile int stop;
	pthread_t thread;
};

static void serve_one(struct receiver *r, int c)
{
	char buf[4096];
	size_t got = 0;
	char *end = NULL;
	while (got < sizeof(buf) - 1 && !end) {
		ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (!end)
		return;
	const char *cl = strcasestr(buf, "Content-Length:");
	size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
	while (got < want && got < sizeof(buf) - 1) {
		ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
	buf[got] = '\0';
	pthread_mutex_lock(&r->lock);
	int i = r->n_reqs < MAX_REQS ? r->n_reqs++ : MAX_REQS - 1;
	snprintf(r->reqs[i], sizeof(r->reqs[i]), "%s", buf);
	int status = r->statuses[i] ? r->statuses[i] : 200;
	pthread_mutex_unlock(&r->lock);
	if (r->delay_ms)
		usleep((useconds_t)r->delay_ms * 1000);
	char reply[128];
	int n = snprintf(reply, sizeof(reply),
			 "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
	if (write(c, reply, (size_t)n) < 0)
		return;
}

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	while (!r->stop) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(r->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(r, c);
		close(c);
	}
	return NULL;
}

static struct receiver *receiver_start(void)
{
	struct receiver *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	pthread_mutex_init(&r->lock, NULL);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->fd, 8), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, receiver_main, r), 0);
	return r;
}

static void receiver_stop(struct receiver *r)
{
	r->stop = 1;
	pthread_join(r->thread, NULL);
	close(r->fd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* A port nothing listens on (bound, then closed: refused). */
static int dead_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* A webhook to 127.0.0.1:port/hook; retries after 20 ms. */
static struct webhook *make_timed(int port, const char *secret, int attempts, int queue_max,
				  int timeout_ms, int shutdown_ms)
{
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	struct webhook_config cfg = { .url = url, .secret = secret, .max_attempts = attempts,
				      .retry_ms = 20, .timeout_ms = timeout_ms, .queue_max = queue_max,
				      .shutdown_ms = shutdown_ms };
	struct webhook *w = NULL;
	assert_int_equal(webhook_create(&cfg, &w, err, sizeof(err)), 0);
	return w;
}

static struct webhook *make(int port, const char *secret, int attempts, int queue_max)
{
	return make_timed(port, secret, attempts, queue_max, 1000, 300);
}

/* Polls until the webhook has settled count events (delivered + failed). */
static void wait_settled(struct webhook *w, uint64_t count)
{
	struct webhook_stats st;
	for (int i = 0; i < 500; i++) {
		webhook_get_stats(w, &st);
		if (st.delivered + st.failed >= count)
			return;
		usleep(10000);
	}
	fail_msg("webhook did not settle: %llu delivered, %llu failed",
		 (unsigned long long)st.delivered, (unsigned long long)st.failed);
}

/* A header's value in a request (up to the line's end) into out. */
static void header(const char *req, const char *name, char *out, size_t size)
{
	const char *h = strcasestr(req, name);
	assert_non_null(h);
	h += strlen(name);
	while (*h == ' ' || *h == ':')
		h++;
	size_t n = strcspn(h, "\r\n");
	assert_true(n < size);
	memcpy(out, h, n);
	out[n] = '\0';
}

/* ---- tests */

static void test_signature(void **state)
{
	(void)state;
	char sig[WEBHOOK_SIGNATURE_MAX];
	const char *body = "{\"a\":1}";
	/* openssl dgst -sha256 -hmac plain-secret over "msg_1.1700000000.{"a":1}" */
	assert_int_equal(webhook_signature("plain-secret", "msg_1", 1700000000, body, strlen(body), sig), 0);
	assert_string_equal(sig, "v1,PQ8G/5vQE995TQFlpC2YXRDs2RbuscvSWFk9pfKhuhc=");
	/* whsec_: the key is the base64 after the prefix ("raw\0key") */
	assert_int_equal(webhook_signature("whsec_cmF3AGtleQ==", "msg_1", 1700000000, body, strlen(body),
					   sig), 0);
	assert_string_equal(sig, "v1,Slz9bKJEfg4VTCoP8ENiAOuTHkK6+37bEHGRtLEjcOE=");
	assert_int_equal(webhook_signature("", "msg_1", 1, body, 7, sig), MCU_EINVAL);
	assert_int_equal(webhook_signature("whsec_!!!", "msg_1", 1, body, 7, sig), MCU_EINVAL);
}

static void test_retry_then_delivered(void **state)
{
	(void)state;
	struct receiver *r = receiver_start();
	r->statuses[0] = 500;
	r->statuses[1] = 503;
	struct webhook *w = make(r->port, "s3cret", 5, 10);
	json_t *data = json_pack("{s:s}", "file", "lobby-20261123T090000Z.mp4");
	assert_int_equal(webhook_emit(w, "recording.finished", data), 0);
	wait_settled(w, 1);
	struct webhook_stats st;
	webhook_get_stats(w, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(st.queued, 0);
	webhook_destroy(w);

	assert_int_equal(r->n_reqs, 3);
	char id0[64], id[64], ts[32], sig[80], expect[WEBHOOK_SIGNATURE_MAX];
	header(r->reqs[0], "webhook-id", id0, sizeof(id0));
	for (int i = 0; i < 3; i++) {
		const char *req = r->reqs[i];
		assert_true(!strncmp(req, "POST /hook HTTP/1.1\r\n", 21));
		header(req, "webhook-id", id, sizeof(id));
		assert_string_equal(id, id0); /* one event, one id, on every attempt */
		header(req, "webhook-timestamp", ts, sizeof(ts));
		header(req, "webhook-signature", sig, sizeof(sig));
		const char *body = strstr(req, "\r\n\r\n") + 4;
		assert_int_equal(webhook_signature("s3cret", id, strtoll(ts, NULL, 10), body, strlen(body),
						   expect), 0);
		assert_string_equal(sig, expect);
		json_t *event = json_loads(body, 0, NULL);
		assert_non_null(event);
		assert_string_equal(json_string_value(json_object_get(event, "type")), "recording.finished");
		assert_string_equal(json_string_value(json_object_get(event, "id")), id0);
		assert_string_equal(json_string_value(json_object_get(json_object_get(event, "data"), "file")),
				    "lobby-20261123T090000Z.mp4");
		assert_non_null(json_string_value(json_object_get(event, "timestamp")));
		json_decref(event);
	}
	receiver_stop(r);
}

static void test_gives_up(void **state)
{
	(void)state;
	struct receiver *r = receiver_start();
	for (int i = 0; i < MAX_REQS; i++)
		r->statuses[i] = 500;
	struct webhook *w = make(r->port, "", 2, 10);
	assert_int_equal(webhook_emit(w, "room.started", json_pack("{s:s}", "room", "x")), 0);
	wait_settled(w, 1);
	struct webhook_stats st;
	webhook_get_stats(w, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.attempts, 2);
	webhook_destroy(w);
	/* No secret: no signature header. */
	assert_null(strcasestr(r->reqs[0], "webhook-signature"));
	receiver_stop(r);
}

static void test_queue_full_and_order(void **state)
{
	(void)state;
	struct receiver *r = receiver_start();
	r->delay_ms = 500; /* the thread is busy with the first while more come */
	struct webhook *w = make(r->port, "k", 1, 2);
	int dropped = 0;
	for (int i = 0; i < 5; i++) {
		int rc = webhook_emit(w, "participant.joined", json_pack("{s:i}", "n", i));
		assert_true(rc == 0 || rc == MCU_ELIMIT);
		dropped += rc == MCU_ELIMIT;
		for (int k = 0; i == 0 && k < 500 && !r->n_reqs; k++)
			usleep(10000); /* until the thread is in the first POST */
	}
	assert_int_equal(dropped, 2);
	wait_settled(w, 3);
	struct webhook_stats st;
	webhook_get_stats(w, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.delivered, 3);
	webhook_destroy(w);
	/* In the order they were emitted. */
	for (int i = 0; i < 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		assert_non_null(strstr(r->reqs[i], want));
	}
	receiver_stop(r);
	assert_int_equal(webhook_emit(NULL, "x", json_object()), 0);
}

static void test_shutdown_bounded(void **state)
{
	(void)state;
	struct webhook *w = make(dead_port(), "k", 10, 10);
	for (int i = 0; i < 3; i++)
		assert_int_equal(webhook_emit(w, "room.ended", json_object()), 0);
	int64_t t0 = clock_now_us();
	webhook_destroy(w); /* shutdown_ms 300: gives up on what is left */
	assert_true(clock_now_us() - t0 < 2000000);
}

/* A receiver that takes longer than the grace: the attempt under way is cut
 * short at the grace's end, not at its own timeout. */
static void test_shutdown_cuts_slow_receiver(void **state)
{
	(void)state;
	struct receiver *r = receiver_start();
	r->delay_ms = 3000; /* the attempt's own timeout (10 s) would wait it out */
	struct webhook *w = make_timed(r->port, "", 1, 4, 10000, 200);
	assert_int_equal(webhook_emit(w, "room.ended", json_object()), 0);
	for (int k = 0; k < 500 && !r->n_reqs; k++)
		usleep(10000); /* until the POST is under way */
	int64_t t0 = clock_now_us();
	webhook_destroy(w);
	int64_t took = clock_now_us() - t0;
	/* libcurl looks at its progress callback about once a second when idle. */
	assert_true(took < 2500000);
	receiver_stop(r);
}

static void test_create_refuses(void **state)
{
	(void)state;
	char err[256];
	struct webhook *w = NULL;
	struct webhook_config cfg = { .url = "ftp://x", .max_attempts = 1, .retry_ms = 1,
				      .timeout_ms = 1, .queue_max = 1 };
	assert_int_equal(webhook_create(&cfg, &w, err, sizeof(err)), MCU_EINVAL);
	assert_non_null(strstr(err, "webhook_url"));
	cfg.url = "http://127.0.0.1:1/";
	cfg.secret = "whsec_not base64";
	assert_int_equal(webhook_create(&cfg, &w, err, sizeof(err)), MCU_EINVAL);
	cfg.secret = "";
	cfg.max_attempts = 0;
	assert_int_equal(webhook_create(&cfg, &w, err, sizeof(err)), MCU_EINVAL);
	assert_null(w);
	webhook_destroy(NULL);
	struct webhook_stats st;
	webhook_get_stats(NULL, &st);
	assert_int_equal(st.attempts, 0);
}

static void test_events_json(void **state)
{
	(void)state;
	struct endpoint_info p = { .id = "0123456789abcdef", .name = "alice", .profile = "sd",
				   .direction = "sendrecv" };
	struct room_event ev = { .type = ROOM_LEFT, .room = "lobby", .participant = &p,
				     .reason = "left" };
	const char *type = NULL;
	json_t *j = events_data(&ev, &type);
	assert_string_equal(type, "participant.left");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "left");
	json_t *who = json_object_get(j, "participant");
	assert_string_equal(json_string_value(json_object_get(who, "name")), "alice");
	assert_string_equal(json_string_value(json_object_get(who, "kind")), "webrtc");
	json_decref(j);

	struct recorder_status rec = { .file = "lobby-20261123T090000Z.mp4", .state = RECORDER_DONE,
				       .duration_s = 12.5, .bytes = 4096, .started_wall_us = 1 };
	ev = (struct room_event){ .type = ROOM_RECORDING_FINISHED, .room = "lobby",
				      .recording = &rec };
	j = events_data(&ev, &type);
	assert_string_equal(type, "recording.finished");
	assert_string_equal(json_string_value(json_object_get(j, "file")), rec.file);
	assert_string_equal(json_string_value(json_object_get(j, "url")),
			    "/recordings/lobby-20261123T090000Z.mp4");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "done");
	assert_true(json_real_value(json_object_get(j, "duration_s")) == 12.5);
	assert_int_equal(json_integer_value(json_object_get(j, "size_bytes")), 4096);
	json_decref(j);

	ev = (struct room_event){ .type = ROOM_ENDED, .room = "lobby", .reason = "empty" };
	j = events_data(&ev, &type);
	assert_string_equal(type, "room.ended");
	json_decref(j);
	ev.type = ROOM_STARTED;
	j = events_data(&ev, &type);
	assert_string_equal(type, "room.started");
	json_decref(j);
	ev = (struct room_event){ .type = ROOM_JOINED, .room = "lobby", .participant = &p };
	j = events_data(&ev, &type);
	assert_string_equal(type, "participant.joined");
	json_decref(j);
	events_forward(NULL, &ev); /* no webhook: nothing, no crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_retry_then_delivered),
		cmocka_unit_test(test_gives_up),
		cmocka_unit_test(test_queue_full_and_order),
		cmocka_unit_test(test_shutdown_bounded),
		cmocka_unit_test(test_shutdown_cuts_slow_receiver),
		cmocka_unit_test(test_create_refuses),
		cmocka_unit_test(test_events_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
