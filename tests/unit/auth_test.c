/* auth_test.c - the operator key: Bearer and Basic credentials checked
 * against it, a server without a key open to all but granting nobody the
 * operator's extra powers, and the Basic decoding's edge cases (padding,
 * colons, an empty password, a NUL inside, input too long for the buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "signaling/auth.h"

#include <stdio.h>
#include <string.h>

/* Decodes a Basic credential into a buffer of size bytes; the password is
 * left in out (NUL-terminated) and its length returned, -1 on refusal. */
static int password(const char *b64, size_t size, char *out)
{
	char buf[600];
	size_t len = 12345;
	assert_true(size <= sizeof(buf));
	if (!auth_basic_password(b64, buf, size, &len))
		return -1;
	assert_int_equal(buf[len], '\0');
	memcpy(out, buf, len + 1);
	return (int)len;
}

static void test_basic_password(void **state)
{
	(void)state;
	char pw[600];
	assert_int_equal(password("b3A6c2VrcmV0", 64, pw), 6); /* op:sekret */
	assert_string_equal(pw, "sekret");
	assert_int_equal(password("b3A6d3Jvbmc=", 64, pw), 5); /* op:wrong, one '=' */
	assert_string_equal(pw, "wrong");
	assert_int_equal(password("YTpiOmM=", 64, pw), 3); /* a:b:c: the first colon splits */
	assert_string_equal(pw, "b:c");
	assert_int_equal(password("OnB3", 64, pw), 2); /* :pw, no user */
	assert_string_equal(pw, "pw");
	assert_int_equal(password("dTo=", 64, pw), 0); /* u:, an empty password */
	assert_string_equal(pw, "");
	assert_int_equal(password("b3A6c2UAcmV0", 64, pw), 6); /* op:se\0ret: the length counts */
	assert_memory_equal(pw, "se\0ret", 6);

	assert_int_equal(password("bm9jb2xvbg==", 64, pw), -1); /* nocolon */
	assert_int_equal(password("", 64, pw), -1);
	assert_int_equal(password("b3A6c2VrcmV", 64, pw), -1); /* not a multiple of 4 */
	assert_int_equal(password("!!!!", 64, pw), -1);
	/* 12 characters decode to at most 9 bytes and a NUL: 10 fit, 9 do not. */
	assert_int_equal(password("b3A6c2VrcmV0", 10, pw), 6);
	assert_int_equal(password("b3A6c2VrcmV0", 9, pw), -1);
}

struct keyed {
	struct config cfg;
	struct signaling_env env;
};

static void keyed_init(struct keyed *k, const char *key)
{
	memset(k, 0, sizeof(*k));
	config_defaults(&k->cfg);
	snprintf(k->cfg.operator_key, sizeof(k->cfg.operator_key), "%s", key);
	k->env.cfg = &k->cfg;
}

static bool ok_with(const struct keyed *k, const char *authorization)
{
	struct httpmsg_request req = { .method = "GET", .path = "/api/rooms",
				       .authorization = authorization };
	bool ok = auth_operator_ok(&k->env, &req);
	/* With a key set, presenting it and passing are the same thing. */
	if (k->cfg.operator_key[0])
		assert_int_equal(auth_operator_presented(&k->env, &req), ok);
	return ok;
}

static void test_operator_key(void **state)
{
	(void)state;
	struct keyed k;
	keyed_init(&k, "sekret");
	assert_true(ok_with(&k, "Bearer sekret"));
	assert_true(ok_with(&k, "Basic b3A6c2VrcmV0"));
	assert_false(ok_with(&k, "Bearer sekre"));
	assert_false(ok_with(&k, "Bearer sekrett"));
	assert_false(ok_with(&k, "Bearer "));
	assert_false(ok_with(&k, "bearer sekret")); /* only "Bearer", so spelled, is read */
	assert_false(ok_with(&k, "sekret"));
	assert_false(ok_with(&k, "Basic b3A6d3Jvbmc="));
	assert_false(ok_with(&k, "Basic b3A6c2UAcmV0")); /* "se\0ret" is not "sekret" */
	assert_false(ok_with(&k, "Basic c2VrcmV0")); /* the key alone, no user: no colon */
	assert_false(ok_with(&k, ""));
	assert_false(ok_with(&k, NULL)); /* tests may leave the header NULL */
}

static void test_no_key(void **state)
{
	(void)state;
	struct keyed k;
	keyed_init(&k, "");
	struct httpmsg_request req = { .method = "GET", .path = "/api/rooms", .authorization = "" };
	assert_true(auth_operator_ok(&k.env, &req)); /* open */
	assert_false(auth_operator_presented(&k.env, &req)); /* but nobody is the operator */
	req.authorization = "Bearer anything";
	assert_true(auth_operator_ok(&k.env, &req));
	assert_false(auth_operator_presented(&k.env, &req));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_password),
		cmocka_unit_test(test_operator_key),
		cmocka_unit_test(test_no_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
