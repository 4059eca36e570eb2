/* revocations.c - see revocations.h. A small array searched linearly: it
 * holds the rooms deleted in a week, looked up once per token join. */
#include "revocations.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_US (7LL * 86400 * 1000000) /* the longest a join token lives */

struct deletion {
	char name[65];
	int64_t wall_us;
};

struct revocations {
	pthread_mutex_t lock;
	struct deletion *list;
	int n, max;
};

int revocations_create(int max, struct revocations **out)
{
	if (max < 1)
		return MCU_EINVAL;
	struct revocations *r = calloc(1, sizeof(*r));
	if (!r)
		return MCU_ENOMEM;
	r->list = calloc((size_t)max, sizeof(*r->list));
	if (!r->list) {
		free(r);
		return MCU_ENOMEM;
	}
	r->max = max;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void revocations_destroy(struct revocations *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->list);
	free(r);
}

/* Caller holds the lock. Index of name, or -1. */
static int find(const struct revocations *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->list[i].name, name))
			return i;
	return -1;
}

/* Caller holds the lock. Drops entries past KEEP_US; when still full, the
 * oldest, whose tokens then admit again: said in the log. */
static void make_room(struct revocations *r, int64_t now_us)
{
	int oldest = 0;
	for (int i = 0; i < r->n;) {
		if (now_us - r->list[i].wall_us > KEEP_US) {
			r->list[i] = r->list[--r->n];
			continue;
		}
		if (r->list[i].wall_us < r->list[oldest].wall_us)
			oldest = i;
		i++;
	}
	if (r->n < r->max)
		return;
	LOG_W("revocations", "room=%s forgotten as deleted: more than %d rooms deleted this week",
	      r->list[oldest].name, r->max);
	r->list[oldest] = r->list[--r->n];
}

void revocations_add(struct revocations *r, const char *name, int64_t wall_us)
{
	if (!r || strlen(name) >= sizeof(r->list[0].name))
		return;
	pthread_mutex_lock(&r->lock);
	int i = find(r, name);
	if (i < 0) {
		make_room(r, wall_us);
		i = r->n++;
		snprintf(r->list[i].name, sizeof(r->list[i].name), "%s", name);
	}
	r->list[i].wall_us = wall_us;
	pthread_mutex_unlock(&r->lock);
}

bool revocations_revoked(struct revocations *r, const char *name, int64_t minted_us,
			 int64_t now_us)
{
	if (!r)
		return false;
	pthread_mutex_lock(&r->lock);
	int i = find(r, name);
	bool revoked = i >= 0 && r->list[i].wall_us >= minted_us && now_us - r->list[i].wall_us <= KEEP_US;
	pthread_mutex_unlock(&r->lock);
	return revoked;
}
