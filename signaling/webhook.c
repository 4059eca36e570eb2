/*
 * webhook.c - see webhook.h.
 */
#include "webhook.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define KEY_MAX 256
#define ID_LEN 32                  /* "msg_" + 24 hex + NUL, rounded up */

/* One event on its way: due at due_us (monotonic), attempts made so far. */
struct delivery {
	struct delivery *next;
	char id[ID_LEN];
	char type[48];
	char *body;
	size_t len;
	int attempts;
	int64_t due_us;
};

struct webhook {
	struct webhook_config cfg;
	char url[512];
	unsigned char key[KEY_MAX];
	size_t key_len;

	pthread_mutex_t lock;
	pthread_cond_t wake;           /* CLOCK_MONOTONIC */
	struct delivery *queue;        /* unordered; the thread picks the earliest due */
	int queued;
	bool stopping;
	int64_t give_up_us;            /* once stopping: when what is left is given up */

	pthread_t thread;
	CURL *curl;                    /* the thread's: it keeps the connection */

	_Atomic uint64_t delivered, failed, dropped, attempts;
	_Atomic int64_t abort_after_us; /* an attempt under way ends then; 0: never */
};

/* key from a secret: "whsec_<base64>" is decoded, anything else is bytes. */
static int decode_secret(const char *secret, unsigned char *key, size_t *key_len)
{
	size_t len = strlen(secret);
	if (strncmp(secret, "whsec_", 6) != 0) {
		if (!len || len > KEY_MAX)
			return MCU_EINVAL;
		memcpy(key, secret, len);
		*key_len = len;
		return 0;
	}
	const char *b64 = secret + 6;
	len -= 6;
	if (!len || len % 4 || len / 4 * 3 > KEY_MAX)
		return MCU_EINVAL;
	int n = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return MCU_EINVAL;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	size_t pad = (b64[len - 1] == '=') + (b64[len - 2] == '=');
	*key_len = (size_t)n - pad;
	return *key_len ? 0 : MCU_EINVAL;
}

static int sign(const unsigned char *key, size_t key_len, const char *id, int64_t timestamp,
		const char *body, size_t len, char out[WEBHOOK_SIGNATURE_MAX])
{
	char prefix[ID_LEN + 32];
	int plen = snprintf(prefix, sizeof(prefix), "%s.%lld.", id, (long long)timestamp);
	if (plen < 0 || (size_t)plen >= sizeof(prefix))
		return MCU_EINVAL;
	char *signed_text = malloc((size_t)plen + len);
	if (!signed_text)
		return MCU_ENOMEM;
	memcpy(signed_text, prefix, (size_t)plen);
	memcpy(signed_text + plen, body, len);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	bool ok = HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)signed_text,
		       (size_t)plen + len, mac, &mac_len) != NULL;
	free(signed_text);
	if (!ok)
		return MCU_EINVAL;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len); /* 44 characters for 32 bytes */
	return 0;
}

int webhook_signature(const char *secret, const char *id, int64_t timestamp, const char *body,
		      size_t len, char out[WEBHOOK_SIGNATURE_MAX])
{
	unsigned char key[KEY_MAX];
	size_t key_len = 0;
	int rc = decode_secret(secret ? secret : "", key, &key_len);
	if (!rc)
		rc = sign(key, key_len, id, timestamp, body, len, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* libcurl's progress callback: a shutdown cuts an attempt under way short
 * at its grace's end, so a slow receiver cannot hold up the exit. */
static int check_abort(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct webhook *w = arg;
	int64_t at = atomic_load(&w->abort_after_us);
	return at && clock_now_us() >= at;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data, (void)arg;
	return size * n;
}

/* One POST of d. Returns true on a 2xx; otherwise says why in why. */
static bool post(struct webhook *w, const struct delivery *d, int timeout_ms, char *why,
		 size_t why_size)
{
	int64_t now_s = clock_wall_us() / 1000000;
	char id_header[ID_LEN + 16], ts_header[48], sig_header[WEBHOOK_SIGNATURE_MAX + 24];
	snprintf(id_header, sizeof(id_header), "webhook-id: %s", d->id);
	snprintf(ts_header, sizeof(ts_header), "webhook-timestamp: %lld", (long long)now_s);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = headers ? curl_slist_append(headers, id_header) : NULL;
	headers = headers ? curl_slist_append(headers, ts_header) : NULL;
	if (headers && w->key_len) {
		char sig[WEBHOOK_SIGNATURE_MAX];
		if (!sign(w->key, w->key_len, d->id, now_s, d->body, d->len, sig)) {
			snprintf(sig_header, sizeof(sig_header), "webhook-signature: %s", sig);
			headers = curl_slist_append(headers, sig_header);
		}
	}
	if (!headers) {
		snprintf(why, why_size, "out of memory");
		return false;
	}
	CURL *c = w->curl;
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	CURLcode res = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	atomic_fetch_add(&w->attempts, 1);
	if (res != CURLE_OK) {
		snprintf(why, why_size, "%s", curl_easy_strerror(res));
		return false;
	}
	if (status < 200 || status > 299) {
		snprintf(why, why_size, "HTTP %ld", status);
		return false;
	}
	return true;
}

static void delivery_free(struct delivery *d)
{
	if (d) {
		free(d->body);
		free(d);
	}
}

/* Caller holds w->lock. Unlinks and returns the earliest due delivery if it
 * is due at now (any, once stopping), else NULL with *next_due set. */
static struct delivery *take_due(struct webhook *w, int64_t now, int64_t *next_due)
{
	struct delivery **best = NULL;
	for (struct delivery **p = &w->queue; *p; p = &(*p)->next)
		if (!best || (*p)->due_us < (*best)->due_us)
			best = p;
	if (!best)
		return NULL;
	struct delivery *d = *best;
	if (!w->stopping && d->due_us > now) {
		*next_due = d->due_us;
		return NULL;
	}
	*best = d->next;
	w->queued--;
	return d;
}

static void wait_until(struct webhook *w, int64_t until_us)
{
	struct timespec ts = clock_timespec(until_us);
	pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

/* Caller holds w->lock. Appends d: among equally due events the older
 * goes first, so a join is reported before its leave. */
static void enqueue(struct webhook *w, struct delivery *d)
{
	struct delivery **p = &w->queue;
	while (*p)
		p = &(*p)->next;
	d->next = NULL;
	*p = d;
	w->queued++;
}

/* Caller holds w->lock. After a failed attempt: back in the queue after
 * the backoff, or given up. */
static void reschedule(struct webhook *w, struct delivery *d, const char *why)
{
	if (w->stopping || d->attempts >= w->cfg.max_attempts) {
		atomic_fetch_add(&w->failed, 1);
		LOG_E("webhook", "%s %s not delivered after %d attempts: %s", d->type, d->id,
		      d->attempts, why);
		delivery_free(d);
		return;
	}
	int64_t backoff = (int64_t)w->cfg.retry_ms * 1000 << (d->attempts - 1 < 20 ? d->attempts - 1 : 20);
	d->due_us = clock_now_us() + backoff;
	enqueue(w, d);
	LOG_W("webhook", "%s %s attempt %d of %d failed: %s; retry in %lld ms", d->type, d->id,
	      d->attempts, w->cfg.max_attempts, why, (long long)(backoff / 1000));
}

static void *deliver_main(void *arg)
{
	struct webhook *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		int64_t now = clock_now_us();
		if (w->stopping && (!w->queue || now >= w->give_up_us))
			break;
		int64_t next_due = now + 60 * 1000000LL;
		struct delivery *d = take_due(w, now, &next_due);
		if (!d) {
			wait_until(w, w->stopping ? w->give_up_us : next_due);
			continue;
		}
		int timeout_ms = w->cfg.timeout_ms;
		if (w->stopping && (w->give_up_us - now) / 1000 < timeout_ms)
			timeout_ms = (int)((w->give_up_us - now) / 1000) + 1;
		pthread_mutex_unlock(&w->lock);
		char why[128] = "";
		d->attempts++;
		bool ok = post(w, d, timeout_ms, why, sizeof(why));
		if (ok) {
			atomic_fetch_add(&w->delivered, 1);
			LOG_D("webhook", "%s %s delivered (attempt %d)", d->type, d->id, d->attempts);
			delivery_free(d);
		}
		pthread_mutex_lock(&w->lock);
		if (!ok)
			reschedule(w, d, why);
	}
	/* Stopping, out of time: what is left is given up. */
	while (w->queue) {
		struct delivery *d = w->queue;
		w->queue = d->next;
		w->queued--;
		atomic_fetch_add(&w->failed, 1);
		LOG_E("webhook", "%s %s not delivered: shutting down", d->type, d->id);
		delivery_free(d);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int check_config(const struct webhook_config *cfg, char *err, size_t err_size)
{
	const char *url = cfg->url ? cfg->url : "";
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, err_size, "webhook_url: '%s' is not an http:// or https:// URL", url);
		return MCU_EINVAL;
	}
	if (strlen(url) >= sizeof(((struct webhook *)0)->url)) {
		snprintf(err, err_size, "webhook_url: longer than %zu bytes",
			 sizeof(((struct webhook *)0)->url) - 1);
		return MCU_EINVAL;
	}
	if (cfg->max_attempts < 1 || cfg->retry_ms < 1 || cfg->timeout_ms < 1 || cfg->queue_max < 1 ||
	    cfg->shutdown_ms < 0) {
		snprintf(err, err_size, "webhook: attempts, retry, timeout and queue must be positive");
		return MCU_EINVAL;
	}
	return 0;
}

int webhook_create(const struct webhook_config *cfg, struct webhook **out, char *err,
		   size_t err_size)
{
	int rc = check_config(cfg, err, err_size);
	if (rc)
		return rc;
	struct webhook *w = calloc(1, sizeof(*w));
	if (!w)
		return MCU_ENOMEM;
	w->cfg = *cfg;
	snprintf(w->url, sizeof(w->url), "%s", cfg->url);
	w->cfg.url = w->url;
	w->cfg.secret = NULL; /* kept only as the key */
	if (cfg->secret && cfg->secret[0] && decode_secret(cfg->secret, w->key, &w->key_len)) {
		snprintf(err, err_size, "webhook_secret: a whsec_ secret must be base64 after the "
			 "prefix (at most %d bytes of key)", KEY_MAX);
		free(w);
		return MCU_EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(w);
		return MCU_ENOMEM;
	}
	w->curl = curl_easy_init();
	if (!w->curl) {
		curl_global_cleanup();
		free(w);
		return MCU_ENOMEM;
	}
	CURL *c = w->curl;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mcu-webhook");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_abort);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, deliver_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		curl_easy_cleanup(c);
		curl_global_cleanup();
		free(w);
		return MCU_ENOMEM;
	}
	*out = w;
	return 0;
}

void webhook_destroy(struct webhook *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->give_up_us = clock_now_us() + (int64_t)w->cfg.shutdown_ms * 1000;
	atomic_store(&w->abort_after_us, w->give_up_us);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	curl_easy_cleanup(w->curl);
	curl_global_cleanup();
	OPENSSL_cleanse(w->key, sizeof(w->key));
	free(w);
}

static void new_id(char out[ID_LEN])
{
	unsigned char r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) /* never short for 12 bytes */
		memset(r, 0, sizeof(r));
	int n = snprintf(out, ID_LEN, "msg_");
	for (size_t i = 0; i < sizeof(r); i++)
		n += snprintf(out + n, (size_t)(ID_LEN - n), "%02x", r[i]);
}

int webhook_emit(struct webhook *w, const char *type, json_t *data)
{
	json_t *payload = data ? data : json_object();
	if (!w) {
		json_decref(payload);
		return 0;
	}
	struct delivery *d = calloc(1, sizeof(*d));
	char stamp[32];
	json_t *event = NULL;
	if (d) {
		new_id(d->id);
		snprintf(d->type, sizeof(d->type), "%s", type);
		event = json_pack("{s:s, s:s, s:s, s:O}", "type", type, "id", d->id, "timestamp",
				  clock_format_utc(clock_wall_us(), stamp, sizeof(stamp)), "data", payload);
	}
	json_decref(payload);
	if (event)
		d->body = json_dumps(event, JSON_COMPACT);
	json_decref(event);
	if (!d || !d->body) {
		delivery_free(d);
		return MCU_ENOMEM;
	}
	d->len = strlen(d->body);
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	if (w->stopping || w->queued >= w->cfg.queue_max) {
		rc = MCU_ELIMIT;
	} else {
		d->due_us = clock_now_us();
		enqueue(w, d);
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (rc) {
		atomic_fetch_add(&w->dropped, 1);
		LOG_W("webhook", "%s dropped: %d events already waiting", type, w->cfg.queue_max);
		delivery_free(d);
	}
	return rc;
}

void webhook_get_stats(struct webhook *w, struct webhook_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	out->delivered = atomic_load(&w->delivered);
	out->failed = atomic_load(&w->failed);
	out->dropped = atomic_load(&w->dropped);
	out->attempts = atomic_load(&w->attempts);
	pthread_mutex_lock(&w->lock);
	out->queued = w->queued;
	pthread_mutex_unlock(&w->lock);
}
