/*
 * auth.h - the operator key of API.md: who may use the operator routes.
 * The key comes as "Authorization: Bearer <key>" or, for the console in a
 * browser, as the password of "Basic base64(user:password)" (any user).
 * Keys are compared in constant time.
 */
#ifndef MCU_AUTH_H
#define MCU_AUTH_H

#include "env.h"
#include "httpmsg.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Does req present the operator key, as Bearer or as a Basic password? True
 * also when no key is configured (env->cfg->operator_key empty): then the
 * operator routes are open. Borrows both. Thread: an HTTP worker.
 */
bool auth_operator_ok(const struct signaling_env *env, const struct httpmsg_request *req);

/*
 * Is an operator key configured, and did req present it? Unlike
 * auth_operator_ok, false on a server without a key: there, nobody holds the
 * operator's extra powers (such as sending plain RTP anywhere). Thread: an
 * HTTP worker.
 */
bool auth_operator_presented(const struct signaling_env *env, const struct httpmsg_request *req);

/*
 * The password of a Basic credential: auth is what follows "Basic ", the
 * base64 of "user:password". Writes the password, NUL-terminated, into buf
 * (size bytes, which must hold the whole decoded credential) and its length
 * into *len. Returns false when auth is not that (empty, not base64, no
 * colon, too long for buf); buf may then hold part of the decoding.
 * Thread: any.
 */
bool auth_basic_password(const char *auth, char *buf, size_t size, size_t *len);

#endif
