/*
 * webhook.h - events POSTed to the application behind the server
 * (webhook_url): a recording finished, a room started or ended, a
 * participant joined or left.
 *
 * Each event is one JSON body {"type", "id", "timestamp", "data"} sent with
 * the headers of the Standard Webhooks scheme: webhook-id (the event's id,
 * the same on every attempt), webhook-timestamp (Unix seconds of the
 * attempt) and webhook-signature "v1,<base64 HMAC-SHA256>" over
 * "<id>.<timestamp>.<body>" keyed with webhook_secret (a "whsec_" secret is
 * base64 after the prefix, any other is used as its bytes). A receiver
 * checks the signature and refuses old timestamps.
 *
 * webhook_emit only queues (bounded; a full queue drops the event and
 * counts it), so no media or HTTP thread ever waits for the receiver: one
 * thread of the webhook's own delivers, in order of due time. An attempt
 * that does not get a 2xx within timeout_ms is retried after retry_ms,
 * doubling each time, until max_attempts; each outcome is counted for
 * /metrics and each failure logged. Thread: any.
 */
#ifndef MCU_WEBHOOK_H
#define MCU_WEBHOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SIGNATURE_MAX 64   /* "v1," + 44 characters of base64, NUL included */

struct webhook;

struct webhook_config {
	const char *url;           /* http:// or https:// */
	const char *secret;        /* signing key; empty: events are not signed */
	int max_attempts;          /* >= 1 */
	int retry_ms;              /* first backoff; then doubled */
	int timeout_ms;            /* of one attempt */
	int queue_max;             /* events waiting at most */
	int shutdown_ms;           /* webhook_destroy's grace for what is queued */
};

struct webhook_stats {
	uint64_t delivered;        /* events a receiver took (2xx) */
	uint64_t failed;           /* events given up after max_attempts (or at shutdown) */
	uint64_t dropped;          /* events the full queue refused */
	uint64_t attempts;         /* POSTs made, first tries and retries */
	int queued;                /* waiting now */
};

/*
 * Starts the delivery thread. Returns 0, MCU_EINVAL with a message in err
 * (not an http(s) URL, a "whsec_" secret that is not base64, a bound out of
 * range) or MCU_ENOMEM. Thread: main, before other threads use libcurl.
 */
int webhook_create(const struct webhook_config *cfg, struct webhook **out, char *err,
		   size_t err_size);

/* Delivers what is queued for up to shutdown_ms (one attempt each, no more
 * backoff), gives up on the rest (counted failed, logged), stops the thread
 * and frees w. Accepts NULL. Thread: main. */
void webhook_destroy(struct webhook *w);

/*
 * Queues the event type (e.g. "recording.finished") with data, which it
 * takes (a JSON object; decref'd on every path). Never blocks on the
 * network. Returns 0, MCU_ELIMIT (queue full: dropped) or MCU_ENOMEM; a
 * NULL w takes data and returns 0. Thread: any (may be called with other
 * modules' locks held: it only takes its own, briefly).
 */
int webhook_emit(struct webhook *w, const char *type, json_t *data);

/* Thread: any. Zeros for NULL. */
void webhook_get_stats(struct webhook *w, struct webhook_stats *out);

/*
 * The webhook-signature value for one attempt: "v1," and the base64
 * HMAC-SHA256 of "<id>.<timestamp>.<body>" with secret's key (see above).
 * Returns 0, MCU_EINVAL (empty or bad secret) or MCU_ENOMEM. Thread: any.
 */
int webhook_signature(const char *secret, const char *id, int64_t timestamp, const char *body,
		      size_t len, char out[WEBHOOK_SIGNATURE_MAX]);

#endif
