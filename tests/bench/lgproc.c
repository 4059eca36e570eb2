/*
 * lgproc.c - see lgproc.h.
 */
#include "lgproc.h"
#include "lgnet.h"
#include "base/err.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* utime + stime in seconds from a stat file, or -1. The command name may
 * hold spaces and parentheses: fields are counted after the last ')'. */
static double stat_cpu(const char *path)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	/* After ')': state(3) ... utime is field 14, stime 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double machine_busy(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			 &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (got < 5)
		return 0;
	unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

int lgproc_sample(pid_t pid, struct lgproc_sample *out)
{
	memset(out, 0, sizeof(*out));
	out->at_us = lgnet_now_us();
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	out->self_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	out->machine_busy_s = machine_busy();
	if (pid <= 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	out->cpu_s = stat_cpu(path);
	if (out->cpu_s < 0)
		return MCU_EIO;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) && out->n_threads < LGPROC_MAX_THREADS) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char tpath[96];
		snprintf(tpath, sizeof(tpath), "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
		double s = stat_cpu(tpath);
		if (s < 0)
			continue;
		out->tid[out->n_threads] = atoi(e->d_name);
		out->thread_s[out->n_threads++] = s;
	}
	if (d)
		closedir(d);
	return 0;
}

double lgproc_top_thread(const struct lgproc_sample *a, const struct lgproc_sample *b, int *tid)
{
	double best = 0;
	*tid = 0;
	for (int i = 0; i < b->n_threads; i++) {
		double before = 0;
		for (int j = 0; j < a->n_threads; j++)
			if (a->tid[j] == b->tid[i])
				before = a->thread_s[j];
		double used = b->thread_s[i] - before;
		if (used > best) {
			best = used;
			*tid = b->tid[i];
		}
	}
	return best;
}
