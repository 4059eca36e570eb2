/* apijson_test.c - the JSON routes' shared pieces: a reply from an object
 * (and from a failed build), a body that must be a JSON object sent as
 * application/json, and times as ISO 8601 UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "signaling/apijson.h"

#include <string.h>

/* The "error" code of reply's JSON body. */
static void assert_error(const struct httpmsg_reply *reply, int status, const char *code)
{
	assert_int_equal(reply->status, status);
	json_t *j = json_loadb(reply->body, reply->body_len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "error")), code);
	json_decref(j);
}

static void test_reply(void **state)
{
	(void)state;
	struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
	assert_int_equal(apijson_reply(&reply, 201, json_pack("{s:s, s:i}", "a", "b", "n", 1)), 201);
	assert_int_equal(reply.status, 201);
	assert_string_equal(reply.content_type, "application/json");
	assert_int_equal(reply.body_len, strlen("{\"a\":\"b\",\"n\":1}")); /* compact */
	assert_memory_equal(reply.body, "{\"a\":\"b\",\"n\":1}", reply.body_len);
	/* A json_pack that failed (NULL) is an internal error, not a crash. */
	assert_int_equal(apijson_reply(&reply, 200, NULL), 500);
	assert_error(&reply, 500, "internal");
	httpmsg_reply_clear(&reply);
}

/* Parses body as sent with ctype; the object (a new reference) or NULL. */
static json_t *parse(const char *ctype, const char *body, struct httpmsg_reply *reply)
{
	struct httpmsg_request req = { .method = "POST", .path = "/api/rooms",
				       .content_type = ctype, .body = body,
				       .body_len = body ? strlen(body) : 0 };
	httpmsg_reply_clear(reply);
	return apijson_parse_body(&req, reply);
}

static void test_parse_body(void **state)
{
	(void)state;
	struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
	json_t *obj = parse("application/json", "{\"room\":\"r\"}", &reply);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "room")), "r");
	assert_int_equal(reply.status, 0); /* no reply set on success */
	json_decref(obj);
	obj = parse("Application/JSON; charset=utf-8", "{}", &reply);
	assert_non_null(obj);
	json_decref(obj);

	assert_null(parse("text/plain", "{}", &reply));
	assert_error(&reply, 415, "unsupported_media_type");
	assert_null(parse("", "{}", &reply));
	assert_error(&reply, 415, "unsupported_media_type");
	assert_null(parse("application/json", "{\"a\":", &reply));
	assert_error(&reply, 400, "bad_json");
	assert_null(parse("application/json", NULL, &reply)); /* no body */
	assert_error(&reply, 400, "bad_json");
	assert_null(parse("application/json", "[1]", &reply));
	assert_error(&reply, 400, "bad_json");
	assert_null(parse("application/json", "\"x\"", &reply));
	assert_error(&reply, 400, "bad_json");
	assert_null(parse("application/json", "{\"a\":1,\"a\":2}", &reply)); /* duplicate key */
	assert_error(&reply, 400, "bad_json");
	httpmsg_reply_clear(&reply);
}

static void test_time(void **state)
{
	(void)state;
	json_t *t = apijson_time(0);
	assert_string_equal(json_string_value(t), "1970-01-01T00:00:00Z");
	json_decref(t);
	t = apijson_time(1795873501999999); /* the µs are dropped, not rounded */
	assert_string_equal(json_string_value(t), "2026-11-28T13:45:01Z");
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_parse_body),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
