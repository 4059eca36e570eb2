/* sidecar_test.c - a recording's sidecar: the saved document and its
 * padding, the participant list and its limits, and the brief form written
 * in place when the normal save cannot be made. The full disk is stood in
 * for by a directory squatting on the temporary file's name, so the save's
 * open fails the way a full disk's write does: nothing new can be written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "recorder/sidecar.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_NAME "lobby-20261123T071500Z.mp4"
#define T_JOIN 1795417200000000LL /* 2026-11-23T07:00:00Z */

struct fx {
	char dir[64];
	char path[160], tmp[160];
	struct sidecar *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/sidecar_test_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/%s.json", f->dir, FILE_NAME);
	snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.json.tmp", f->dir, FILE_NAME);
	assert_int_equal(sidecar_create(f->dir, FILE_NAME, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	sidecar_destroy(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct sidecar_facts facts(const char *state)
{
	return (struct sidecar_facts){ .room = "lobby", .file = FILE_NAME, .state = state,
				       .started_wall_us = T_JOIN, .duration_s = 12.3456,
				       .bytes = 4096 };
}

static long size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : (long)st.st_size;
}

static json_t *load(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

/* A save: the whole document, padded to the reserve with white space that
 * any JSON reader skips, and no temporary file left behind. */
static void test_save(void **state)
{
	struct fx *f = *state;
	assert_string_equal(sidecar_path(f->s), f->path);
	assert_int_equal(sidecar_note(f->s, "p1", "Ann", true, T_JOIN), 1);
	assert_int_equal(sidecar_note(f->s, "p2", NULL, true, T_JOIN + 1000000), 1);
	assert_int_equal(sidecar_note(f->s, "p1", "Ann", false, T_JOIN + 2000000), 1);
	struct sidecar_facts fa = facts("recording");
	int err = -1;
	assert_int_equal(sidecar_save(f->s, &fa, false, &err), 0);
	assert_int_equal(err, 0);
	assert_true(size_of(f->path) >= SIDECAR_RESERVE);
	assert_int_equal(access(f->tmp, F_OK), -1);

	json_t *j = load(f->path);
	assert_string_equal(jstr(j, "room"), "lobby");
	assert_string_equal(jstr(j, "file"), FILE_NAME);
	assert_string_equal(jstr(j, "state"), "recording");
	assert_string_equal(jstr(j, "started"), "2026-11-23T07:00:00Z");
	assert_true(json_is_null(json_object_get(j, "ended")));
	assert_true(json_number_value(json_object_get(j, "duration_s")) == 12.346);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 4096);
	json_t *parts = json_object_get(j, "participants");
	assert_int_equal(json_array_size(parts), 2);
	assert_string_equal(jstr(json_array_get(parts, 0), "left"), "2026-11-23T07:00:02Z");
	assert_string_equal(jstr(json_array_get(parts, 1), "name"), "");
	assert_true(json_is_null(json_object_get(json_array_get(parts, 1), "left")));
	json_decref(j);
}

/* Nothing new can be written: a save that is not final leaves the old
 * sidecar as it was; a final one writes the brief form in place, in the
 * bytes the file already has. */
static void test_brief_in_place(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 20; i++) { /* a document well past the reserve */
		char id[8];
		snprintf(id, sizeof(id), "p%d", i);
		assert_int_equal(sidecar_note(f->s, id, "a participant", true, T_JOIN), 1);
	}
	struct sidecar_facts fa = facts("recording");
	assert_int_equal(sidecar_save(f->s, &fa, false, NULL), 0);
	long size = size_of(f->path);
	assert_true(size > SIDECAR_RESERVE);
	assert_int_equal(mkdir(f->tmp, 0700), 0);

	int err = 0;
	fa.duration_s = 20;
	assert_int_equal(sidecar_save(f->s, &fa, false, &err), MCU_EIO);
	assert_int_equal(err, EISDIR);
	json_t *j = load(f->path);
	assert_string_equal(jstr(j, "state"), "recording");
	assert_true(json_number_value(json_object_get(j, "duration_s")) == 12.346);
	json_decref(j);

	fa = facts("failed");
	fa.ended_wall_us = T_JOIN + 60000000;
	assert_int_equal(sidecar_save(f->s, &fa, true, &err), SIDECAR_BRIEF);
	assert_int_equal(err, EISDIR);
	assert_int_equal(size_of(f->path), size);
	j = load(f->path);
	assert_string_equal(jstr(j, "state"), "failed");
	assert_string_equal(jstr(j, "ended"), "2026-11-23T07:01:00Z");
	assert_string_equal(jstr(j, "file"), FILE_NAME);
	assert_null(json_object_get(j, "participants"));
	json_decref(j);
}

/* The brief form never grows a file (that would need space) and never
 * makes one: a sidecar too small for it, or none, stays as it is. */
static void test_brief_does_not_grow(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mkdir(f->tmp, 0700), 0);
	struct sidecar_facts fa = facts("failed");
	assert_int_equal(sidecar_save(f->s, &fa, true, NULL), MCU_EIO);
	assert_int_equal(access(f->path, F_OK), -1);

	FILE *out = fopen(f->path, "w");
	assert_non_null(out);
	fputs("{\"state\": \"recording\"}\n", out);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(sidecar_save(f->s, &fa, true, NULL), MCU_EIO);
	assert_int_equal(size_of(f->path), 23);
	json_t *j = load(f->path);
	assert_string_equal(jstr(j, "state"), "recording");
	json_decref(j);
}

/* Leaves close the latest open entry of that id; a leave without a join
 * is an entry of its own; names are cut at a UTF-8 boundary; the list
 * stops at its most and says so once. */
static void test_notes(void **state)
{
	struct fx *f = *state;
	char name[300];
	memset(name, 'a', 254);
	strcpy(name + 254, "\xc3\xa9tail"); /* é straddles byte 255 */
	assert_int_equal(sidecar_note(f->s, "x", name, true, T_JOIN), 1);
	assert_int_equal(sidecar_note(f->s, "x", name, true, T_JOIN + 1000000), 1);
	assert_int_equal(sidecar_note(f->s, "x", name, false, T_JOIN + 2000000), 1);
	assert_int_equal(sidecar_note(f->s, "ghost", "", false, T_JOIN + 3000000), 1);
	struct sidecar_facts fa = facts("done");
	assert_int_equal(sidecar_save(f->s, &fa, true, NULL), 0);
	json_t *j = load(f->path);
	json_t *parts = json_object_get(j, "participants");
	assert_int_equal(json_array_size(parts), 3);
	assert_true(json_is_null(json_object_get(json_array_get(parts, 0), "left")));
	assert_string_equal(jstr(json_array_get(parts, 1), "left"), "2026-11-23T07:00:02Z");
	assert_int_equal(strlen(jstr(json_array_get(parts, 1), "name")), 254);
	assert_true(json_is_null(json_object_get(json_array_get(parts, 2), "joined")));
	json_decref(j);

	for (int i = 3; i < 4096; i++)
		assert_int_equal(sidecar_note(f->s, "y", "", true, T_JOIN), 1);
	assert_int_equal(sidecar_note(f->s, "z", "", true, T_JOIN), MCU_ELIMIT);
	assert_int_equal(sidecar_note(f->s, "z", "", true, T_JOIN), 0);
	assert_int_equal(sidecar_note(f->s, "y", "", false, T_JOIN + 1), 1); /* closing still works */
}

static void test_null(void **state)
{
	(void)state;
	sidecar_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brief_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brief_does_not_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
		cmocka_unit_test(test_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
