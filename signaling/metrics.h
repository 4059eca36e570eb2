/*
 * metrics.h - what the server says of itself: GET /api/health (JSON, no
 * key) and GET /metrics (Prometheus text, operator key). Both read the
 * registry's counters and room snapshots: no lock is held while writing.
 */
#ifndef MCU_METRICS_H
#define MCU_METRICS_H

#include "env.h"
#include "httpmsg.h"

/* The health object: status, version, rooms, participants, uptime_s.
 * Returns the reply's status (200). Thread: an HTTP worker. */
int metrics_health(const struct signaling_env *env, struct httpmsg_reply *reply);

/* The Prometheus text exposition (format 0.0.4): server totals, traffic,
 * per-room mixer families and the webhook's counters. Returns 200, or 500
 * when out of memory. Thread: an HTTP worker. */
int metrics_prometheus(const struct signaling_env *env, struct httpmsg_reply *reply);

#endif
