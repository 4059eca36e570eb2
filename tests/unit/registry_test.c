/* registry_test.c - rooms in the registry: names, create, update, list,
 * delete, limits; and participants of a kind this test defines itself
 * (participant.h: no ICE, no sockets) joining, counted, listed, leaving,
 * dropped by the reaper when gone, and refused when the room is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "base/clock.h"
#include "base/err.h"
#include "mcu/participant.h"
#include "mcu/registry.h"
#include "mixer/port.h"
#include "partfixture.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;
static struct endpoint_env env;
static char recordings[] = "/tmp/registry-test-XXXXXX";


static struct registry *make_registry(int max_rooms)
{
	config_defaults(&cfg);
	/* Recording a room (record = 1 below) writes files: keep them out of
	 * the working tree. */
	if (recordings[sizeof(recordings) - 2] == 'X')
		assert_non_null(mkdtemp(recordings));
	snprintf(cfg.recordings_dir, sizeof(cfg.recordings_dir), "%s", recordings);
	env.cfg = &cfg;
	struct registry *reg = NULL;
	assert_int_equal(registry_create(&env, max_rooms, &reg), 0);
	return reg;
}

static void test_names(void **state)
{
	(void)state;
	assert_true(room_valid_name("a"));
	assert_true(room_valid_name("Board_Room-2"));
	char long_name[66];
	memset(long_name, 'x', 65);
	long_name[65] = '\0';
	assert_false(room_valid_name(long_name));
	long_name[64] = '\0';
	assert_true(room_valid_name(long_name));
	assert_false(room_valid_name(""));
	assert_false(room_valid_name("a b"));
	assert_false(room_valid_name("a/b"));
	assert_false(room_valid_name(".."));
	assert_true(room_valid_layout("grid"));
	assert_true(room_valid_layout("speaker"));
	assert_false(room_valid_layout("mosaic"));
}

static void test_room_lifecycle(void **state)
{
	(void)state;
	struct registry *reg = make_registry(2);
	struct room_settings s = { .layout = "grid", .max_participants = 4 };
	struct room_info info;
	assert_int_equal(registry_create_room(reg, "r1", &s, &info), 0);
	assert_string_equal(info.name, "r1");
	assert_true(info.created_wall_us > 0);
	assert_int_equal(registry_create_room(reg, "r1", &s, &info), MCU_EEXIST);
	assert_int_equal(registry_create_room(reg, "bad name", &s, &info), MCU_EINVAL);
	struct room_settings bad = { .layout = "mosaic", .max_participants = 4 };
	assert_int_equal(registry_create_room(reg, "r2", &bad, &info), MCU_EINVAL);
	assert_int_equal(registry_create_room(reg, "r2", &s, &info), 0);
	assert_int_equal(registry_create_room(reg, "r3", &s, &info), MCU_ELIMIT);

	assert_int_equal(registry_update_room(reg, "r1", "speaker", 1, &info), 0);
	assert_string_equal(info.settings.layout, "speaker");
	assert_true(info.settings.record);
	assert_int_equal(registry_update_room(reg, "r1", NULL, -1, &info), 0);
	assert_string_equal(info.settings.layout, "speaker");
	assert_int_equal(registry_update_room(reg, "r1", "mosaic", -1, &info), MCU_EINVAL);
	assert_int_equal(registry_update_room(reg, "nope", NULL, 0, &info), MCU_ENOTFOUND);

	struct room_info *rooms;
	int n;
	assert_int_equal(registry_list(reg, &rooms, &n), 0);
	assert_int_equal(n, 2);
	free(rooms);

	struct endpoint_info *parts = (void *)1;
	int n_parts = -1;
	assert_int_equal(registry_room(reg, "r2", &info, &parts, &n_parts), 0);
	assert_null(parts);
	assert_int_equal(n_parts, 0);
	assert_int_equal(registry_room(reg, "nope", &info, NULL, NULL), MCU_ENOTFOUND);

	struct registry_totals t;
	registry_totals(reg, &t);
	assert_int_equal(t.rooms, 2);
	assert_int_equal(t.participants, 0);

	assert_int_equal(registry_delete_room(reg, "r1"), 0);
	assert_int_equal(registry_delete_room(reg, "r1"), MCU_ENOTFOUND);
	assert_int_equal(registry_leave(reg, "r2", "0123456789abcdef", "left"), MCU_ENOTFOUND);
	assert_int_equal(registry_trickle(reg, "r2", "0123456789abcdef", NULL, 0, 0), MCU_ENOTFOUND);
	char buf[64];
	assert_int_equal(registry_remote_ufrag(reg, "r2", "x", buf, sizeof(buf)), MCU_ENOTFOUND);
	struct endpoint_local local;
	assert_int_equal(registry_restart_ice(reg, "r2", "x", "u", "p", NULL, 0, &local), MCU_ENOTFOUND);
	struct room_traffic x;
	registry_traffic(reg, &x);
	assert_int_equal(x.audio_packets_in, 0);
	registry_destroy(reg);
	registry_destroy(NULL);
}

/* What a listener hears: rooms starting and ending (and why), a
 * recording finishing with its final status. */
struct heard {
	char lines[16][200];
	int n;
};

static void listen(void *ctx, const struct room_event *ev)
{
	struct heard *h = ctx;
	if (h->n == 16)
		return;
	char *line = h->lines[h->n++];
	switch (ev->type) {
	case ROOM_STARTED:
		snprintf(line, 200, "started %s", ev->room);
		break;
	case ROOM_ENDED:
		snprintf(line, 200, "ended %s %s", ev->room, ev->reason);
		break;
	case ROOM_RECORDING_FINISHED:
		snprintf(line, 200, "recording %s %s %s", ev->room, recorder_state_name(ev->recording->state),
			 strncmp(ev->recording->file, ev->room, strlen(ev->room)) ? "other" : "named");
		break;
	default:
		snprintf(line, 200, "participant %s", ev->room);
	}
}

static void test_listener(void **state)
{
	(void)state;
	struct heard h = { .n = 0 };
	struct registry *reg = make_registry(4);
	registry_set_listener(reg, listen, &h);
	struct room_settings s = { .layout = "grid", .max_participants = 4 };
	struct room_info info;
	assert_int_equal(registry_create_room(reg, "ev1", &s, &info), 0);
	assert_int_equal(registry_create_room(reg, "ev2", &s, &info), 0);
	assert_int_equal(registry_update_room(reg, "ev1", NULL, 1, &info), 0);
	assert_int_equal(registry_update_room(reg, "ev1", NULL, 0, &info), 0);
	assert_int_equal(registry_delete_room(reg, "ev1"), 0);
	registry_destroy(reg);
	assert_int_equal(h.n, 5);
	assert_string_equal(h.lines[0], "started ev1");
	assert_string_equal(h.lines[1], "started ev2");
	assert_string_equal(h.lines[2], "recording ev1 done named");
	assert_string_equal(h.lines[3], "ended ev1 deleted");
	assert_string_equal(h.lines[4], "ended ev2 shutdown");
}

static void test_join_admission(void **state)
{
	(void)state;
	struct registry *reg = make_registry(1);
	struct endpoint_params p = { 0 };
	struct endpoint_local local;
	char id[ENDPOINT_ID_LEN + 1], err[128];
	/* Refused before any transport is touched (env has none). */
	assert_int_equal(registry_join(reg, "bad name", true, &p, &local, id, err, sizeof(err)), MCU_EINVAL);
	assert_int_equal(registry_join(reg, "absent", false, &p, &local, id, err, sizeof(err)), MCU_ENOTFOUND);
	struct room_settings s = { .layout = "grid", .max_participants = 1 };
	struct room_info info;
	assert_int_equal(registry_create_room(reg, "full", &s, &info), 0);
	assert_int_equal(registry_join(reg, "other", true, &p, &local, id, err, sizeof(err)), MCU_ELIMIT);
	registry_destroy(reg);
}

static int participants_of(struct registry *reg, const char *room)
{
	struct room_info info;
	struct endpoint_info *parts = NULL;
	int n = -1;
	if (registry_room(reg, room, &info, &parts, &n))
		return -1;
	free(parts);
	return n;
}

static void test_fake_participants(void **state)
{
	(void)state;
	struct registry *reg = make_registry(4);
	cfg.record = false;
	int destroyed = 0;
	char id[ENDPOINT_ID_LEN + 1];
	struct partfixture *a = NULL;
	assert_int_equal(registry_add_participant(reg, "lobby", true, partfixture_new("aaaaaaaaaaaaaaaa", &destroyed, &a), id), 0);
	assert_string_equal(id, "aaaaaaaaaaaaaaaa");
	assert_int_equal(registry_add_participant(reg, "lobby", true, partfixture_new("bbbbbbbbbbbbbbbb", &destroyed, NULL), id), 0);
	assert_int_equal(participants_of(reg, "lobby"), 2);
	struct registry_totals t;
	registry_totals(reg, &t);
	assert_int_equal(t.rooms, 1);
	assert_int_equal(t.participants, 2);
	assert_int_equal((int)t.joins, 2);

	/* The room's thread drives it like any transport. */
	for (int i = 0; i < 200 && !a->sends; i++)
		usleep(10000);
	assert_true(a->sends > 0);

	/* Refused: a bad name, an absent room without create; destroyed either way. */
	assert_int_equal(registry_add_participant(reg, "bad name", true, partfixture_new("cccccccccccccccc", &destroyed, NULL), id), MCU_EINVAL);
	assert_int_equal(registry_add_participant(reg, "absent", false, partfixture_new("dddddddddddddddd", &destroyed, NULL), id), MCU_ENOTFOUND);
	assert_int_equal(destroyed, 2);

	/* ICE calls on a kind without ICE: no such session. */
	char ufrag[64];
	assert_int_equal(registry_remote_ufrag(reg, "lobby", "aaaaaaaaaaaaaaaa", ufrag, sizeof(ufrag)), MCU_ENOTFOUND);
	assert_int_equal(registry_trickle(reg, "lobby", "aaaaaaaaaaaaaaaa", NULL, 0, 1), MCU_ENOTFOUND);

	/* Leaving destroys it. */
	assert_int_equal(registry_leave(reg, "lobby", "bbbbbbbbbbbbbbbb", "left"), 0);
	assert_int_equal(destroyed, 3);
	assert_int_equal(participants_of(reg, "lobby"), 1);

	/* Gone: the reaper (once a second) drops it. */
	a->gone = "test: gone";
	/* Out of the room first, destroyed once the mixer let go of it. */
	for (int i = 0; i < 300 && (participants_of(reg, "lobby") != 0 || destroyed != 4); i++)
		usleep(10000);
	assert_int_equal(participants_of(reg, "lobby"), 0);
	assert_int_equal(destroyed, 4);
	registry_totals(reg, &t);
	assert_int_equal(t.participants, 0);
	assert_int_equal((int)t.leaves, 2);
	registry_destroy(reg);
}

static void test_fake_room_full(void **state)
{
	(void)state;
	struct registry *reg = make_registry(4);
	cfg.record = false;
	int destroyed = 0;
	char id[ENDPOINT_ID_LEN + 1];
	struct room_settings s = { .layout = "grid", .max_participants = 1 };
	struct room_info info;
	assert_int_equal(registry_create_room(reg, "small", &s, &info), 0);
	assert_int_equal(registry_add_participant(reg, "small", false, partfixture_new("eeeeeeeeeeeeeeee", &destroyed, NULL), id), 0);
	assert_int_equal(registry_add_participant(reg, "small", false, partfixture_new("ffffffffffffffff", &destroyed, NULL), id), MCU_ELIMIT);
	assert_int_equal(destroyed, 1);
	assert_int_equal(participants_of(reg, "small"), 1);
	/* Deleting the room ends its participants. */
	assert_int_equal(registry_delete_room(reg, "small"), 0);
	assert_int_equal(destroyed, 2);
	registry_destroy(reg);
}

/* One room's thread stuck (the test hook): the others, the totals and the
 * list answer at once; a join to it fails at the bounded wait and leaves
 * nothing behind. */
static void test_stuck_room(void **state)
{
	(void)state;
	struct registry *reg = make_registry(4);
	cfg.record = false;
	int destroyed = 0;
	char id[ENDPOINT_ID_LEN + 1];
	assert_int_equal(registry_add_participant(reg, "stuck", true, partfixture_new("aaaaaaaaaaaaaaaa", &destroyed, NULL), id), 0);
	assert_int_equal(registry_add_participant(reg, "free", true, partfixture_new("bbbbbbbbbbbbbbbb", &destroyed, NULL), id), 0);
	assert_int_equal(registry_stall(reg, "absent", 100, -1), MCU_ENOTFOUND);
	assert_int_equal(registry_stall(reg, "stuck", 6000, -1), 0);
	usleep(50000);

	int64_t t0 = clock_now_us();
	struct registry_totals t;
	registry_totals(reg, &t);
	assert_int_equal(t.participants, 2);
	struct room_info *rooms = NULL;
	int n = 0;
	assert_int_equal(registry_list(reg, &rooms, &n), 0);
	assert_int_equal(n, 2);
	free(rooms);
	assert_int_equal(registry_add_participant(reg, "free", false, partfixture_new("cccccccccccccccc", &destroyed, NULL), id), 0);
	assert_int_equal(participants_of(reg, "stuck"), 1);
	assert_true(clock_now_us() - t0 < 1000000);

	t0 = clock_now_us();
	assert_int_equal(registry_add_participant(reg, "stuck", false, partfixture_new("dddddddddddddddd", &destroyed, NULL), id), MCU_ETIMEDOUT);
	/* given up at the bounded wait (2 s), long before the room wakes */
	int64_t waited = clock_now_us() - t0;
	assert_true(waited >= 1500000 && waited < 5000000);
	assert_int_equal(destroyed, 1);
	assert_int_equal(participants_of(reg, "stuck"), 1);
	registry_totals(reg, &t);
	assert_int_equal(t.participants, 3);
	assert_int_equal((int)t.joins, 3);
	registry_destroy(reg);
	assert_int_equal(destroyed, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_room_lifecycle),
		cmocka_unit_test(test_join_admission),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_fake_participants),
		cmocka_unit_test(test_fake_room_full),
		cmocka_unit_test(test_stuck_room),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	partfixture_remove_dir(recordings);
	return failed;
}
