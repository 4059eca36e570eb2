/* admission.c - see admission.h. */
#include "admission.h"
#include "config.h"
#include "cost.h"
#include "fdbudget.h"
#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>

struct admission {
	const struct config *cfg;
	double cpu_budget;             /* CPU-s per s all rooms may cost; 0: no limit */
	struct fdbudget *fds;
};

int admission_create(const struct config *cfg, struct admission **out)
{
	struct admission *a = calloc(1, sizeof(*a));
	if (!a)
		return MCU_ENOMEM;
	a->cfg = cfg;
	if (cost_parse_budget(cfg->cpu_budget, &a->cpu_budget)) {
		LOG_E("admission", "cpu_budget: '%s' is not auto, off or a number of CPUs",
		      cfg->cpu_budget);
		free(a);
		return MCU_EINVAL;
	}
	if (fdbudget_create(&a->fds)) {
		free(a);
		return MCU_ENOMEM;
	}
	*out = a;
	return 0;
}

void admission_destroy(struct admission *a)
{
	if (!a)
		return;
	fdbudget_destroy(a->fds);
	free(a);
}

bool admission_limits_cpu(const struct admission *a)
{
	return a->cpu_budget > 0;
}

double admission_new_room_cost(const struct admission *a, const struct port_info *extra)
{
	struct cost_room c;
	cost_room_init(&c, a->cfg->max_mixed_speakers, a->cfg->record);
	cost_room_add(&c, extra);
	return cost_room_estimate(&c);
}

int admission_check_cpu(const struct admission *a, double after, const char *room)
{
	if (a->cpu_budget <= 0 || after <= a->cpu_budget)
		return 0;
	LOG_W("admission", "room=%s join refused: it would cost %.2f CPU of a budget of %.2f",
	      room, after, a->cpu_budget);
	return MCU_ELIMIT;
}

int admission_take_fds(struct admission *a, int need, char *err, size_t err_size)
{
	int rc = fdbudget_take(a->fds, need);
	if (rc)
		snprintf(err, err_size, "the server is out of file descriptors (%d of %d open)",
			 fdbudget_open_now(), fdbudget_limit(a->fds));
	return rc;
}

void admission_give_fds(struct admission *a, int need)
{
	fdbudget_give(a->fds, need);
}
