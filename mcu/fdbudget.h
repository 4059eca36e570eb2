/*
 * fdbudget.h - file descriptors, accounted before a join uses them.
 *
 * A WebRTC participant opens three descriptors (its ICE UDP socket, the
 * ICE-TCP listener, a timer) and one per ICE-TCP connection, a plain-RTP
 * one five (four sockets, a timer). Past the process's limit
 * the failure is not a clean error: GLib aborts the whole process when it
 * cannot make a wake-up pipe, and every room and recording goes with it.
 * So each join first asks the budget for what it will open: the descriptors
 * open now, plus those promised to joins still being made, plus this one,
 * must stay below the limit less a reserve kept for HTTP connections and
 * recordings. A join that does not fit is refused (503 no_resources) and
 * costs nothing. Thread: any (one mutex).
 */
#ifndef MCU_FDBUDGET_H
#define MCU_FDBUDGET_H

struct fdbudget;

/* Descriptors a join may open (with some margin), and a new room's
 * (its recorder's file and sidecar). */
#define FDBUDGET_WEBRTC 8
#define FDBUDGET_RTP 6
#define FDBUDGET_ROOM 4

/* Makes a budget under the process's open-file limit (RLIMIT_NOFILE, read
 * now: raise it first) with a reserve of max(64, limit / 8) descriptors.
 * Returns 0 or MCU_ENOMEM. */
int fdbudget_create(struct fdbudget **out);

/* Accepts NULL. */
void fdbudget_destroy(struct fdbudget *b);

/* Promises need descriptors to a join. Returns 0, or MCU_ERESOURCE with
 * nothing promised. A NULL budget promises anything. */
int fdbudget_take(struct fdbudget *b, int need);

/* The join is made (or failed): its descriptors are open (or were never
 * opened), so the promise ends. Accepts NULL. */
void fdbudget_give(struct fdbudget *b, int need);

/* The limit and the descriptors open now, for logs and errors. */
int fdbudget_limit(const struct fdbudget *b);
int fdbudget_open_now(void);

#endif
