/*
 * recordings_names.c - fuzzes the two parsers of recorder/recordings.c that
 * see request text: recordings_valid_name (the input as a NUL-terminated
 * string) and recordings_parse_range (the input as a Range header value,
 * against sizes 0, 1, 1000, 2^40 and UINT64_MAX). Links
 * recorder/recordings.o and mcu/err.o (and jansson, which that file uses
 * for sidecars) only; no file system is touched.
 *
 * Checks beyond "no crash": a valid name is {room}-{stamp}.mp4 with a room
 * of 1..64 of [A-Za-z0-9_-], so it has no '/', no "..", no '%' and ends in
 * ".mp4"; a range parse answers 1, 0 or MCU_ELIMIT, and a 1 is a range
 * inside the resource (first <= last < size).
 */
#include "recorder/recordings.h"
#include "base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

static void check_name(const char *s)
{
	if (!recordings_valid_name(s))
		return;
	size_t n = strlen(s);
	CHECK(n >= 1 + 21 && n <= 64 + 21);
	CHECK(!strchr(s, '/') && !strstr(s, "..") && !strchr(s, '%') && !strchr(s, '\\'));
	CHECK(!strcmp(s + n - 4, ".mp4"));
	CHECK(s[0] != '.');
	for (size_t i = 0; i < n; i++)
		CHECK(s[i] > ' ' && s[i] < 0x7f);
}

static void check_range(const char *s)
{
	static const uint64_t sizes[] = { 0, 1, 1000, (uint64_t)1 << 40, UINT64_MAX };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t first = 7, last = 7;
		int rc = recordings_parse_range(s, sizes[i], &first, &last);
		CHECK(rc == 1 || rc == 0 || rc == MCU_ELIMIT);
		if (rc == 1)
			CHECK(first <= last && last < sizes[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	CHECK(s);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	check_name(s);
	check_range(s);
	free(s);
	return 0;
}
