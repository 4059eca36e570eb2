/*
 * replay.c - runs a fuzz target without libFuzzer: LLVMFuzzerTestOneInput on
 * every file of the directories (or files) named on the command line, in
 * name order, printing TAP ("ok N - path") so tests/run.sh counts each
 * corpus file as one test. Linked with gcc (and SANFLAGS under SAN=1) into
 * build/tests/fuzz_<target> by `make build-all`.
 *
 * Each input is read into a buffer of exactly its size, so ASan sees any
 * read past its end as libFuzzer would. A target that crashes takes the
 * process down: the "# running" line before it names the input, and
 * run.sh counts the non-zero exit as a failure.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct names {
	char **v;
	size_t n, cap;
};

static int add_name(struct names *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(path);
	return l->v[l->n++] ? 0 : -1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or the regular files in it when it is a directory (not
 * recursive; dot files skipped, as libFuzzer does). */
static int collect(struct names *l, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("# cannot stat %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_name(l, path);
	DIR *d = opendir(path);
	if (!d) {
		printf("# cannot open %s\n", path);
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = add_name(l, full);
	}
	closedir(d);
	return rc;
}

/* Reads path whole into a new buffer of exactly its size (NULL and size 0
 * for an empty file, as libFuzzer may pass). Returns 0 or -1. */
static int read_file(const char *path, uint8_t **out, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = -1;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
			len = (size_t)n;
			buf = len ? malloc(len) : NULL;
			if (!len || (buf && fread(buf, 1, len, f) == len))
				rc = 0;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return -1;
	}
	*out = buf;
	*size = len;
	return 0;
}

int main(int argc, char **argv)
{
	struct names l = { 0 };
	int failed = 0;
	for (int i = 1; i < argc; i++)
		if (collect(&l, argv[i]))
			failed = 1;
	qsort(l.v, l.n, sizeof(*l.v), cmp_names);
	printf("1..%zu\n", l.n);
	for (size_t i = 0; i < l.n; i++) {
		uint8_t *data;
		size_t size;
		if (read_file(l.v[i], &data, &size)) {
			printf("not ok %zu - %s # cannot read\n", i + 1, l.v[i]);
			failed = 1;
			continue;
		}
		printf("# running %s (%zu bytes)\n", l.v[i], size);
		fflush(stdout);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		printf("ok %zu - %s\n", i + 1, l.v[i]);
		fflush(stdout);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return failed;
}
