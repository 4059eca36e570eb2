/*
 * config.h - the server's settings: defaults, the config file, and
 * command-line overrides.
 *
 * The file holds "key = value" lines; '#' starts a comment; blank lines are
 * ignored. Every key can also be given as --key=value, which wins over the
 * file. configs/mcu.conf documents each key; config_help() prints the table.
 * The struct is plain data, filled once by main and then read-only.
 */
#ifndef MCU_CONFIG_H
#define MCU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
	char listen[128];          /* host:port of the HTTP server */
	char cors_origin[256];     /* Access-Control-Allow-Origin value */
	long max_body_bytes;       /* request bodies above this are 413 */
	int http_threads;          /* libmicrohttpd worker threads */
	int http_timeout_s;        /* an idle HTTP connection is closed after this */
	int http_max_connections;  /* HTTP connections at once */
	int http_max_per_ip;       /* HTTP connections at once from one address; 0: derived */
	int http_header_timeout_s; /* a request's headers must arrive within this */
	int http_body_timeout_s;   /* and its body within this of the headers */
	char tls_cert[256];        /* PEM certificate (chain) for HTTPS; empty = HTTP */
	char tls_key[256];         /* its PEM private key */
	bool auto_create_rooms;    /* unknown rooms are created on first join */
	bool test_hooks;           /* POST /api/rooms/{room}/stall exists: tests only */
	int max_rooms;             /* joins that would create more are 503 */
	int max_participants;      /* default per-room limit */
	char cpu_budget[16];       /* "auto", "off" or CPU-s per s (mcu/cost.h) */
	char operator_key[256];    /* bearer key for the API; empty = open */
	char join_secret[256];     /* HMAC key of join tokens; empty = joins are open */
	char ice_addresses[512];   /* comma-separated local addresses to gather on; empty = all */
	char public_ip[64];        /* advertised instead of a host address (1:1 NAT) */
	int ice_port_min;          /* port range of ICE candidates (UDP and TCP); 0 = any */
	int ice_port_max;
	char ice_servers[1024];    /* STUN/TURN URLs told to clients; empty = none */
	char ice_username[104];    /* TURN username, or the user part of minted ones */
	char ice_credential[128];  /* static TURN password */
	char ice_secret[256];      /* shared with the TURN server: minted credentials */
	int ice_credential_ttl_s;  /* lifetime of minted credentials */
	bool ice_tcp;              /* also offer passive TCP candidates (RFC 6544) */
	int transport_threads;     /* threads running the ICE/DTLS/SRTP loops */
	int empty_room_timeout_s;  /* an empty room ends after this */
	bool record;               /* rooms record from their start unless told otherwise */
	char recordings_dir[256];  /* where recordings are written */
	char record_audio_codec[8];/* "aac" or "opus" */
	char rtp_address[64];      /* address legacy endpoints send to; empty = the route's */
	int rtp_port_min;          /* UDP port range of legacy (plain RTP) endpoints */
	int rtp_port_max;
	int rtp_timeout_s;         /* a silent legacy endpoint is dropped after this */
	char rtp_allowed_destinations[512]; /* prefixes any requester may have media sent to */
	int media_timeout_s;       /* a WebRTC participant sending nothing is dropped after this */
	int max_packet_rate;       /* inbound packets/s one participant may send; 0: no cap */
	int max_mixed_speakers;    /* voices mixed at once per room */
	int video_timeout_ms;      /* a sender silent this long becomes a placeholder tile */
	int keyframe_min_interval_ms; /* at most one forced IDR per profile per this */
	char x264_preset[32];      /* x264 speed preset of the room encoders */
	int encoder_threads;       /* x264 threads per encoder */
	int audio_bitrate;         /* bit/s of each Opus encoder */
	char webhook_url[512];     /* where events are POSTed; empty = none */
	char webhook_secret[256];  /* signing key of the events */
	int webhook_max_attempts;  /* per event */
	int webhook_retry_ms;      /* first backoff, then doubled */
	int webhook_timeout_ms;    /* of one attempt */
	char log_level[16];        /* error, warn, info, debug */
};

/* Fills *cfg with the built-in defaults (those of configs/mcu.conf). */
void config_defaults(struct config *cfg);

/*
 * Sets one key from its text value. Returns 0, MCU_ENOTFOUND for an unknown
 * key or MCU_EINVAL for a bad value; on error writes a message to err.
 */
int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t err_size);

/*
 * Reads a config file into *cfg (keys not in the file keep their value).
 * Returns 0, MCU_EIO if the file cannot be read, or the first config_set
 * error, with "path:line: message" in err.
 */
int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t err_size);

/*
 * Applies "--key=value" arguments (others are skipped: main handles -c,
 * --help, --version). Returns 0 or the first error, with a message in err.
 */
int config_apply_args(struct config *cfg, int argc, char **argv, char *err,
		      size_t err_size);

/* Prints every key with its default and meaning. */
void config_help(FILE *out);

#endif
