/*
 * admission.h - whether the server takes one more participant: the rooms'
 * cap, the CPU budget (the cost model, cost.h) and the file descriptors a
 * join will open (fdbudget.h). A refusal is MCU_ELIMIT or MCU_ERESOURCE,
 * which signaling answers with 503, so the rooms already running keep
 * their frame rate and their sockets.
 */
#ifndef MCU_ADMISSION_H
#define MCU_ADMISSION_H

#include "mixer/port.h"

#include <stdbool.h>
#include <stddef.h>

struct admission;
struct config;

/* Reads cpu_budget and max_mixed_speakers from cfg (borrowed; it outlives
 * a). Returns 0, MCU_EINVAL (cpu_budget malformed: logged) or MCU_ENOMEM.
 * Thread: main. */
int admission_create(const struct config *cfg, struct admission **out);

/* Accepts NULL. Thread: main. */
void admission_destroy(struct admission *a);

/* Does a budget limit the CPU (is room_cost worth adding up)? Thread: any. */
bool admission_limits_cpu(const struct admission *a);

/* What a new room made for extra would cost. Thread: any. */
double admission_new_room_cost(const struct admission *a, const struct port_info *extra);

/* May the rooms cost `after` CPU-s per s (every room, the join included)?
 * Returns 0, or MCU_ELIMIT (logged, naming room). Thread: any. */
int admission_check_cpu(const struct admission *a, double after, const char *room);

/* Takes need descriptors for a join's transport, given back with
 * admission_give_fds once it is made or failed. Returns 0 or MCU_ERESOURCE
 * with err saying why. Thread: any. */
int admission_take_fds(struct admission *a, int need, char *err, size_t err_size);
void admission_give_fds(struct admission *a, int need);

#endif
