/* api_test.c - api_route and httpmsg on plain requests, no socket: routing,
 * the error model, the operator key, rooms, health and metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "mcu/registry.h"
#include "signaling/api.h"
#include "signaling/httpmsg.h"

#include <jansson.h>
#include <string.h>

struct fixture {
	struct config cfg;
	struct endpoint_env ep_env;
	struct registry *reg;
	struct signaling_env env;
	struct httpmsg_reply reply;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	config_defaults(&f.cfg);
	f.ep_env.cfg = &f.cfg;
	if (registry_create(&f.ep_env, 8, &f.reg))
		return -1;
	f.env = (struct signaling_env){ .cfg = &f.cfg, .registry = f.reg, .version = "test",
					.fingerprint = "AA" };
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	httpmsg_reply_clear(&f->reply);
	registry_destroy(f->reg);
	return 0;
}

/* Routes one request; returns the status and leaves the reply in f->reply. */
static int call(struct fixture *f, const char *method, const char *path, const char *ctype,
		const char *body)
{
	httpmsg_reply_clear(&f->reply);
	struct httpmsg_request req = { .method = method, .path = path,
				       .content_type = ctype ? ctype : "", .authorization = "",
				       .body = body, .body_len = body ? strlen(body) : 0 };
	return api_route(&f->env, &req, &f->reply);
}

static json_t *reply_json(struct fixture *f)
{
	json_t *j = json_loadb(f->reply.body, f->reply.body_len, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_error_code(struct fixture *f, const char *code)
{
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "error")), code);
	assert_true(json_is_string(json_object_get(j, "message")));
	json_decref(j);
}

static void test_health_and_errors(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "GET", "/api/health", NULL, NULL), 200);
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(j, "rooms")), 0);
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/health", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/", NULL, NULL), 404);
	assert_error_code(f, "not_found");
	assert_int_equal(call(f, "GET", "/a/b/c/d/e/f/g/h", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/nothing", NULL, NULL), 404);
	assert_int_equal(call(f, "POST", "/api/rooms", "text/plain", "{}"), 415);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "[1]"), 400);
	assert_error_code(f, "bad_json");
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":1}"), 400);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json",
			      "{\"max_participants\":0}"), 400);
	assert_int_equal(call(f, "POST", "/whip/r", "application/json", "x"), 415);
	assert_int_equal(call(f, "POST", "/whip/r", "application/sdp", NULL), 400);
	assert_int_equal(call(f, "GET", "/whip/r", NULL, NULL), 405);
	assert_int_equal(call(f, "DELETE", "/whip/r/0123456789abcdef", NULL, NULL), 404);
	assert_int_equal(call(f, "PATCH", "/whip/r/0123456789abcdef", "text/plain", "x"), 415);
	assert_int_equal(call(f, "PATCH", "/whip/r/0123456789abcdef",
			      "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n"), 404);
}

static void test_rooms(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json; charset=utf-8",
			      "{\"room\":\"r1\",\"layout\":\"speaker\",\"record\":true}"), 201);
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "layout")), "speaker");
	assert_true(json_is_true(json_object_get(j, "record")));
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":\"r1\"}"), 409);
	assert_int_equal(call(f, "GET", "/api/rooms/r1", NULL, NULL), 200);
	assert_int_equal(call(f, "PATCH", "/api/rooms/r1", "application/json", "{\"layout\":\"grid\"}"), 200);
	j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "layout")), "grid");
	json_decref(j);
	assert_int_equal(call(f, "PATCH", "/api/rooms/r1", "application/json", "{\"record\":\"yes\"}"), 400);
	assert_int_equal(call(f, "PUT", "/api/rooms/r1", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/api/rooms", NULL, NULL), 200);
	j = reply_json(f);
	assert_int_equal(json_array_size(json_object_get(j, "rooms")), 1);
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/rooms/r1/participants", "application/json", "{}"), 400);
	assert_int_equal(call(f, "DELETE", "/api/rooms/r1/participants/abc", NULL, NULL), 404);
	assert_int_equal(call(f, "DELETE", "/api/rooms/r1", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/api/rooms/r1", NULL, NULL), 404);
	assert_error_code(f, "room_not_found");
}

static void test_operator_key_and_metrics(void **state)
{
	struct fixture *f = *state;
	strcpy(f->cfg.operator_key, "k3y");
	assert_int_equal(call(f, "GET", "/api/rooms", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/metrics", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/health", NULL, NULL), 200);
	httpmsg_reply_clear(&f->reply);
	struct httpmsg_request req = { .method = "GET", .path = "/metrics", .content_type = "",
				       .authorization = "Bearer k3y" };
	assert_int_equal(api_route(&f->env, &req, &f->reply), 200);
	assert_non_null(strstr(f->reply.body, "mcu_rooms 0\n"));
	assert_non_null(strstr(f->reply.body, "# TYPE mcu_joins_total counter\n"));
	req.authorization = "Bearer k3yy";
	assert_int_equal(api_route(&f->env, &req, &f->reply), 401);
	f->cfg.operator_key[0] = '\0';
}

static void test_httpmsg(void **state)
{
	(void)state;
	struct httpmsg_request req = { .content_type = "Application/SDP ; charset=x",
				       .arg_keys = { "profile", "name" }, .arg_values = { "sd", "" },
				       .n_args = 2 };
	assert_true(httpmsg_content_type_is(&req, "application/sdp"));
	assert_false(httpmsg_content_type_is(&req, "application/sd"));
	req.content_type = "application/sdpx";
	assert_false(httpmsg_content_type_is(&req, "application/sdp"));
	assert_string_equal(httpmsg_arg(&req, "profile"), "sd");
	assert_string_equal(httpmsg_arg(&req, "name"), "");
	assert_null(httpmsg_arg(&req, "other"));

	struct httpmsg_reply reply = { 0 };
	assert_int_equal(httpmsg_error(&reply, 400, "bad", "n=%d \"q\"", 5), 400);
	json_t *j = json_loadb(reply.body, reply.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "n=5 \"q\"");
	json_decref(j);
	for (int i = 0; i < HTTPMSG_MAX_HEADERS + 2; i++)
		httpmsg_header(&reply, "X-A", "b");
	assert_int_equal(reply.n_headers, HTTPMSG_MAX_HEADERS);
	httpmsg_reply_clear(&reply);
	assert_null(reply.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_and_errors),
		cmocka_unit_test(test_rooms),
		cmocka_unit_test(test_operator_key_and_metrics),
		cmocka_unit_test(test_httpmsg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
