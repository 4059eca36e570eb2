/* recordings_test.c - the recordings directory: which names are recordings
 * (and every way of naming a path outside the directory that is not), the
 * Range header table, and list/get/open/delete on a temporary directory of
 * fake recordings and sidecars written here, symlinks and FIFOs included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "recorder/recordings.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define A "lobby-20261123T071500Z.mp4"   /* oldest */
#define B "lobby-20261123T081500Z.mp4"
#define C "board_2-20261124T000000Z.mp4" /* newest */

struct dir {
	char path[64];
	char outside[64]; /* a sibling directory a symlink may point into */
};

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

static bool exists(const char *dir, const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static void rm_dir(const char *path)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/recordings_test.XXXXXX");
	snprintf(d->outside, sizeof(d->outside), "/tmp/recordings_out.XXXXXX");
	if (!mkdtemp(d->path) || !mkdtemp(d->outside)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	rm_dir(d->path);
	rm_dir(d->outside);
	free(d);
	return 0;
}

static void test_valid_name(void **state)
{
	(void)state;
	assert_true(recordings_valid_name(A));
	assert_true(recordings_valid_name(C));
	assert_true(recordings_valid_name("a-20000101T000000Z.mp4"));
	assert_true(recordings_valid_name("--20000101T000000Z.mp4")); /* room "-" */
	assert_true(recordings_valid_name("a-b-c-20201231T235960Z.mp4"));
	char longest[128];
	memset(longest, 'r', 64);
	strcpy(longest + 64, "-20261123T071500Z.mp4");
	assert_true(recordings_valid_name(longest));
	longest[0] = 'x';
	memmove(longest + 1, longest, strlen(longest) + 1); /* a 65-char room */
	assert_false(recordings_valid_name(longest));

	static const char *const bad[] = {
		"", ".", "..", "../etc/passwd", "%2e%2e%2fx", "..%2f" A, "a/b.mp4", "x.mp4",
		"x.mp4%00.json", "/" A, "./" A, "../" A, "lobby/" A, "lobby\\x-20261123T071500Z.mp4",
		A ".json", A "\n", " " A, "lobby-20261123T071500Z.MP4", "lobby-20261123T071500Z.mp",
		"lobby-20261123T071500Z", "-20261123T071500Z.mp4", "lobby20261123T071500Z.mp4",
		"lobby-20261123T071500.mp4", "lobby-20261123 071500Z.mp4", "lobby-2026112T071500Z.mp4",
		"lobby-20261323T071500Z.mp4", "lobby-20261100T071500Z.mp4",
		"lobby-20261123T241500Z.mp4", "lobby-20261123T076000Z.mp4",
		"lobby-2026112aT071500Z.mp4", "lob.by-20261123T071500Z.mp4",
		"lobby-20261123T071500Z.mp4.tmp", "lobby-20261123T071500Zxmp4",
		"l\xc3\xa9-20261123T071500Z.mp4",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (recordings_valid_name(bad[i]))
			fail_msg("accepted bad name '%s'", bad[i]);
	assert_false(recordings_valid_name(NULL));
	/* A NUL inside the name: the C string stops there and is not a name. */
	const char nul[] = "x.mp4\0.json";
	assert_false(recordings_valid_name(nul));
}

static void test_parse_range(void **state)
{
	(void)state;
	static const struct {
		const char *header;
		uint64_t size;
		int rc;
		uint64_t first, last;
	} cases[] = {
		{ "bytes=0-0", 1000, 1, 0, 0 },
		{ "bytes=100-199", 1000, 1, 100, 199 },
		{ "bytes=0-999", 1000, 1, 0, 999 },
		{ "bytes=0-5000", 1000, 1, 0, 999 },        /* last clamped */
		{ "bytes=999-999", 1000, 1, 999, 999 },
		{ "bytes=500-", 1000, 1, 500, 999 },
		{ "bytes=-10", 1000, 1, 990, 999 },
		{ "bytes=-1000", 1000, 1, 0, 999 },
		{ "bytes=-5000", 1000, 1, 0, 999 },          /* suffix longer than the file */
		{ "BYTES=1-2", 1000, 1, 1, 2 },              /* the unit is case-insensitive */
		{ " bytes=1-2 ", 1000, 1, 1, 2 },
		{ "bytes=0-99999999999999999999999", 1000, 1, 0, 999 }, /* saturates, clamps */
		{ "bytes=1000-", 1000, MCU_ELIMIT, 0, 0 },
		{ "bytes=1000-2000", 1000, MCU_ELIMIT, 0, 0 },
		{ "bytes=5000-", 1000, MCU_ELIMIT, 0, 0 },
		{ "bytes=99999999999999999999999-", 1000, MCU_ELIMIT, 0, 0 },
		{ "bytes=-0", 1000, MCU_ELIMIT, 0, 0 },
		{ "bytes=0-", 0, MCU_ELIMIT, 0, 0 },         /* an empty file has no bytes */
		{ "bytes=-5", 0, MCU_ELIMIT, 0, 0 },
		{ "", 1000, 0, 0, 0 },                       /* absent: the whole file */
		{ "bytes=", 1000, 0, 0, 0 },
		{ "bytes=-", 1000, 0, 0, 0 },
		{ "bytes=a-b", 1000, 0, 0, 0 },
		{ "bytes=5", 1000, 0, 0, 0 },
		{ "bytes=5-4", 1000, 0, 0, 0 },              /* last < first: invalid */
		{ "bytes=1-2-3", 1000, 0, 0, 0 },
		{ "bytes=--5", 1000, 0, 0, 0 },
		{ "bytes=+1-2", 1000, 0, 0, 0 },
		{ "bytes=1 -2", 1000, 0, 0, 0 },
		{ "bytes=0-1,5-6", 1000, 0, 0, 0 },          /* several ranges: whole */
		{ "bytes=0-1, -5", 1000, 0, 0, 0 },
		{ "bytes=0-1,", 1000, 0, 0, 0 },
		{ "items=0-1", 1000, 0, 0, 0 },
		{ "bytes 0-1", 1000, 0, 0, 0 },
		{ "0-1", 1000, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t first = 77, last = 77;
		int rc = recordings_parse_range(cases[i].header, cases[i].size, &first, &last);
		if (rc != cases[i].rc)
			fail_msg("'%s' (size %llu): rc %d, want %d", cases[i].header,
				 (unsigned long long)cases[i].size, rc, cases[i].rc);
		if (rc == 1 && (first != cases[i].first || last != cases[i].last))
			fail_msg("'%s': %llu-%llu, want %llu-%llu", cases[i].header,
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)cases[i].first, (unsigned long long)cases[i].last);
	}
	uint64_t first, last;
	assert_int_equal(recordings_parse_range(NULL, 1000, &first, &last), 0);
}

/* Three recordings: A with a full sidecar, B without one, C with one in
 * progress; plus things that are not recordings. */
static void populate(const struct dir *d)
{
	char data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	write_file(d->path, A, data, 1000);
	write_text(d->path, A ".json",
		   "{\"room\":\"lobby\",\"file\":\"" A "\",\"started\":\"2026-11-23T07:15:00.250Z\","
		   "\"ended\":\"2026-11-23T07:25:00Z\",\"state\":\"done\",\"duration_s\":600.5,"
		   "\"bytes\":12,\"participants\":[{\"id\":\"a\",\"name\":\"x\"}]}");
	write_file(d->path, B, data, 10);
	write_file(d->path, C, data, 0);
	write_text(d->path, C ".json",
		   "{\"room\":\"board_2\",\"file\":\"" C "\",\"started\":\"2026-11-24T01:00:00+01:00\","
		   "\"state\":\"recording\",\"duration_s\":3,\"participants\":[]}");
	write_text(d->path, "notes.txt", "not a recording");
	write_text(d->path, "lobby-20261123T091500Z.mp4.json", "{}"); /* a sidecar alone */
	write_text(d->path, "lobby-20261123T091500Z.mp4.tmp", "partial");
	char path[256];
	snprintf(path, sizeof(path), "%s/zz-20261201T000000Z.mp4", d->path);
	assert_int_equal(mkdir(path, 0700), 0);                 /* a directory */
	write_text(d->outside, "secret", "outside the directory");
	char target[160];
	snprintf(target, sizeof(target), "%s/secret", d->outside);
	snprintf(path, sizeof(path), "%s/evil-20261130T000000Z.mp4", d->path);
	assert_int_equal(symlink(target, path), 0);             /* a symlink out */
	snprintf(path, sizeof(path), "%s/fifo-20261130T000000Z.mp4", d->path);
	assert_int_equal(mkfifo(path, 0600), 0);                /* would block an open */
}

static void test_list(void **state)
{
	struct dir *d = *state;
	populate(d);
	struct recording_info *list = NULL;
	int n = -1;
	assert_int_equal(recordings_list(d->path, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].file, C);
	assert_string_equal(list[1].file, B);
	assert_string_equal(list[2].file, A);

	assert_string_equal(list[0].room, "board_2");
	assert_string_equal(list[0].state, "recording");
	assert_int_equal(list[0].bytes, 0);
	assert_true(list[0].duration_s == 3.0);
	/* 2026-11-24T01:00:00+01:00 is midnight UTC */
	assert_int_equal(list[0].started_wall_us, 1795478400LL * 1000000);

	assert_string_equal(list[1].room, "lobby");
	assert_string_equal(list[1].state, "done");       /* no sidecar */
	assert_int_equal(list[1].bytes, 10);
	assert_true(list[1].duration_s == 0.0);
	assert_int_equal(list[1].started_wall_us, 1795421700LL * 1000000); /* from the name */

	assert_string_equal(list[2].state, "done");
	assert_int_equal(list[2].bytes, 1000);            /* the file's size, not the sidecar's */
	assert_true(list[2].duration_s == 600.5);
	assert_int_equal(list[2].started_wall_us, 1795418100LL * 1000000 + 250000);
	free(list);
}

static void test_bad_sidecars(void **state)
{
	struct dir *d = *state;
	static const char *const sidecars[] = {
		"", "not json", "[1,2]", "{\"state\":7,\"duration_s\":\"long\",\"started\":3}",
		"{\"state\":\"exploded\",\"duration_s\":-4,\"started\":\"yesterday\"}",
		"{\"started\":\"2026-13-01T00:00:00Z\"}", "{\"state\":\"done\"", /* cut short */
	};
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		write_file(d->path, A, "abc", 3);
		write_text(d->path, A ".json", sidecars[i]);
		struct recording_info info;
		assert_int_equal(recordings_get(d->path, A, &info), 0);
		/* A sidecar we cannot use may be one cut short: never "done". */
		assert_string_equal(info.state, "incomplete");
		assert_true(info.duration_s == 0.0);
		assert_int_equal(info.started_wall_us, 1795418100LL * 1000000);
		assert_int_equal(info.bytes, 3);
	}
	/* A sidecar that is a symlink is not read (nor trusted). */
	char target[160], path[256];
	snprintf(target, sizeof(target), "%s/side.json", d->outside);
	write_text(d->outside, "side.json", "{\"state\":\"failed\",\"duration_s\":9}");
	snprintf(path, sizeof(path), "%s/" A ".json", d->path);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	struct recording_info info;
	assert_int_equal(recordings_get(d->path, A, &info), 0);
	assert_string_equal(info.state, "incomplete");
	assert_true(info.duration_s == 0.0);
}

/* What the API shows: the sidecar's final word, padding and all; a live
 * recorder's word over the sidecar's; "recording" with no recorder behind
 * it, or a "done" file shorter than its sidecar counted, is "incomplete". */
static void test_states(void **state)
{
	struct dir *d = *state;
	static const struct {
		const char *sidecar, *state, *shown, *shown_live;
	} cases[] = {
		{ "{\"state\":\"failed\",\"bytes\":99}                \n", "failed", "failed", "failed" },
		{ "{\"state\":\"incomplete\"}", "incomplete", "incomplete", "recording" },
		{ "{\"state\":\"recording\"}", "recording", "incomplete", "recording" },
		{ "{\"state\":\"done\",\"bytes\":3}", "done", "done", "recording" },
		{ "{\"state\":\"done\",\"bytes\":4}", "incomplete", "incomplete", "recording" },
		{ "{\"state\":\"done\",\"bytes\":\"4\"}", "done", "done", "recording" },
	};
	write_file(d->path, A, "abc", 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(d->path, A ".json", cases[i].sidecar);
		struct recording_info info;
		assert_int_equal(recordings_get(d->path, A, &info), 0);
		assert_string_equal(info.state, cases[i].state);
		assert_string_equal(recordings_state(&info, NULL), cases[i].shown);
		/* the live word is whatever this server's recorder says */
		const char *live = !strcmp(cases[i].state, "failed") ? "failed" : "recording";
		assert_string_equal(recordings_state(&info, live), cases[i].shown_live);
	}
}

static void test_missing_dir(void **state)
{
	struct dir *d = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/nope", d->path);
	struct recording_info *list = (void *)1;
	int n = -1;
	assert_int_equal(recordings_list(path, &list, &n), 0);
	assert_int_equal(n, 0);
	assert_null(list);
	assert_int_equal(recordings_list(d->path, &list, &n), 0); /* empty dir */
	assert_int_equal(n, 0);
	write_text(d->path, "plain", "x");
	snprintf(path, sizeof(path), "%s/plain", d->path);
	assert_int_equal(recordings_list(path, &list, &n), MCU_EIO); /* not a directory */
	snprintf(path, sizeof(path), "%s/nope", d->path);
	struct recording_info info;
	uint64_t size;
	assert_int_equal(recordings_get(path, A, &info), MCU_ENOTFOUND);
	assert_int_equal(recordings_open(path, A, &size), MCU_ENOTFOUND);
	assert_int_equal(recordings_delete(path, A, false), MCU_ENOTFOUND);
}

static void test_get_and_open(void **state)
{
	struct dir *d = *state;
	populate(d);
	struct recording_info info;
	assert_int_equal(recordings_get(d->path, A, &info), 0);
	assert_string_equal(info.file, A);
	assert_int_equal(info.bytes, 1000);
	assert_int_equal(recordings_get(d->path, "lobby-20261123T091500Z.mp4", &info), MCU_ENOTFOUND);
	assert_int_equal(recordings_get(d->path, "../x", &info), MCU_EINVAL);

	uint64_t size = 0;
	int fd = recordings_open(d->path, A, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, 1000);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* MHD wants blocking */
	unsigned char buf[4];
	assert_int_equal(pread(fd, buf, 4, 100), 4);
	assert_int_equal(buf[0], (unsigned char)(100 * 7 + 3));
	close(fd);

	/* Not regular files, or outside: all "not found", and nothing blocks. */
	assert_int_equal(recordings_open(d->path, "evil-20261130T000000Z.mp4", &size), MCU_ENOTFOUND);
	assert_int_equal(recordings_get(d->path, "evil-20261130T000000Z.mp4", &info), MCU_ENOTFOUND);
	assert_int_equal(recordings_open(d->path, "fifo-20261130T000000Z.mp4", &size), MCU_ENOTFOUND);
	assert_int_equal(recordings_open(d->path, "zz-20261201T000000Z.mp4", &size), MCU_ENOTFOUND);
	assert_int_equal(recordings_open(d->path, "lobby-20261123T091500Z.mp4", &size), MCU_ENOTFOUND);
	static const char *const bad[] = { "..", "../etc/passwd", "%2e%2e%2fx", "a/b.mp4",
					   "x.mp4%00.json", "notes.txt", A ".json", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(recordings_open(d->path, bad[i], &size), MCU_EINVAL);
		assert_int_equal(recordings_get(d->path, bad[i], &info), MCU_EINVAL);
		assert_int_equal(recordings_delete(d->path, bad[i], false), MCU_EINVAL);
	}
	assert_int_equal(recordings_open(d->path, NULL, &size), MCU_EINVAL);
}

static void test_delete(void **state)
{
	struct dir *d = *state;
	populate(d);
	assert_int_equal(recordings_delete(d->path, C, true), MCU_EAGAIN); /* still recording */
	assert_true(exists(d->path, C));
	assert_true(exists(d->path, C ".json"));
	assert_int_equal(recordings_delete(d->path, C, false), 0);
	assert_false(exists(d->path, C));
	assert_false(exists(d->path, C ".json"));
	assert_int_equal(recordings_delete(d->path, C, false), MCU_ENOTFOUND);
	assert_int_equal(recordings_delete(d->path, B, false), 0); /* no sidecar is fine */
	assert_false(exists(d->path, B));

	/* The symlink is refused, and its target stays. */
	assert_int_equal(recordings_delete(d->path, "evil-20261130T000000Z.mp4", false), MCU_ENOTFOUND);
	assert_true(exists(d->path, "evil-20261130T000000Z.mp4"));
	assert_true(exists(d->outside, "secret"));
	assert_int_equal(recordings_delete(d->path, "zz-20261201T000000Z.mp4", false), MCU_ENOTFOUND);
	assert_int_equal(recordings_delete(d->path, "lobby-20261123T091500Z.mp4", false),
			 MCU_ENOTFOUND); /* only its sidecar exists: left alone */
	assert_true(exists(d->path, "lobby-20261123T091500Z.mp4.json"));

	struct recording_info *list = NULL;
	int n = 0;
	assert_int_equal(recordings_list(d->path, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].file, A);
	free(list);
}

/* Many entries: the list grows past its first allocation and stays sorted. */
static void test_many(void **state)
{
	struct dir *d = *state;
	for (int i = 0; i < 40; i++) {
		char name[64];
		snprintf(name, sizeof(name), "r%d-202611%02dT0000%02dZ.mp4", i % 3, 1 + i % 28, i);
		write_file(d->path, name, "x", 1);
	}
	struct recording_info *list = NULL;
	int n = 0;
	assert_int_equal(recordings_list(d->path, &list, &n), 0);
	assert_int_equal(n, 40);
	for (int i = 1; i < n; i++)
		assert_true(list[i - 1].started_wall_us >= list[i].started_wall_us);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sidecars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
