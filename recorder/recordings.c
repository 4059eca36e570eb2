/*
 * recordings.c - see recordings.h.
 *
 * Every access goes through a descriptor of the directory and openat/
 * fstatat/unlinkat with a name that recordings_valid_name() accepted, so a
 * name can never leave the directory; files are opened with O_NOFOLLOW (a
 * symlink named like a recording is "not found", wherever it points) and
 * O_NONBLOCK (a FIFO named like one cannot hang the caller), and only
 * regular files count. Sidecars are read whole, up to SIDECAR_MAX bytes; one
 * that is missing, too big or not the JSON we expect is ignored, and the
 * facts come from the name and the file.
 *
 * The state is never "done" on a guess about a file that may be cut short:
 * a sidecar that exists but cannot be read, names no state we know, or
 * counts more bytes than the file holds makes it "incomplete"; only a file
 * with no sidecar at all (the recorder never leaves one so: it writes the
 * sidecar before any media) counts as whole.
 */
#include "recordings.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROOM_MAX 64
#define STAMP_LEN 16                 /* "YYYYmmddTHHMMSSZ" */
#define SUFFIX_LEN (1 + STAMP_LEN + 4) /* "-" stamp ".mp4" */
/* The most a recorder's sidecar can hold: 4096 participants whose 255-byte
 * names are all escaped control characters (about 1.8 KB an entry). A
 * bigger one is not ours, and counts as unreadable. */
#define SIDECAR_MAX (8 << 20)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads n decimal digits; -1 if one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Wall-clock µs of a broken-down UTC time with range checks; -1 when a
 * field is out of range. */
static int64_t utc_us(int year, int mon, int day, int hour, int min, int sec)
{
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
	    min < 0 || min > 59 || sec < 0 || sec > 60)
		return -1;
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
			 .tm_hour = hour, .tm_min = min, .tm_sec = sec };
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (int64_t)t * 1000000;
}

/* Parses the name's "YYYYmmddTHHMMSSZ" (exactly STAMP_LEN chars at s). */
static int64_t stamp_us(const char *s)
{
	if (s[8] != 'T' || s[15] != 'Z')
		return -1;
	return utc_us(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2), digits(s + 9, 2),
		      digits(s + 11, 2), digits(s + 13, 2));
}

/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" into wall µs;
 * -1 when it is not that. */
static int64_t iso_us(const char *s)
{
	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	int64_t us = utc_us(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2), digits(s + 11, 2),
			    digits(s + 14, 2), digits(s + 17, 2));
	if (us < 0)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int64_t scale = 100000;
		if (!is_digit(*++p))
			return -1;
		for (; is_digit(*p); p++, scale /= 10)
			us += (*p - '0') * scale;
	}
	if ((p[0] == 'Z' || p[0] == 'z') && !p[1])
		return us;
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':')
		return -1;
	int h = digits(p + 1, 2), m = digits(p + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	int64_t off = ((int64_t)h * 3600 + m * 60) * 1000000;
	return p[0] == '+' ? us - off : us + off;
}

bool recordings_valid_name(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n < 1 + SUFFIX_LEN || n > ROOM_MAX + SUFFIX_LEN)
		return false;
	size_t room_len = n - SUFFIX_LEN;
	for (size_t i = 0; i < room_len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
			  c == '_' || c == '-';
		if (!ok)
			return false;
	}
	const char *suffix = name + room_len;
	return suffix[0] == '-' && !strcmp(suffix + 1 + STAMP_LEN, ".mp4") &&
	       stamp_us(suffix + 1) >= 0;
}

/* Opens dir for the *at calls. Returns an fd, or MCU_ENOTFOUND when it does
 * not exist, or MCU_EIO. */
static int open_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		return dfd;
	return errno == ENOENT ? MCU_ENOTFOUND : MCU_EIO;
}

/* Reads the sidecar {name}.json into a new JSON object, or NULL; *absent
 * says whether there is none at all (rather than one we cannot use). */
static json_t *load_sidecar(int dfd, const char *name, bool *absent)
{
	char path[sizeof(((struct recording_info *)0)->file) + 8];
	snprintf(path, sizeof(path), "%s.json", name);
	int fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	*absent = fd < 0 && errno == ENOENT;
	if (fd < 0)
		return NULL;
	json_t *obj = NULL;
	char *buf = NULL;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > SIDECAR_MAX)
		goto done;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto done;
	size_t len = 0;
	for (;;) { /* it may have changed size since fstat; read what is there */
		ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) > (size_t)st.st_size)
			break;
	}
	if (len <= (size_t)st.st_size)
		obj = json_loadb(buf, len, 0, NULL);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
done:
	free(buf);
	close(fd);
	return obj;
}

/* Takes from the sidecar what it knows better than the name: when the
 * recording really started, its duration and state (see the top). */
static void apply_sidecar(json_t *obj, struct recording_info *out)
{
	json_t *started = json_object_get(obj, "started");
	json_t *duration = json_object_get(obj, "duration_s");
	json_t *state = json_object_get(obj, "state");
	json_t *bytes = json_object_get(obj, "bytes");
	int64_t us = json_is_string(started) ? iso_us(json_string_value(started)) : -1;
	if (us >= 0)
		out->started_wall_us = us;
	if (json_is_number(duration) && json_number_value(duration) >= 0)
		out->duration_s = json_number_value(duration);
	const char *s = json_is_string(state) ? json_string_value(state) : "";
	if (strcmp(s, "recording") && strcmp(s, "done") && strcmp(s, "failed") &&
	    strcmp(s, "incomplete"))
		s = "incomplete";
	else if (!strcmp(s, "done") && json_is_integer(bytes) &&
		 json_integer_value(bytes) > (json_int_t)out->bytes)
		s = "incomplete"; /* cut short after it was finished */
	snprintf(out->state, sizeof(out->state), "%s", s);
}

/* Fills out for a valid name in dfd. Returns 0 or MCU_ENOTFOUND (absent,
 * or not a regular file: a symlink counts as absent). */
static int load_info(int dfd, const char *name, struct recording_info *out)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return MCU_ENOTFOUND;
	size_t n = strlen(name);
	memset(out, 0, sizeof(*out));
	memcpy(out->file, name, n + 1);
	memcpy(out->room, name, n - SUFFIX_LEN);
	out->started_wall_us = stamp_us(name + n - SUFFIX_LEN + 1);
	out->bytes = (uint64_t)st.st_size;
	bool absent;
	json_t *side = load_sidecar(dfd, name, &absent);
	snprintf(out->state, sizeof(out->state), "%s", absent ? "done" : "incomplete");
	if (side)
		apply_sidecar(side, out);
	json_decref(side);
	return 0;
}

const char *recordings_state(const struct recording_info *r, const char *live)
{
	if (live)
		return live;
	return strcmp(r->state, "recording") ? r->state : "incomplete";
}

/* Newest first; the name breaks ties so the order is stable. */
static int cmp_newest(const void *a, const void *b)
{
	const struct recording_info *x = a, *y = b;
	if (x->started_wall_us != y->started_wall_us)
		return x->started_wall_us < y->started_wall_us ? 1 : -1;
	return -strcmp(x->file, y->file);
}

int recordings_list(const char *dir, struct recording_info **out, int *n)
{
	*out = NULL;
	*n = 0;
	int dfd = open_dir(dir);
	if (dfd == MCU_ENOTFOUND)
		return 0;
	if (dfd < 0)
		return dfd;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return MCU_EIO;
	}
	struct recording_info *list = NULL;
	int count = 0, cap = 0, rc = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!recordings_valid_name(e->d_name))
			continue;
		if (count == cap) {
			int grown_cap = cap ? cap * 2 : 16;
			struct recording_info *grown = realloc(list, (size_t)grown_cap * sizeof(*list));
			if (!grown) {
				rc = MCU_ENOMEM;
				break;
			}
			list = grown;
			cap = grown_cap;
		}
		if (load_info(dirfd(d), e->d_name, &list[count]) == 0)
			count++;
	}
	closedir(d); /* closes dfd */
	if (rc) {
		free(list);
		return rc;
	}
	if (count)
		qsort(list, (size_t)count, sizeof(*list), cmp_newest);
	else {
		free(list);
		list = NULL;
	}
	*out = list;
	*n = count;
	return 0;
}

int recordings_get(const char *dir, const char *name, struct recording_info *out)
{
	if (!recordings_valid_name(name))
		return MCU_EINVAL;
	int dfd = open_dir(dir);
	if (dfd < 0)
		return MCU_ENOTFOUND;
	int rc = load_info(dfd, name, out);
	close(dfd);
	return rc;
}

int recordings_open(const char *dir, const char *name, uint64_t *size)
{
	if (!recordings_valid_name(name))
		return MCU_EINVAL;
	int dfd = open_dir(dir);
	if (dfd < 0)
		return MCU_ENOTFOUND;
	/* O_NOFOLLOW: a symlink fails with ELOOP, whatever it points to. */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return MCU_ENOTFOUND;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return MCU_ENOTFOUND;
	}
	/* Back to blocking reads: O_NONBLOCK was only for the open. */
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	*size = (uint64_t)st.st_size;
	return fd;
}

int recordings_delete(const char *dir, const char *name, bool is_live)
{
	if (!recordings_valid_name(name))
		return MCU_EINVAL;
	int dfd = open_dir(dir);
	if (dfd < 0)
		return MCU_ENOTFOUND;
	int rc = 0;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		rc = MCU_ENOTFOUND;
	else if (is_live)
		rc = MCU_EAGAIN;
	else if (unlinkat(dfd, name, 0))
		rc = errno == ENOENT ? MCU_ENOTFOUND : MCU_EIO;
	if (!rc) {
		/* The sidecar goes too; one that is missing is fine. */
		char path[sizeof(((struct recording_info *)0)->file) + 8];
		snprintf(path, sizeof(path), "%s.json", name);
		if (unlinkat(dfd, path, 0) && errno != ENOENT)
			rc = MCU_EIO;
	}
	close(dfd);
	return rc;
}

/* Parses a decimal number at *p (advancing it), saturating at UINT64_MAX.
 * Returns false when there is no digit. */
static bool parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	if (!is_digit(*s))
		return false;
	uint64_t x = 0;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*p = s;
	*v = x;
	return true;
}

int recordings_parse_range(const char *header, uint64_t size, uint64_t *first, uint64_t *last)
{
	if (!header)
		return 0;
	while (*header == ' ' || *header == '\t')
		header++;
	if (strncasecmp(header, "bytes=", 6)) /* the unit is case-insensitive (RFC 9110 14.1) */
		return 0;
	const char *p = header + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix = *p == '-';
	if (suffix) {
		p++;
		if (!parse_u64(&p, &b))
			return 0;
	} else {
		if (!parse_u64(&p, &a) || *p++ != '-')
			return 0;
		if (is_digit(*p) && (!parse_u64(&p, &b) || b < a))
			return 0; /* last < first is invalid, not unsatisfiable */
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) /* a second range, or junk: serve the whole */
		return 0;
	if (suffix) {
		if (b == 0 || size == 0)
			return MCU_ELIMIT;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (a >= size)
		return MCU_ELIMIT;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}
