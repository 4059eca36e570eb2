/*
 * main.c - the mcu program: reads the configuration, builds the one struct
 * mcu that every subsystem borrows from, runs until SIGINT or SIGTERM, and
 * takes everything down in reverse order.
 *
 * Signals are blocked before any thread starts, so every thread inherits the
 * mask and only main's sigwait() sees them: no handler runs in a random thread.
 */
#include "config.h"
#include "base/clock.h"
#include "mcu/net/dtls.h"
#include "mcu/net/endpoint.h"
#include "base/err.h"
#include "base/log.h"
#include "registry.h"
#include "mcu/net/srtpctx.h"
#include "mcu/net/transport.h"
#include "signaling/env.h"
#include "signaling/http.h"
#include "signaling/events.h"
#include "signaling/iceservers.h"
#include "signaling/revocations.h"
#include "signaling/webhook.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define MCU_VERSION "0.1.0"
#define WEBHOOK_QUEUE 1000          /* events waiting at most */
#define WEBHOOK_SHUTDOWN_MS 2000    /* of the 5 s a SIGTERM may take */
#define REVOCATIONS_MAX 4096        /* rooms deleted in a week, remembered */

struct mcu {
	struct config cfg;
	struct dtls_identity *identity;
	struct transport *transport;
	struct endpoint_env endpoint_env;
	struct registry *registry;
	struct iceservers *ice_servers;
	struct webhook *webhook;
	struct revocations *revocations;
	struct signaling_env signaling_env;
	struct http *http;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mcu [-c FILE] [--key=value ...] [--help] [--version]\n"
		     "  -c FILE     read the configuration from FILE (configs/mcu.conf documents it)\n"
		     "  --key=value set a config key; wins over the file\n\n");
	config_help(out);
}

/* Reads -c, --help, --version and the config. Returns 0 to run, 1 to exit
 * with success (help, version), -1 on error. */
static int read_config(int argc, char **argv, struct config *cfg)
{
	const char *file = NULL;
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("mcu %s\n", MCU_VERSION);
			return 1;
		}
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			file = argv[++i];
		} else if (strncmp(argv[i], "--", 2) != 0) {
			fprintf(stderr, "mcu: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	config_defaults(cfg);
	if (file && config_load_file(cfg, file, err, sizeof(err))) {
		fprintf(stderr, "mcu: %s\n", err);
		return -1;
	}
	/* -c's value was consumed above; config_apply_args skips non-"--" words. */
	if (config_apply_args(cfg, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "mcu: %s\n", err);
		return -1;
	}
	enum log_level level;
	if (log_level_parse(cfg->log_level, &level)) {
		fprintf(stderr, "mcu: log_level: '%s' is not error, warn, info or debug\n", cfg->log_level);
		return -1;
	}
	log_set_level(level);
	return 0;
}

/* Each participant holds several descriptors (sockets, a timer), so the
 * usual soft limit of 1024 would cap a server at a few hundred: take the
 * hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
			LOG_W("main", "cannot raise the open-file limit");
	}
}

/* The API's question "what does this server's recorder of file say?". */
static const char *recording_state(void *registry, const char *file)
{
	return registry_recording_state(registry, file);
}

static int start(struct mcu *m)
{
	char err[512];
	struct iceservers_config ice = {
		.urls = m->cfg.ice_servers, .username = m->cfg.ice_username,
		.credential = m->cfg.ice_credential, .secret = m->cfg.ice_secret,
		.ttl_s = m->cfg.ice_credential_ttl_s,
	};
	int rc = iceservers_create(&ice, &m->ice_servers, err, sizeof(err));
	if (rc) {
		LOG_E("main", "%s", rc == MCU_EINVAL ? err : err_str(rc));
		return rc;
	}
	if (m->cfg.webhook_url[0]) {
		struct webhook_config wh = {
			.url = m->cfg.webhook_url, .secret = m->cfg.webhook_secret,
			.max_attempts = m->cfg.webhook_max_attempts, .retry_ms = m->cfg.webhook_retry_ms,
			.timeout_ms = m->cfg.webhook_timeout_ms, .queue_max = WEBHOOK_QUEUE,
			.shutdown_ms = WEBHOOK_SHUTDOWN_MS,
		};
		rc = webhook_create(&wh, &m->webhook, err, sizeof(err));
		if (rc) {
			LOG_E("main", "%s", rc == MCU_EINVAL ? err : err_str(rc));
			return rc;
		}
	}
	rc = revocations_create(REVOCATIONS_MAX, &m->revocations);
	if (!rc)
		rc = srtpctx_library_init();
	if (!rc)
		rc = dtls_identity_create(&m->identity);
	if (!rc)
		rc = transport_create(m->cfg.transport_threads, &m->transport);
	if (rc) {
		LOG_E("main", "cannot start the media transport: %s", err_str(rc));
		return rc;
	}
	m->endpoint_env = (struct endpoint_env){ .transport = m->transport,
						 .identity = m->identity, .cfg = &m->cfg };
	rc = registry_create(&m->endpoint_env, m->cfg.max_rooms, &m->registry);
	if (rc)
		return rc;
	/* Without a webhook nobody listens: the registry then builds no events. */
	if (m->webhook)
		registry_set_listener(m->registry, events_forward, m->webhook);
	m->signaling_env = (struct signaling_env){
		.cfg = &m->cfg, .registry = m->registry, .started_us = clock_now_us(),
		.version = MCU_VERSION, .fingerprint = dtls_identity_fingerprint(m->identity),
		.recordings_dir = m->cfg.recordings_dir, .recording_state = recording_state,
		.recording_ctx = m->registry, .ice_servers = m->ice_servers, .webhook = m->webhook,
		.revocations = m->revocations,
	};
	return http_create(&m->signaling_env, &m->http);
}

/*
 * Takes everything down within the 5 s a SIGTERM may take. HTTP goes first,
 * because handlers borrow the registry, and fast: it stops accepting and
 * cuts its connections instead of waiting out their idle timeout, so the
 * rooms end and their recordings are finalized within a second of the signal.
 */
static void stop(struct mcu *m)
{
	int64_t t0 = clock_now_us();
	http_destroy(m->http);          /* no handler runs after this */
	int64_t t1 = clock_now_us();
	registry_destroy(m->registry);  /* endpoints leave their threads; recordings finalized */
	LOG_I("main", "HTTP stopped in %lld ms, rooms and recordings ended in %lld ms",
	      (long long)(t1 - t0) / 1000, (long long)(clock_now_us() - t1) / 1000);
	webhook_destroy(m->webhook);    /* delivers those for up to WEBHOOK_SHUTDOWN_MS */
	transport_destroy(m->transport);
	dtls_identity_destroy(m->identity);
	iceservers_destroy(m->ice_servers);
	revocations_destroy(m->revocations);
}

int main(int argc, char **argv)
{
	struct mcu m;
	memset(&m, 0, sizeof(m));
	int rc = read_config(argc, argv, &m.cfg);
	if (rc)
		return rc > 0 ? 0 : 2;

	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	LOG_I("main", "mcu %s starting", MCU_VERSION);
	raise_fd_limit();
	rc = start(&m);
	if (!rc) {
		LOG_I("main", "ready");
		int sig = 0;
		sigwait(&stop_signals, &sig);
		LOG_I("main", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	stop(&m);
	LOG_I("main", "stopped");
	return rc ? 1 : 0;
}
