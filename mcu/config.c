/*
 * config.c - see config.h. One table describes every key; parsing, the
 * command line and --help all read it, so a key is added in one place.
 *
 * Secrets: every secret key has a *_file twin (KEY_SECRET_FILE) whose value
 * is a path; the secret is read from that file when the key is set and
 * stored in the secret's own field, so the rest of the server never knows
 * where it came from, and `ps` shows only the path.
 */
#include "config.h"
#include "base/err.h"
#include "base/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_type { KEY_STR, KEY_INT, KEY_LONG, KEY_BOOL, KEY_SECRET_FILE };

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;       /* buffer size for KEY_STR */
	long min, max;     /* bounds for KEY_INT / KEY_LONG */
	const char *def;   /* default, as text */
	const char *help;
};

#define STR(name, def, help) \
	{ #name, KEY_STR, offsetof(struct config, name), \
	  sizeof(((struct config *)0)->name), 0, 0, def, help }
#define INT(name, lo, hi, def, help) \
	{ #name, KEY_INT, offsetof(struct config, name), 0, lo, hi, def, help }
#define LONG(name, lo, hi, def, help) \
	{ #name, KEY_LONG, offsetof(struct config, name), 0, lo, hi, def, help }
#define BOOL(name, def, help) \
	{ #name, KEY_BOOL, offsetof(struct config, name), 0, 0, 1, def, help }
/* name_file: a path whose contents set the secret key name. */
#define SECRET_FILE(name) \
	{ #name "_file", KEY_SECRET_FILE, offsetof(struct config, name), \
	  sizeof(((struct config *)0)->name), 0, 0, "", \
	  "file holding " #name " (one line; a trailing newline is dropped): keeps it out of ps" }

static const struct key_def keys[] = {
	STR(listen, "0.0.0.0:8080", "HTTP listen address, host:port ([::1]:port for IPv6)"),
	STR(cors_origin, "*", "Access-Control-Allow-Origin sent on every response"),
	LONG(max_body_bytes, 1024, 16L << 20, "65536", "largest request body accepted; larger is 413"),
	INT(http_threads, 1, 64, "4", "HTTP threads (each serves many connections); answers that may wait (joins, ending rooms, snapshots) run on max(4, http_threads) more"),
	INT(http_timeout_s, 1, 3600, "30", "an idle HTTP connection is closed after this many seconds"),
	INT(http_max_connections, 1, 100000, "1000", "most HTTP connections at once"),
	INT(http_max_per_ip, 0, 100000, "0", "most HTTP connections at once from one address; 0: http_max_connections / 20"),
	INT(http_header_timeout_s, 1, 3600, "10", "a request's headers must arrive within this many seconds of the connection opening or its previous request ending"),
	INT(http_body_timeout_s, 1, 3600, "20", "a request's body must arrive within this many seconds of its headers"),
	STR(tls_cert, "", "PEM certificate (chain) file: serve HTTPS instead of HTTP; empty: HTTP"),
	STR(tls_key, "", "PEM private key file of tls_cert"),
	BOOL(auto_create_rooms, "true", "create an unknown room on its first join (false: 404)"),
	BOOL(test_hooks, "false", "serve POST /api/rooms/{room}/stall, which stalls a room's thread: for tests, never in service"),
	INT(max_rooms, 1, 100000, "64", "most rooms at once; more is 503"),
	INT(max_participants, 1, 1000, "16", "default most participants per room; more is 503"),
	STR(cpu_budget, "auto", "CPU all rooms may cost (estimated): auto = 0.9 of the cores, off, or a number of CPUs; a join past it is 503"),
	STR(operator_key, "", "bearer key needed for /api/* (not /api/health); empty: no check"),
	STR(join_secret, "", "secret of join tokens (POST /api/rooms/{room}/tokens); empty: joins need none"),
	SECRET_FILE(operator_key),
	SECRET_FILE(join_secret),
	STR(ice_addresses, "", "comma-separated local IPs for ICE candidates; empty: every interface, loopback included"),
	STR(public_ip, "", "address announced instead of host addresses (1:1 NAT); empty: none"),
	INT(ice_port_min, 0, 65535, "0", "lowest port for ICE, UDP and TCP (0: any)"),
	INT(ice_port_max, 0, 65535, "0", "highest port for ICE, UDP and TCP (0: any)"),
	STR(ice_servers, "", "STUN/TURN URLs told to clients (Link headers, ice_servers in JSON answers), space-separated; empty: none"),
	STR(ice_username, "", "TURN username (static), or the user part of credentials minted with ice_secret"),
	STR(ice_credential, "", "TURN password (static); unused with ice_secret"),
	STR(ice_secret, "", "secret shared with the TURN server (coturn static-auth-secret): time-limited credentials per join"),
	SECRET_FILE(ice_credential),
	SECRET_FILE(ice_secret),
	INT(ice_credential_ttl_s, 60, 604800, "86400", "lifetime of credentials minted with ice_secret"),
	BOOL(ice_tcp, "true", "also offer passive TCP candidates (RFC 6544), for browsers whose UDP is blocked"),
	INT(transport_threads, 1, 64, "2", "threads running ICE, DTLS and SRTP"),
	INT(empty_room_timeout_s, 1, 86400, "60", "an empty room ends after this many seconds"),
	BOOL(record, "false", "rooms record from their start (POST/PATCH /api/rooms may say otherwise)"),
	STR(recordings_dir, "recordings", "directory of the MP4 recordings and their JSON sidecars"),
	STR(record_audio_codec, "aac", "audio of recordings: aac (AAC-LC 48 kHz) or opus (the mix's own packets)"),
	STR(rtp_address, "", "address legacy RTP endpoints are told to send to; empty: the local address that routes to each"),
	INT(rtp_port_min, 1024, 65534, "30000", "lowest UDP port for legacy (plain RTP) endpoints"),
	INT(rtp_port_max, 1025, 65535, "39999", "highest UDP port for legacy (plain RTP) endpoints"),
	INT(rtp_timeout_s, 1, 3600, "30", "a legacy endpoint that sends neither media nor RTCP this long is dropped"),
	STR(rtp_allowed_destinations, "", "address prefixes (CIDR, comma-separated) a legacy endpoint's media may be sent to whoever asks; otherwise only the requester's own address, or any with the operator key"),
	INT(media_timeout_s, 1, 3600, "30", "a WebRTC participant that sends no RTP or RTCP this long is dropped"),
	INT(max_packet_rate, 0, 1000000, "2000", "inbound packets per second one participant may send (bursts of a quarter second pass); 0: no cap"),
	INT(max_mixed_speakers, 1, 64, "8", "most voices mixed at once in a room"),
	INT(video_timeout_ms, 100, 60000, "2000", "a sender whose video stops this long shows a placeholder tile"),
	INT(keyframe_min_interval_ms, 0, 10000, "500", "at most one forced keyframe per output profile per this"),
	STR(x264_preset, "veryfast", "x264 preset of the room encoders (ultrafast..medium): the main CPU lever"),
	INT(encoder_threads, 1, 16, "1", "x264 threads per encoder"),
	INT(audio_bitrate, 6000, 510000, "32000", "bit/s of each Opus encoder (the mix, each mix-minus)"),
	STR(webhook_url, "", "http(s) URL that gets an event POSTed on recording finished, room started/ended, participant joined/left; empty: none"),
	STR(webhook_secret, "", "key of the events' webhook-signature (HMAC-SHA256); whsec_<base64> or plain text; empty: unsigned"),
	SECRET_FILE(webhook_secret),
	INT(webhook_max_attempts, 1, 100, "6", "attempts per event before it is given up"),
	INT(webhook_retry_ms, 10, 3600000, "1000", "wait before the first retry; doubled after each"),
	INT(webhook_timeout_ms, 100, 60000, "5000", "time one delivery attempt may take"),
	STR(log_level, "info", "error, warn, info or debug"),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_def *find_key(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return MCU_EINVAL;
	return 0;
}

/*
 * Reads the secret of key k (a *_file key) from the file at path into field
 * (k->size bytes): the file's one line, without its trailing newline (LF or
 * CRLF). Refuses, with a message in err that never holds the secret, a file
 * that cannot be read, is not a regular file, is empty, holds more than one
 * line or a NUL, or is too long; warns when group or others may read it
 * (Docker and Kubernetes mount secrets so by default: a warning, not an
 * error). Returns 0, MCU_EIO or MCU_EINVAL.
 */
static int read_secret_file(const struct key_def *k, const char *path, char *field,
			    char *err, size_t err_size)
{
	char buf[1024];
	size_t len = 0;
	int rc = MCU_EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* NONBLOCK: a FIFO cannot hang us */
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, err_size, "%s: %s: %s", k->name, path, strerror(errno));
		rc = MCU_EIO;
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s: %s is not a regular file", k->name, path);
		goto done;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, err_size, "%s: %s: %s", k->name, path, strerror(errno));
			rc = MCU_EIO;
			goto done;
		}
		if (r == 0 || (len += (size_t)r) == sizeof(buf))
			break;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		snprintf(err, err_size, "%s: %s is empty", k->name, path);
		goto done;
	}
	if (len >= k->size) {
		snprintf(err, err_size, "%s: %s holds more than %zu bytes", k->name, path, k->size - 1);
		goto done;
	}
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len) || memchr(buf, '\r', len)) {
		snprintf(err, err_size, "%s: %s must hold one line of text", k->name, path);
		goto done;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		LOG_W("config", "%s: %s may be read by group or others (chmod 600 it)", k->name, path);
	memcpy(field, buf, len);
	field[len] = '\0';
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, sizeof(buf)); /* no copy of the secret left on the stack */
	return rc;
}

static int set_key(struct config *cfg, const struct key_def *k, const char *value,
		   char *err, size_t err_size)
{
	char *field = (char *)cfg + k->offset;
	switch (k->type) {
	case KEY_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, err_size, "%s: value longer than %zu bytes", k->name, k->size - 1);
			return MCU_EINVAL;
		}
		strcpy(field, value);
		return 0;
	case KEY_INT:
	case KEY_LONG: {
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < k->min || n > k->max) {
			snprintf(err, err_size, "%s: '%s' is not an integer in %ld..%ld",
				 k->name, value, k->min, k->max);
			return MCU_EINVAL;
		}
		if (k->type == KEY_INT)
			*(int *)field = (int)n;
		else
			*(long *)field = n;
		return 0;
	}
	case KEY_SECRET_FILE:
		/* Empty (the default): nothing to read, the secret stays. */
		return *value ? read_secret_file(k, value, field, err, err_size) : 0;
	case KEY_BOOL:
		if (parse_bool(value, (bool *)field)) {
			snprintf(err, err_size, "%s: '%s' is not true or false", k->name, value);
			return MCU_EINVAL;
		}
		return 0;
	}
	return MCU_EINVAL;
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t err_size)
{
	const struct key_def *k = find_key(key, strlen(key));
	if (!k) {
		snprintf(err, err_size, "unknown key '%s'", key);
		return MCU_ENOTFOUND;
	}
	return set_key(cfg, k, value, err, err_size);
}

void config_defaults(struct config *cfg)
{
	char err[128];
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_KEYS; i++) {
		int rc = set_key(cfg, &keys[i], keys[i].def, err, sizeof(err));
		(void)rc; /* the table's defaults are valid; config_test checks it */
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t err_size)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return MCU_EIO;
	}
	char line[1024], msg[256];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, err_size, "%s:%d: expected key = value", path, lineno);
			rc = MCU_EINVAL;
			break;
		}
		*eq = '\0';
		rc = config_set(cfg, trim(s), trim(eq + 1), msg, sizeof(msg));
		if (rc) {
			snprintf(err, err_size, "%s:%d: %s", path, lineno, msg);
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_apply_args(struct config *cfg, int argc, char **argv, char *err,
		      size_t err_size)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || !strcmp(a, "--help") || !strcmp(a, "--version"))
			continue;
		const char *eq = strchr(a, '=');
		if (!eq) {
			snprintf(err, err_size, "%s: expected --key=value", a);
			return MCU_EINVAL;
		}
		const struct key_def *k = find_key(a + 2, (size_t)(eq - a - 2));
		if (!k) {
			snprintf(err, err_size, "unknown option '%.*s'", (int)(eq - a), a);
			return MCU_ENOTFOUND;
		}
		int rc = set_key(cfg, k, eq + 1, err, err_size);
		if (rc)
			return rc;
	}
	return 0;
}

void config_help(FILE *out)
{
	fprintf(out, "Config keys (file: key = value; command line: --key=value, which wins):\n");
	for (size_t i = 0; i < N_KEYS; i++)
		fprintf(out, "  %-20s %s (default: \"%s\")\n", keys[i].name, keys[i].help, keys[i].def);
}
