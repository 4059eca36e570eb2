/*
 * sidecar.c - see sidecar.h.
 *
 * The padding is real bytes (spaces, then a newline), not a hole or a
 * preallocation: a hole owns no block, and fallocate is not supported
 * everywhere; written bytes are owned on every file system we run on, and
 * overwriting them on tmpfs, ext4 or xfs allocates nothing. A kilobyte per
 * recording is the price.
 */
#include "sidecar.h"
#include "base/clock.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PARTICIPANTS 4096        /* entries kept; later notes are dropped */
#define MAX_NOTE_BYTES 255           /* id and name are cut to this (at a UTF-8 boundary) */

struct participant {
	char *id, *name;
	int64_t joined_us, left_us;   /* wall µs; 0: unknown / still here */
};

struct sidecar {
	char *path, *tmp;
	/* lock covers the list: notes come from any thread, a save reads it. */
	pthread_mutex_t lock;
	bool lock_ready;
	struct participant *parts;
	int n_parts, cap_parts;
	bool parts_full;
};

int sidecar_create(const char *dir, const char *file, struct sidecar **out)
{
	*out = NULL;
	struct sidecar *s = calloc(1, sizeof(*s));
	if (!s)
		return MCU_ENOMEM;
	if (asprintf(&s->path, "%s/%s.json", dir, file) < 0)
		s->path = NULL;
	if (asprintf(&s->tmp, "%s/.%s.json.tmp", dir, file) < 0)
		s->tmp = NULL;
	s->lock_ready = !pthread_mutex_init(&s->lock, NULL);
	if (!s->path || !s->tmp || !s->lock_ready) {
		sidecar_destroy(s);
		return MCU_ENOMEM;
	}
	*out = s;
	return 0;
}

void sidecar_destroy(struct sidecar *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_parts; i++) {
		free(s->parts[i].id);
		free(s->parts[i].name);
	}
	free(s->parts);
	if (s->lock_ready)
		pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s->tmp);
	free(s);
}

const char *sidecar_path(const struct sidecar *s)
{
	return s->path;
}

/* ---- participants -------------------------------------------------------- */

/* A copy of s cut to MAX_NOTE_BYTES without splitting a UTF-8 sequence. */
static char *copy_note(const char *s)
{
	size_t n = strlen(s);
	if (n > MAX_NOTE_BYTES) {
		n = MAX_NOTE_BYTES;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

/* Appends or closes an entry. Called with lock held. Returns as
 * sidecar_note. */
static int note_locked(struct sidecar *s, const char *id, const char *name, bool joined,
		       int64_t wall_us)
{
	if (!joined) {
		for (int i = s->n_parts - 1; i >= 0; i--) {
			struct participant *p = &s->parts[i];
			if (p->left_us == 0 && strncmp(p->id, id, MAX_NOTE_BYTES) == 0) {
				p->left_us = wall_us;
				return 1;
			}
		}
		/* A leave without a join: an entry whose join is unknown. */
	}
	if (s->n_parts == MAX_PARTICIPANTS) {
		int rc = s->parts_full ? 0 : MCU_ELIMIT;
		s->parts_full = true;
		return rc;
	}
	if (s->n_parts == s->cap_parts) {
		int cap = s->cap_parts ? 2 * s->cap_parts : 16;
		struct participant *p = realloc(s->parts, (size_t)cap * sizeof(*p));
		if (!p)
			return 0;
		s->parts = p;
		s->cap_parts = cap;
	}
	struct participant p = { copy_note(id), copy_note(name ? name : ""),
				 joined ? wall_us : 0, joined ? 0 : wall_us };
	if (!p.id || !p.name) {
		free(p.id);
		free(p.name);
		return 0;
	}
	s->parts[s->n_parts++] = p;
	return 1;
}

int sidecar_note(struct sidecar *s, const char *id, const char *name, bool joined,
		 int64_t wall_us)
{
	pthread_mutex_lock(&s->lock);
	int rc = note_locked(s, id, name, joined, wall_us);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- the document -------------------------------------------------------- */

static json_t *json_time(int64_t wall_us)
{
	char buf[32];
	return wall_us ? json_string(clock_format_utc(wall_us, buf, sizeof(buf))) : json_null();
}

/* A JSON string, or null for bytes that are not UTF-8 (jansson refuses them). */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_null();
}

static json_t *participants_json(struct sidecar *s)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&s->lock);
	for (int i = 0; arr && i < s->n_parts; i++) {
		const struct participant *p = &s->parts[i];
		json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "id", json_text(p->id),
				      "name", json_text(p->name), "joined", json_time(p->joined_us),
				      "left", json_time(p->left_us));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return arr;
}

/* The facts, with the participants unless brief. A new reference, or NULL
 * when out of memory. Durations are kept to the millisecond. */
static json_t *document(struct sidecar *s, const struct sidecar_facts *f, bool brief)
{
	json_t *root = json_pack("{s:o, s:o, s:o, s:o, s:s, s:f, s:I}", "room", json_text(f->room),
				 "file", json_text(f->file), "started", json_time(f->started_wall_us),
				 "ended", json_time(f->ended_wall_us), "state", f->state,
				 "duration_s", (double)(int64_t)(f->duration_s * 1000 + 0.5) / 1000,
				 "bytes", (json_int_t)f->bytes);
	if (root && !brief && json_object_set_new(root, "participants", participants_json(s))) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* ---- writing --------------------------------------------------------------- */

/* doc as text padded with spaces and a final newline to at least min
 * bytes, in a new buffer (*len its size). NULL when out of memory. */
static char *render(const json_t *doc, size_t flags, size_t min, size_t *len)
{
	char *text = json_dumps(doc, flags);
	if (!text)
		return NULL;
	size_t n = strlen(text);
	size_t total = n + 1 < min ? min : n + 1;
	char *buf = malloc(total);
	if (buf) {
		memcpy(buf, text, n);
		memset(buf + n, ' ', total - n - 1);
		buf[total - 1] = '\n';
		*len = total;
	}
	free(text);
	return buf;
}

/* Writes len bytes at offset 0 of fd. Returns 0 or an errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(fd, buf + done, len - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		done += (size_t)w;
	}
	return 0;
}

/* The normal way: temporary file, then rename. Returns 0 or an errno. */
static int save_renamed(const struct sidecar *s, const char *buf, size_t len)
{
	int fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	int err = write_all(fd, buf, len);
	/* close reports what a network file system could not write back. */
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(s->tmp, s->path))
		err = errno;
	if (err)
		unlink(s->tmp);
	return err;
}

/* The full-disk way: brief over the existing file's own bytes. Returns 0
 * or an errno (ENOSPC when brief would not fit in them). */
static int save_in_place(const struct sidecar *s, const json_t *brief)
{
	int fd = open(s->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = 0;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	if (fstat(fd, &st))
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if (!(buf = render(brief, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12),
				(size_t)st.st_size, &len)))
		err = ENOMEM;
	else if (len > (size_t)st.st_size)
		err = ENOSPC; /* growing the file would need the space there is not */
	else
		err = write_all(fd, buf, len);
	free(buf);
	if (close(fd) && !err)
		err = errno;
	return err;
}

int sidecar_save(struct sidecar *s, const struct sidecar_facts *f, bool final, int *os_err)
{
	if (os_err)
		*os_err = 0;
	json_t *doc = document(s, f, false);
	size_t len = 0;
	char *buf = doc ? render(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12),
				 SIDECAR_RESERVE, &len)
			: NULL;
	json_decref(doc);
	if (!buf)
		return MCU_ENOMEM;
	int err = save_renamed(s, buf, len);
	free(buf);
	if (os_err)
		*os_err = err;
	if (!err)
		return 0;
	if (!final)
		return MCU_EIO;
	json_t *brief = document(s, f, true);
	int rc = brief && !save_in_place(s, brief) ? SIDECAR_BRIEF : MCU_EIO;
	json_decref(brief);
	return rc;
}
