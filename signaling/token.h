/*
 * token.h - join tokens (API.md section 2): what POST /api/rooms/{room}/tokens
 * mints and WHIP/WHEP/participant joins present when join_secret is set.
 *
 * A token is "<room>.<minted>.<expiry>.<nonce>.<mac>": the room it admits
 * to, when it was minted in Unix µs (a room deleted after that no longer
 * admits it: revocations.h), its expiry in Unix seconds, 8 random bytes
 * (hex), and HMAC-SHA256 with the secret over the first four parts (hex).
 * It names its room in the clear so a wrong room can be told apart (403)
 * from a bad token (401); the MAC is compared in constant time. No state
 * here: any node with the secret can check it. Thread: any.
 */
#ifndef MCU_TOKEN_H
#define MCU_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX 256

/* Mints a token for room at now_us (Unix µs), valid for ttl_s seconds, into
 * out (TOKEN_MAX). Returns 0 or MCU_EINVAL (empty secret, bad room,
 * ttl_s <= 0). */
int token_mint(const char *secret, const char *room, int64_t now_us, int64_t ttl_s,
	       char out[TOKEN_MAX]);

enum token_verdict {
	TOKEN_OK,
	TOKEN_BAD,          /* malformed or forged: 401 */
	TOKEN_EXPIRED,      /* 401 */
	TOKEN_OTHER_ROOM,   /* genuine, for another room: 403 */
};

/* Checks token (NUL-terminated, borrowed) for room at now_s; on a genuine
 * token (any verdict but TOKEN_BAD) *minted_us gets its mint time (Unix µs)
 * when minted_us is not NULL. */
enum token_verdict token_check(const char *secret, const char *token, const char *room,
			       int64_t now_s, int64_t *minted_us);

#endif
