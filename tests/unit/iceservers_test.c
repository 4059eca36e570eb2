/* iceservers_test.c - the STUN/TURN servers told to clients: URLs parsed
 * and checked, static and minted (coturn REST) credentials, the RFC 9725
 * Link header values and the JSON list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/iceservers.h"

#include <string.h>

static struct iceservers *make(const char *urls, const char *user, const char *cred,
			       const char *secret, int *rc)
{
	struct iceservers_config cfg = { .urls = urls, .username = user, .credential = cred,
					 .secret = secret, .ttl_s = 60 };
	struct iceservers *s = NULL;
	char err[256] = "";
	*rc = iceservers_create(&cfg, &s, err, sizeof(err));
	if (*rc)
		assert_true(err[0] != '\0'); /* every refusal says why */
	return s;
}

static void test_minted_credentials(void **state)
{
	(void)state;
	int rc;
	struct iceservers *s = make("turn:127.0.0.1:3478?transport=udp, stun:127.0.0.1:3478",
				    "alice", NULL, "s3cret", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(iceservers_count(s), 2);
	char user[ICESERVERS_CRED_MAX], cred[ICESERVERS_CRED_MAX];
	assert_int_equal(iceservers_credentials(s, 1000, user, cred), 0);
	/* coturn's check: expiry first, HMAC-SHA1 of the username in base64
	 * (the value openssl dgst -sha1 -hmac s3cret gives for "1060:alice"). */
	assert_string_equal(user, "1060:alice");
	assert_string_equal(cred, "D17GpvatkiCXfrPWU3YLqLQaBvo=");

	char link[ICESERVERS_LINK_MAX];
	assert_int_equal(iceservers_link(s, 0, user, cred, link), 0);
	assert_string_equal(link, "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
			    "username=\"1060:alice\"; credential=\"D17GpvatkiCXfrPWU3YLqLQaBvo=\"; "
			    "credential-type=\"password\"");
	assert_int_equal(iceservers_link(s, 1, user, cred, link), 0);
	assert_string_equal(link, "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
	assert_int_equal(iceservers_link(s, 2, user, cred, link), MCU_EINVAL);

	json_t *j = iceservers_json(s, user, cred);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "credential")),
			    "D17GpvatkiCXfrPWU3YLqLQaBvo=");
	assert_null(json_object_get(json_array_get(j, 1), "username"));
	json_decref(j);
	iceservers_destroy(s);

	/* Without a user part the username is the expiry alone. */
	s = make("turns:turn.example.org:443?transport=tcp", "", NULL, "s3cret", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(iceservers_credentials(s, 1000, user, cred), 0);
	assert_string_equal(user, "1060");
	assert_string_equal(cred, "kNdGikzOJ4PYpmGXx/cgZIkolRM=");
	iceservers_destroy(s);
}

static void test_static_and_stun_only(void **state)
{
	(void)state;
	int rc;
	struct iceservers *s = make("turn:h:3478", "bob", "pw", "", &rc);
	assert_int_equal(rc, 0);
	char user[ICESERVERS_CRED_MAX], cred[ICESERVERS_CRED_MAX];
	assert_int_equal(iceservers_credentials(s, 5, user, cred), 0);
	assert_string_equal(user, "bob");
	assert_string_equal(cred, "pw");
	iceservers_destroy(s);

	s = make("stun:h", "", "", "", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(iceservers_credentials(s, 5, user, cred), 0);
	assert_string_equal(user, "");
	iceservers_destroy(s);

	s = make("", NULL, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(iceservers_count(s), 0);
	json_t *j = iceservers_json(s, "", "");
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	iceservers_destroy(s);
	assert_int_equal(iceservers_count(NULL), 0);
	iceservers_destroy(NULL);
}

static void test_refused(void **state)
{
	(void)state;
	int rc;
	assert_null(make("http://h", "", "", "", &rc));
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("turn:", "u", "p", "", &rc));                 /* no host */
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("turn:h", "", "", "", &rc));                  /* no credentials */
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("turn:h", "u", "", "", &rc));
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("turn:h>;rel=x", "u", "p", "", &rc));        /* would split the header */
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("turn:h", "u\"x", "p", "", &rc));
	assert_int_equal(rc, MCU_EINVAL);
	assert_null(make("stun:a stun:b stun:c stun:d stun:e stun:f stun:g stun:h stun:i", "", "",
			 "", &rc));
	assert_int_equal(rc, MCU_EINVAL);
	struct iceservers_config cfg = { .urls = "turn:h", .secret = "s", .ttl_s = 0 };
	struct iceservers *s = NULL;
	char err[128];
	assert_int_equal(iceservers_create(&cfg, &s, err, sizeof(err)), MCU_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minted_credentials),
		cmocka_unit_test(test_static_and_stun_only),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
