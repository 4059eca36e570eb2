/* token.c - see token.h. */
#include "token.h"
#include "base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAC_HEX 64

/* Hex HMAC-SHA256 of text with secret into out (MAC_HEX + 1). */
static int mac_hex(const char *secret, const char *text, size_t len, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, len, mac, &n) ||
	    n != 32)
		return MCU_EIO;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int token_mint(const char *secret, const char *room, int64_t now_us, int64_t ttl_s,
	       char out[TOKEN_MAX])
{
	if (!secret || !secret[0] || !room || !room[0] || strchr(room, '.') || ttl_s <= 0 ||
	    strlen(room) > 64 || now_us < 0)
		return MCU_EINVAL;
	uint8_t nonce[8];
	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		return MCU_EIO;
	int n = snprintf(out, TOKEN_MAX, "%s.%" PRId64 ".%" PRId64 ".", room, now_us,
			 now_us / 1000000 + ttl_s);
	for (size_t i = 0; i < sizeof(nonce); i++)
		n += snprintf(out + n, TOKEN_MAX - (size_t)n, "%02x", nonce[i]);
	char mac[MAC_HEX + 1];
	if (mac_hex(secret, out, (size_t)n, mac))
		return MCU_EIO;
	snprintf(out + n, TOKEN_MAX - (size_t)n, ".%s", mac);
	return 0;
}

/* The decimal number at s up to a '.', into *out; the character after it,
 * or NULL when s holds no such number. */
static const char *read_number(const char *s, long long *out)
{
	char *end = NULL;
	if (*s < '0' || *s > '9')
		return NULL;
	*out = strtoll(s, &end, 10);
	return end && *end == '.' ? end + 1 : NULL;
}

enum token_verdict token_check(const char *secret, const char *token, const char *room,
			       int64_t now_s, int64_t *minted_us)
{
	if (!secret || !secret[0] || !token || strlen(token) >= TOKEN_MAX)
		return TOKEN_BAD;
	const char *mac = strrchr(token, '.');
	if (!mac || strlen(mac + 1) != MAC_HEX)
		return TOKEN_BAD;
	char want[MAC_HEX + 1];
	if (mac_hex(secret, token, (size_t)(mac - token), want) ||
	    CRYPTO_memcmp(want, mac + 1, MAC_HEX) != 0)
		return TOKEN_BAD;
	/* Genuine: now read what it says. */
	const char *dot = strchr(token, '.');
	long long minted = 0, expiry = 0;
	const char *next = read_number(dot + 1, &minted);
	if (!next || !read_number(next, &expiry))
		return TOKEN_BAD;
	if (minted_us)
		*minted_us = minted;
	if ((size_t)(dot - token) != strlen(room) || strncmp(token, room, (size_t)(dot - token)))
		return TOKEN_OTHER_ROOM;
	return now_s >= expiry ? TOKEN_EXPIRED : TOKEN_OK;
}
