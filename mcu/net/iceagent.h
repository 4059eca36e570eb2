/*
 * iceagent.h - one participant's ICE agent (libnice, controlled role, one
 * stream of one component): local host candidates, the peer's credentials
 * and trickled candidates, ICE restart, and sending on the selected pair.
 *
 * The agent is bound to a transport thread's GMainContext (transport.h):
 * every datagram and state change is delivered there. The other functions
 * may run on any thread (libnice locks the agent); the caller serializes
 * what it keeps about the description (endpoint.c's desc_lock).
 */
#ifndef MCU_ICEAGENT_H
#define MCU_ICEAGENT_H

#include <stddef.h>
#include <stdint.h>

struct iceagent;
struct config;
struct _GMainContext;

#define ICEAGENT_CANDIDATE_LEN 256  /* bytes of one "candidate:..." value, NUL included */
#define ICEAGENT_CREDENTIAL_LEN 64  /* bytes of a local ufrag or password, NUL included */

/* One datagram from the peer; buf is borrowed for the call. Transport thread. */
typedef void iceagent_recv_fn(void *user, const uint8_t *buf, size_t len);

/* ICE has a pair to send on (connected or ready). Transport thread. */
typedef void iceagent_ready_fn(void *user);

/* Who gets an agent's datagrams and readiness; user is borrowed. */
struct iceagent_callbacks {
	iceagent_recv_fn *recv;
	iceagent_ready_fn *ready;
	void *user;
};

/*
 * Makes an agent on ctx and starts gathering host candidates on cfg's
 * ice_addresses (or every interface), in its port range, with TCP when
 * cfg->ice_tcp. No UPnP; keepalive checks instead of libnice's consent
 * freshness. log_tag ("room=... ep=...") prefixes its log lines. ctx, cfg
 * and cb->user are borrowed and must outlive the agent; log_tag is copied.
 * Returns 0, MCU_ENOMEM, or MCU_EIO (no usable local address, or libnice
 * refused to receive or gather); on failure nothing is left behind.
 * Thread: any.
 */
int iceagent_create(struct _GMainContext *ctx, const struct config *cfg, const char *log_tag,
		    const struct iceagent_callbacks *cb, struct iceagent **out);

/* Detaches the callbacks and frees the agent on ctx's thread (inline when
 * called there), so no callback runs after it returns; accepts NULL.
 * Thread: any. */
void iceagent_destroy(struct iceagent *a);

/* Sets the peer's ICE credentials. Returns 0 or MCU_EPROTO. Thread: any. */
int iceagent_set_remote_credentials(struct iceagent *a, const char *ufrag, const char *pwd);

/* Parses "candidate:..." values (borrowed) and hands them to the agent;
 * unparseable ones (mDNS names) are skipped and logged at debug level. end
 * nonzero: the peer will trickle no more. Returns how many were added.
 * Thread: any. */
int iceagent_add_remote_candidates(struct iceagent *a, const char *const *values, int n, int end);

/* ICE restart: the agent makes new local credentials and takes the peer's
 * new ones. Returns 0 or MCU_EIO. Thread: any. */
int iceagent_restart(struct iceagent *a, const char *ufrag, const char *pwd);

/* Copies the local ufrag and password; writes nothing on failure. Returns 0
 * or MCU_EIO. Thread: any. */
int iceagent_local_credentials(struct iceagent *a, char ufrag[ICEAGENT_CREDENTIAL_LEN],
			       char pwd[ICEAGENT_CREDENTIAL_LEN]);

/*
 * Writes the "candidate:..." values (no "a=") of the gathered UDP and passive
 * TCP candidates into out[0..max-1], each preceded by a copy with its address
 * replaced by public_ip when public_ip is not NULL or "" (1:1 NAT). Active TCP
 * candidates are the agent's own and left out. Returns how many were written.
 * Thread: any.
 */
int iceagent_local_candidates(struct iceagent *a, const char *public_ip,
			      char (*out)[ICEAGENT_CANDIDATE_LEN], int max);

/* Sends one datagram on the selected pair. Returns the bytes sent, or a
 * value <= 0 when there is no pair yet or the send failed. Thread: any. */
int iceagent_send(struct iceagent *a, const uint8_t *buf, size_t len);

/* The component's state: "new", "gathering", "connecting", "connected",
 * "ready", "failed" (static). Thread: any. */
const char *iceagent_state_name(const struct iceagent *a);

/* The selected pair's transport: "udp", "tcp", or "" before a pair (static).
 * Thread: any. */
const char *iceagent_transport_name(const struct iceagent *a);

#endif
