/*
 * apijson.h - what the JSON routes of the API share: a reply from a
 * jansson object, a request body read as a JSON object, a wall-clock time as
 * the API writes it. One copy, so that every route answers alike.
 */
#ifndef MCU_APIJSON_H
#define MCU_APIJSON_H

#include "httpmsg.h"

#include <jansson.h>
#include <stdint.h>

/*
 * Sets status and obj, compact, as an application/json body. Takes obj
 * (NULL is taken as a failed build: 500 "out of memory"). Returns the
 * reply's status. Thread: any.
 */
int apijson_reply(struct httpmsg_reply *reply, int status, json_t *obj);

/*
 * The request's body parsed as a JSON object (duplicate keys refused).
 * Returns a new reference, or NULL with an error reply set: 415 when the
 * Content-Type is not application/json, 400 "bad_json" when the body is not
 * JSON or not an object. Thread: any.
 */
json_t *apijson_parse_body(const struct httpmsg_request *req, struct httpmsg_reply *reply);

/* wall_us (µs since the epoch) as an ISO 8601 UTC string; a new reference,
 * NULL on allocation failure. Thread: any. */
json_t *apijson_time(int64_t wall_us);

#endif
