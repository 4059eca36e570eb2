/*
 * iceservers.c - see iceservers.h.
 */
#include "iceservers.h"
#include "base/err.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX 256

struct iceservers {
	char urls[ICESERVERS_MAX][URL_MAX];
	bool turn[ICESERVERS_MAX];
	int n;
	bool any_turn;
	char username[ICESERVERS_CRED_MAX - 24]; /* room for a minted "<expiry>:" */
	char credential[ICESERVERS_CRED_MAX];
	char secret[256];
	int ttl_s;
};

/* Can text go inside a quoted Link parameter or <URI> as it is? Quotes,
 * backslashes, angle brackets, commas, semicolons, spaces and controls
 * would end or split the header's fields. */
static bool link_safe(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr("\"\\<>,;", *c))
			return false;
	return true;
}

static bool is_turn(const char *url)
{
	return !strncmp(url, "turn:", 5) || !strncmp(url, "turns:", 6);
}

static int add_url(struct iceservers *s, const char *url, size_t len, char *err, size_t err_size)
{
	if (s->n == ICESERVERS_MAX) {
		snprintf(err, err_size, "ice_servers: at most %d URLs", ICESERVERS_MAX);
		return MCU_EINVAL;
	}
	if (len >= URL_MAX) {
		snprintf(err, err_size, "ice_servers: a URL longer than %d bytes", URL_MAX - 1);
		return MCU_EINVAL;
	}
	char *dst = s->urls[s->n];
	memcpy(dst, url, len);
	dst[len] = '\0';
	bool stun = !strncmp(dst, "stun:", 5) || !strncmp(dst, "stuns:", 6);
	if ((!stun && !is_turn(dst)) || !link_safe(dst) || !strchr(dst, ':')[1]) {
		snprintf(err, err_size, "ice_servers: '%s' is not a stun:, stuns:, turn: or turns: URL",
			 dst);
		return MCU_EINVAL;
	}
	s->turn[s->n] = is_turn(dst);
	s->any_turn |= s->turn[s->n];
	s->n++;
	return 0;
}

int iceservers_create(const struct iceservers_config *cfg, struct iceservers **out,
		      char *err, size_t err_size)
{
	struct iceservers *s = calloc(1, sizeof(*s));
	if (!s)
		return MCU_ENOMEM;
	int rc = 0;
	const char *urls = cfg->urls ? cfg->urls : "";
	for (const char *p = urls; *p && !rc;) {
		size_t gap = strspn(p, " \t,");
		p += gap;
		size_t len = strcspn(p, " \t,");
		if (len)
			rc = add_url(s, p, len, err, err_size);
		p += len;
	}
	const char *user = cfg->username ? cfg->username : "";
	const char *cred = cfg->credential ? cfg->credential : "";
	const char *secret = cfg->secret ? cfg->secret : "";
	if (!rc && (strlen(user) >= sizeof(s->username) || strlen(cred) >= sizeof(s->credential) ||
		    strlen(secret) >= sizeof(s->secret) || !link_safe(user) || !link_safe(cred))) {
		snprintf(err, err_size, "ice_username or ice_credential: too long, or with a character "
			 "a Link header cannot carry (space, quote, comma, ...)");
		rc = MCU_EINVAL;
	}
	if (!rc && s->any_turn && !secret[0] && (!user[0] || !cred[0])) {
		snprintf(err, err_size, "ice_servers has a TURN URL: set ice_secret (coturn's "
			 "static-auth-secret) or ice_username and ice_credential");
		rc = MCU_EINVAL;
	}
	if (!rc && secret[0] && cfg->ttl_s <= 0) {
		snprintf(err, err_size, "ice_credential_ttl_s must be positive");
		rc = MCU_EINVAL;
	}
	if (rc) {
		free(s);
		return rc;
	}
	snprintf(s->username, sizeof(s->username), "%s", user);
	snprintf(s->credential, sizeof(s->credential), "%s", cred);
	snprintf(s->secret, sizeof(s->secret), "%s", secret);
	s->ttl_s = cfg->ttl_s;
	*out = s;
	return 0;
}

void iceservers_destroy(struct iceservers *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	free(s);
}

int iceservers_count(const struct iceservers *s)
{
	return s ? s->n : 0;
}

int iceservers_credentials(const struct iceservers *s, int64_t now_s,
			   char username[ICESERVERS_CRED_MAX], char credential[ICESERVERS_CRED_MAX])
{
	username[0] = credential[0] = '\0';
	if (!s || !s->any_turn)
		return 0;
	if (!s->secret[0]) {
		snprintf(username, ICESERVERS_CRED_MAX, "%s", s->username);
		snprintf(credential, ICESERVERS_CRED_MAX, "%s", s->credential);
		return 0;
	}
	/* The TURN server takes the part before ':' as the expiry. */
	snprintf(username, ICESERVERS_CRED_MAX, "%lld%s%s", (long long)(now_s + s->ttl_s),
		 s->username[0] ? ":" : "", s->username);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (!HMAC(EVP_sha1(), s->secret, (int)strlen(s->secret), (const unsigned char *)username,
		  strlen(username), mac, &mac_len)) {
		username[0] = '\0';
		return MCU_EIO;
	}
	/* 20 bytes of SHA-1 are 28 characters of base64. */
	EVP_EncodeBlock((unsigned char *)credential, mac, (int)mac_len);
	return 0;
}

int iceservers_link(const struct iceservers *s, int i, const char *username,
		    const char *credential, char out[ICESERVERS_LINK_MAX])
{
	if (!s || i < 0 || i >= s->n)
		return MCU_EINVAL;
	int n;
	if (s->turn[i])
		n = snprintf(out, ICESERVERS_LINK_MAX, "<%s>; rel=\"ice-server\"; username=\"%s\"; "
			     "credential=\"%s\"; credential-type=\"password\"", s->urls[i], username,
			     credential);
	else
		n = snprintf(out, ICESERVERS_LINK_MAX, "<%s>; rel=\"ice-server\"", s->urls[i]);
	return n > 0 && n < ICESERVERS_LINK_MAX ? 0 : MCU_EINVAL;
}

json_t *iceservers_json(const struct iceservers *s, const char *username, const char *credential)
{
	json_t *list = json_array();
	for (int i = 0; list && s && i < s->n; i++) {
		json_t *server = s->turn[i]
			? json_pack("{s:s, s:s, s:s}", "urls", s->urls[i], "username", username,
				    "credential", credential)
			: json_pack("{s:s}", "urls", s->urls[i]);
		if (!server || json_array_append_new(list, server)) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}
