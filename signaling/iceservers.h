/*
 * iceservers.h - the STUN/TURN servers a joining client is told about
 * (config ice_servers), with their credentials: announced as RFC 9725
 * Link headers (rel="ice-server") on WHIP/WHEP answers and OPTIONS, and as
 * ice_servers in the JSON join answer (the shape of WebRTC's RTCIceServer).
 *
 * TURN credentials are static (ice_username, ice_credential) or minted per
 * join from a secret shared with the TURN server (ice_secret), the scheme
 * coturn's use-auth-secret checks: username "<expiry>:<ice_username>",
 * credential base64(HMAC-SHA1(secret, username)), valid for
 * ice_credential_ttl_s. STUN URLs carry no credentials. Built once from the
 * config, then read-only. Thread: any.
 */
#ifndef MCU_ICESERVERS_H
#define MCU_ICESERVERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ICESERVERS_MAX 8
#define ICESERVERS_CRED_MAX 128   /* username or credential, NUL included */
#define ICESERVERS_LINK_MAX 512   /* one Link header value, NUL included */

struct iceservers;

struct iceservers_config {
	const char *urls;          /* "turn:h:3478?transport=udp stun:h ..." (space or comma) */
	const char *username;      /* static TURN username, or the user part of minted ones */
	const char *credential;    /* static TURN password; ignored with secret */
	const char *secret;        /* shared secret: credentials minted per join */
	int ttl_s;                 /* lifetime of a minted credential */
};

/*
 * Parses cfg. No URL gives an empty set (nothing announced). Returns 0,
 * MCU_EINVAL with a message in err (a URL that is not stun:, stuns:, turn:
 * or turns:, a character a Link header cannot carry, a TURN URL without
 * credentials, more than ICESERVERS_MAX URLs) or MCU_ENOMEM.
 */
int iceservers_create(const struct iceservers_config *cfg, struct iceservers **out,
		      char *err, size_t err_size);

/* Frees s; accepts NULL. */
void iceservers_destroy(struct iceservers *s);

/* How many URLs (0 for NULL). */
int iceservers_count(const struct iceservers *s);

/* The TURN username and credential for a join at now_s (Unix seconds):
 * minted with the secret, or the static pair; "" and "" when no URL is
 * TURN. Each buffer holds ICESERVERS_CRED_MAX. Returns 0 or MCU_EIO. */
int iceservers_credentials(const struct iceservers *s, int64_t now_s,
			   char username[ICESERVERS_CRED_MAX], char credential[ICESERVERS_CRED_MAX]);

/* Writes the i-th URL's Link header value with the credentials from
 * iceservers_credentials (used by TURN URLs only) into out
 * (ICESERVERS_LINK_MAX). Returns 0 or MCU_EINVAL (i out of range). */
int iceservers_link(const struct iceservers *s, int i, const char *username,
		    const char *credential, char out[ICESERVERS_LINK_MAX]);

/* The set as a JSON array of {"urls", "username", "credential"} (the last
 * two for TURN only), credentials as above. New reference; NULL on ENOMEM. */
json_t *iceservers_json(const struct iceservers *s, const char *username, const char *credential);

#endif
