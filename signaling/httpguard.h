/*
 * httpguard.h - deadlines for HTTP connections that libmicrohttpd does not
 * give: a request's headers must arrive within header_timeout of the
 * connection opening (or of its previous request ending), its body within
 * body_timeout of the headers. MHD's own timeout only counts idle time, so a
 * client sending one header line every few seconds would hold its slot for
 * ever (slowloris).
 *
 * The guard keeps a table of live connections (socket fd, phase, since when)
 * and cuts the late ones with shutdown(fd, SHUT_RDWR), never close(): MHD
 * then reads EOF and closes the connection itself. When the table comes
 * within `reserve` of capacity, each new connection evicts the connection
 * that has waited longest for its headers, so a new request (health probe,
 * operator) always finds a slot while slow clients hold the rest.
 *
 * A slot is registered (httpguard_open) before MHD may close its fd and
 * released (httpguard_close) before MHD closes it, so a cut never reaches a
 * reused descriptor.
 */
#ifndef MCU_HTTPGUARD_H
#define MCU_HTTPGUARD_H

#include <stdint.h>

struct httpguard;

struct httpguard_config {
	int capacity;               /* most connections tracked (MHD's limit) */
	int reserve;                /* slots kept free by eviction; 0: no eviction */
	int64_t header_timeout_us;  /* headers must arrive within this */
	int64_t body_timeout_us;    /* the body within this of the headers */
};

/* Where a connection is in its request. */
enum httpguard_phase {
	HTTPGUARD_HEADERS,   /* waiting for a request's headers: header deadline */
	HTTPGUARD_BODY,      /* headers in, reading the body: body deadline */
	HTTPGUARD_ANSWER,    /* answered, sending the reply: no deadline (MHD's idle one) */
};

/* What the guard has cut since it was created. */
struct httpguard_stats {
	int live;             /* connections tracked now */
	long headers_late;    /* cut: headers past their deadline */
	long body_late;       /* cut: body past its deadline */
	long evicted;         /* cut to free a slot for a new connection */
};

/* Builds a guard (no thread yet). Returns 0, MCU_EINVAL (capacity < 1,
 * reserve < 0 or >= capacity, a timeout <= 0) or MCU_ENOMEM. Thread: any. */
int httpguard_create(const struct httpguard_config *cfg, struct httpguard **out);

/* Starts the reaper thread, which calls httpguard_reap about twice a second.
 * Returns 0 or MCU_ENOMEM. Thread: the owner's. */
int httpguard_start(struct httpguard *g);

/* Stops the reaper (if started) and frees; accepts NULL. Cuts nothing.
 * Thread: the owner's, after the HTTP server stopped calling in. */
void httpguard_destroy(struct httpguard *g);

/*
 * Tracks the connection on fd, opened at now_us, in phase HEADERS. When
 * that leaves fewer than `reserve` free slots, cuts the connection that has
 * waited longest for its headers (if any). Writes the slot to *slot.
 * Returns 0, or MCU_EAGAIN when the table is full (the caller cuts fd).
 * Thread: any (an MHD worker).
 */
int httpguard_open(struct httpguard *g, int fd, int64_t now_us, int *slot);

/* Moves slot to phase as of now_us (HEADERS again after a reply: the next
 * request on a kept-alive connection gets a fresh header deadline).
 * Ignores a slot < 0. Thread: any. */
void httpguard_mark(struct httpguard *g, int slot, enum httpguard_phase phase, int64_t now_us);

/* Stops tracking slot, before its fd is closed. Ignores a slot < 0. Thread: any. */
void httpguard_close(struct httpguard *g, int slot);

/* Cuts every connection past its phase's deadline at now_us; each is cut
 * once. Returns how many were cut now. Thread: any (the reaper). */
int httpguard_reap(struct httpguard *g, int64_t now_us);

/* Cuts every tracked connection (server stopping). Returns how many. Thread: any. */
int httpguard_cut_all(struct httpguard *g);

/* Counts so far. Thread: any. */
void httpguard_stats(struct httpguard *g, struct httpguard_stats *out);

#endif
