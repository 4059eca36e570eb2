/*
 * auth.c - see auth.h. The operator key, as Bearer or as a Basic password,
 * compared in constant time so that timing does not tell how much of a
 * guess was right.
 */
#include "auth.h"
#include "mcu/config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/* Is given (given_len bytes) the key? Compared in constant time. */
static bool key_matches(const char *given, size_t given_len, const char *key)
{
	size_t n = strlen(key);
	return given_len == n && CRYPTO_memcmp(given, key, n) == 0;
}

bool auth_basic_password(const char *auth, char *buf, size_t size, size_t *len)
{
	size_t in = strlen(auth);
	if (in == 0 || in % 4 || in / 4 * 3 >= size)
		return false;
	int n = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)auth, (int)in);
	if (n < 0)
		return false;
	while (n > 0 && in > 0 && auth[--in] == '=') /* DecodeBlock counts padding */
		n--;
	buf[n] = '\0';
	const char *colon = memchr(buf, ':', (size_t)n);
	if (!colon)
		return false;
	*len = (size_t)n - (size_t)(colon + 1 - buf);
	memmove(buf, colon + 1, *len + 1);
	return true;
}

bool auth_operator_ok(const struct signaling_env *env, const struct httpmsg_request *req)
{
	const char *key = env->cfg->operator_key;
	if (!key[0])
		return true;
	const char *auth = req->authorization ? req->authorization : "";
	if (!strncmp(auth, "Bearer ", 7))
		return key_matches(auth + 7, strlen(auth + 7), key);
	char buf[512];
	size_t len;
	if (!strncmp(auth, "Basic ", 6) && auth_basic_password(auth + 6, buf, sizeof(buf), &len)) {
		bool ok = key_matches(buf, len, key);
		explicit_bzero(buf, sizeof(buf));
		return ok;
	}
	return false;
}

bool auth_operator_presented(const struct signaling_env *env,
			     const struct httpmsg_request *req)
{
	return env->cfg->operator_key[0] && auth_operator_ok(env, req);
}
