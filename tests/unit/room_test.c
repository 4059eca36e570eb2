/* room_test.c - one room with participants of the tests' own kind
 * (partfixture.h: no ICE, no sockets): names and settings, booking and
 * admitting, the room full, leaving, the events in order, cost, traffic,
 * housekeeping (gone members, empty rooms), the room ended while a join is
 * booked, and a stuck room thread (the test hook): its join fails at the
 * bounded wait leaving nothing, its leave and its stopped recording are
 * finished once the thread wakes, and its snapshot answers at once
 * meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "partfixture.h"
#include "mcu/config.h"
#include "mcu/room.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;
static char recordings[] = "/tmp/room-test-XXXXXX";

/* What the listener heard, one line per event. */
struct heard {
	char lines[32][96];
	int n;
};

static void listen(void *ctx, const struct room_event *ev)
{
	struct heard *h = ctx;
	if (h->n == 32)
		return;
	char *line = h->lines[h->n++];
	static const char *names[] = { "started", "ended", "joined", "left", "recording" };
	snprintf(line, 96, "%s %s%s%s%s%s", names[ev->type], ev->room,
		 ev->participant ? " " : "", ev->participant ? ev->participant->id : "",
		 ev->reason ? " " : "", ev->reason ? ev->reason : "");
}

static struct room_context make_ctx(struct heard *h)
{
	config_defaults(&cfg);
	cfg.record = false;
	if (recordings[sizeof(recordings) - 2] == 'X')
		assert_non_null(mkdtemp(recordings));
	snprintf(cfg.recordings_dir, sizeof(cfg.recordings_dir), "%s", recordings);
	return (struct room_context){ .cfg = &cfg, .listener = listen, .listener_ctx = h };
}

/* Books and admits a new participant. */
static int join(struct room *r, const char *id, int *destroyed, struct partfixture **out)
{
	struct room_member *booked = NULL;
	struct participant p = partfixture_new(id, destroyed, out);
	int rc = room_book(r, p, &booked);
	if (rc) {
		p.ops->destroy(p.self);
		return rc;
	}
	return room_admit(r, booked);
}

static int count(struct room *r)
{
	struct room_info info;
	assert_int_equal(room_get(r, &info, NULL, NULL), 0);
	return info.n_participants;
}

static int note_id(struct participant *p, void *ctx)
{
	snprintf(ctx, ENDPOINT_ID_LEN + 1, "%s", p->ops->id(p->self));
	return 7;
}

static const struct room_settings grid4 = { .layout = "grid", .max_participants = 4 };

static void test_names_and_settings(void **state)
{
	(void)state;
	assert_true(room_valid_name("Board_Room-2"));
	assert_false(room_valid_name(""));
	assert_false(room_valid_name("a b"));
	assert_true(room_valid_layout("speaker"));
	assert_false(room_valid_layout("mosaic"));
	assert_true(room_valid_settings(&grid4));
	struct room_settings none = grid4;
	none.max_participants = 0;
	assert_false(room_valid_settings(&none));
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room *r = NULL;
	assert_int_equal(room_create(&ctx, "bad name", &grid4, &r), MCU_EINVAL);
	assert_int_equal(room_create(&ctx, "ok", &none, &r), MCU_EINVAL);
	assert_int_equal(h.n, 0);
	struct room_traffic t = { 0 };
	struct endpoint_info p = { .rtcp_in = 3, .packets_out = 5 };
	p.audio.packets_in = 2;
	room_traffic_add(&t, &p);
	room_traffic_add(&t, &p);
	assert_int_equal(t.audio_packets_in, 4);
	assert_int_equal(t.rtcp_in, 6);
	assert_int_equal(t.packets_out, 10);
	room_unref(NULL);
}

static void test_join_leave_end(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room *r = NULL;
	assert_int_equal(room_create(&ctx, "lobby", &grid4, &r), 0);
	assert_string_equal(room_name(r), "lobby");
	double empty = room_cost(r, clock_now_us(), NULL);
	int destroyed = 0;
	struct partfixture *a = NULL;
	assert_int_equal(join(r, "aaaaaaaaaaaaaaaa", &destroyed, &a), 0);
	assert_int_equal(join(r, "bbbbbbbbbbbbbbbb", &destroyed, NULL), 0);
	assert_int_equal(count(r), 2);
	assert_true(room_cost(r, clock_now_us(), NULL) > empty);

	struct room_info info;
	struct endpoint_info *parts = NULL;
	int n = 0;
	assert_int_equal(room_get(r, &info, &parts, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(parts[0].id, "aaaaaaaaaaaaaaaa"); /* join order */
	assert_string_equal(parts[1].id, "bbbbbbbbbbbbbbbb");
	free(parts);

	char seen[ENDPOINT_ID_LEN + 1] = "";
	assert_int_equal(room_with_participant(r, "bbbbbbbbbbbbbbbb", note_id, seen), 7);
	assert_string_equal(seen, "bbbbbbbbbbbbbbbb");
	assert_int_equal(room_with_participant(r, "cccccccccccccccc", note_id, seen), MCU_ENOTFOUND);

	/* the room's thread drives it like any transport */
	for (int i = 0; i < 200 && !a->sends; i++)
		usleep(10000);
	assert_true(a->sends > 0);
	struct room_traffic t = { 0 };
	room_traffic(r, &t);
	assert_int_equal(t.packets_out, 0); /* the fixture counts nothing of its own */

	assert_int_equal(room_update(r, "speaker", -1, &info), 0);
	assert_string_equal(info.settings.layout, "speaker");
	assert_int_equal(room_update(r, "mosaic", -1, &info), MCU_EINVAL);

	assert_int_equal(room_leave(r, "bbbbbbbbbbbbbbbb", "left"), 0);
	assert_int_equal(destroyed, 1);
	assert_int_equal(room_leave(r, "bbbbbbbbbbbbbbbb", "left"), MCU_ENOTFOUND);
	assert_int_equal(count(r), 1);

	/* ended: no more joins; the rest goes with the last reference */
	room_ref(r);
	room_end(r, "deleted");
	assert_int_equal(join(r, "dddddddddddddddd", &destroyed, NULL), MCU_ENOTFOUND);
	assert_int_equal(destroyed, 2);
	room_unref(r);
	assert_int_equal(destroyed, 2); /* a reference is still held */
	room_unref(r);
	assert_int_equal(destroyed, 3);

	const char *want[] = {
		"started lobby", "joined lobby aaaaaaaaaaaaaaaa", "joined lobby bbbbbbbbbbbbbbbb",
		"left lobby bbbbbbbbbbbbbbbb left", "left lobby aaaaaaaaaaaaaaaa room ended",
		"ended lobby deleted",
	};
	assert_int_equal(h.n, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(h.lines[i], want[i]);
}

static void test_full_and_booked(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room_settings one = { .layout = "grid", .max_participants = 1 };
	struct room *r = NULL;
	assert_int_equal(room_create(&ctx, "small", &one, &r), 0);
	int destroyed = 0;
	struct room_member *booked = NULL;
	struct participant p = partfixture_new("aaaaaaaaaaaaaaaa", &destroyed, NULL);
	assert_int_equal(room_book(r, p, &booked), 0);
	/* booked counts: the place is taken, and its cost is charged */
	assert_int_equal(join(r, "bbbbbbbbbbbbbbbb", &destroyed, NULL), MCU_ELIMIT);
	assert_int_equal(destroyed, 1);
	assert_true(room_cost(r, clock_now_us(), NULL) > 0);
	assert_false(room_expired(r, clock_now_us() + 3600000000LL, 1));
	/* the room ends while it is booked: admitting it fails, and it goes */
	room_end(r, "deleted");
	assert_int_equal(room_admit(r, booked), MCU_ENOTFOUND);
	room_unref(r);
	assert_int_equal(destroyed, 2);
	assert_string_equal(h.lines[h.n - 1], "ended small deleted");
}

static void test_reap_and_expire(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room *r = NULL;
	assert_int_equal(room_create(&ctx, "reaped", &grid4, &r), 0);
	int destroyed = 0;
	struct partfixture *a = NULL;
	assert_int_equal(join(r, "aaaaaaaaaaaaaaaa", &destroyed, &a), 0);
	int64_t now = clock_now_us();
	room_reap(r, now);
	assert_int_equal(count(r), 1);
	assert_false(room_expired(r, now + 3600000000LL, 1000000));
	a->gone = "test: gone";
	room_reap(r, clock_now_us());
	assert_int_equal(count(r), 0);
	assert_int_equal(destroyed, 1);
	assert_string_equal(h.lines[h.n - 1], "left reaped aaaaaaaaaaaaaaaa test: gone");
	now = clock_now_us();
	assert_false(room_expired(r, now, 1000000));
	assert_true(room_expired(r, now + 1000000, 1000000));
	room_end(r, "empty");
	assert_false(room_expired(r, now + 1000000, 1000000)); /* ended already */
	room_unref(r);
}

static void test_stuck_room_thread(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room *r = NULL;
	struct room_settings rec = { .layout = "grid", .max_participants = 4, .record = true };
	assert_int_equal(room_create(&ctx, "stuck", &rec, &r), 0);
	int destroyed = 0;
	assert_int_equal(join(r, "aaaaaaaaaaaaaaaa", &destroyed, NULL), 0);
	double before = room_cost(r, clock_now_us(), NULL);

	room_stall(r, 7000, -1);
	usleep(50000);
	int64_t t0 = clock_now_us();
	struct room_info info;
	assert_int_equal(room_get(r, &info, NULL, NULL), 0); /* answers at once */
	assert_true(clock_now_us() - t0 < 200000);

	/* a join fails at the bounded wait, and nothing of it stays */
	t0 = clock_now_us();
	assert_int_equal(join(r, "bbbbbbbbbbbbbbbb", &destroyed, NULL), MCU_ETIMEDOUT);
	int64_t waited = clock_now_us() - t0;
	assert_true(waited >= 1500000 && waited < 5000000); /* long before it wakes */
	assert_int_equal(destroyed, 1);
	assert_int_equal(count(r), 1);
	assert_true(room_cost(r, clock_now_us(), NULL) == before);

	/* a leave answers at the bounded wait; the participant is freed once
	 * the thread lets go of it; so is the recording it stopped */
	assert_int_equal(room_leave(r, "aaaaaaaaaaaaaaaa", "left"), 0);
	assert_int_equal(count(r), 0);
	assert_int_equal(destroyed, 1);
	room_reap(r, clock_now_us()); /* the mixer holds it still */
	assert_int_equal(destroyed, 1);
	assert_int_equal(room_update(r, NULL, 0, &info), 0);
	assert_false(info.settings.record);
	int heard_before = h.n;
	for (int i = 0; i < 100 && destroyed < 2; i++) {
		usleep(100000);
		room_reap(r, clock_now_us());
	}
	assert_int_equal(destroyed, 2);
	assert_true(h.n > heard_before);
	assert_string_equal(h.lines[h.n - 1], "recording stuck");
	room_unref(r);
	assert_string_equal(h.lines[h.n - 1], "ended stuck shutdown");
}

/* A room whose work takes more CPU than its model says (the test hook
 * spins at each video tick) is charged what it measurably takes, once the
 * samples span a few seconds, and the model's price of a newcomer on top. */
static void test_measured_cost(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct room_context ctx = make_ctx(&h);
	struct room *r = NULL;
	assert_int_equal(room_create(&ctx, "hot", &grid4, &r), 0);
	struct port_info listener = { .receives_audio = true, .profile = 2 };
	double model = room_cost(r, clock_now_us(), NULL);
	double price = room_cost(r, clock_now_us(), &listener) - model;
	assert_true(price > 0);
	struct room_info info;
	assert_int_equal(room_get(r, &info, NULL, NULL), 0);
	assert_true(info.cost_measured < 0); /* not known yet */
	room_stall(r, 0, 20); /* 20 ms of every 33: about 0.6 CPU */
	for (int i = 0; i < 6; i++) {
		room_reap(r, clock_now_us());
		usleep(700000);
	}
	room_reap(r, clock_now_us());
	assert_int_equal(room_get(r, &info, NULL, NULL), 0);
	assert_true(info.cost_measured > 0.3 && info.cost_measured < 1.0);
	assert_true(info.cost_model < 0.2);
	double cost = room_cost(r, clock_now_us(), &listener);
	assert_true(cost > info.cost_measured + price * 0.99 &&
		    cost < info.cost_measured + price * 1.01 + 0.1);
	room_stall(r, 0, 0);
	room_unref(r);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_settings),
		cmocka_unit_test(test_join_leave_end),
		cmocka_unit_test(test_full_and_booked),
		cmocka_unit_test(test_reap_and_expire),
		cmocka_unit_test(test_stuck_room_thread),
		cmocka_unit_test(test_measured_cost),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	partfixture_remove_dir(recordings);
	return failed;
}
