/* fdbudget.c - see fdbudget.h. Descriptors are counted in /proc/self/fd
 * at each join (about a microsecond per open descriptor), so whatever else
 * opened them (HTTP connections, recordings, libraries) counts too. */
#include "fdbudget.h"
#include "base/err.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#define MIN_RESERVE 64

struct fdbudget {
	pthread_mutex_t lock;
	int limit, reserve;
	int promised;        /* to joins being made; under lock */
};

int fdbudget_open_now(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int fdbudget_create(struct fdbudget **out)
{
	struct fdbudget *b = calloc(1, sizeof(*b));
	if (!b)
		return MCU_ENOMEM;
	struct rlimit lim;
	b->limit = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (rlim_t)1 << 30
		   ? (int)lim.rlim_cur : 1 << 30;
	b->reserve = b->limit / 8 > MIN_RESERVE ? b->limit / 8 : MIN_RESERVE;
	pthread_mutex_init(&b->lock, NULL);
	*out = b;
	return 0;
}

void fdbudget_destroy(struct fdbudget *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int fdbudget_take(struct fdbudget *b, int need)
{
	if (!b)
		return 0;
	pthread_mutex_lock(&b->lock);
	int open = fdbudget_open_now();
	/* Unreadable /proc: judge by what was promised alone. */
	int rc = (open < 0 ? 0 : open) + b->promised + need > b->limit - b->reserve ? MCU_ERESOURCE : 0;
	if (!rc)
		b->promised += need;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void fdbudget_give(struct fdbudget *b, int need)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->promised -= need;
	pthread_mutex_unlock(&b->lock);
}

int fdbudget_limit(const struct fdbudget *b)
{
	return b ? b->limit : 0;
}
