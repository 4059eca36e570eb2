/*
 * httpmsg.h - an HTTP request and reply as plain data, so handlers (api.c,
 * whip.c) know nothing of libmicrohttpd and can be tested without a socket.
 *
 * http.c fills a request from the connection and turns the reply into an
 * MHD response. Every error reply is a JSON body {"error","message"}.
 *
 * A reply carries either a buffer (body) or a span of an open file
 * (file_fd, file_offset, file_len), never both. A reply starts as
 * HTTPMSG_REPLY_INIT or httpmsg_reply_init(), never as all zeros: fd 0 is a
 * real descriptor, so "no file" is file_fd == -1.
 */
#ifndef MCU_HTTPMSG_H
#define MCU_HTTPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPMSG_MAX_ARGS 8
#define HTTPMSG_MAX_HEADERS 16

struct httpmsg_request {
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* URL path without the query */
	const char *content_type;    /* "" when absent; parameters included */
	const char *authorization;   /* "" when absent */
	const char *if_match;        /* "" when absent */
	const char *range;           /* "" (or NULL in tests) when absent */
	const char *client_addr;     /* the peer's IP as text; "" (or NULL in tests) when unknown */
	const char *body;            /* not NUL-terminated; NULL when empty */
	size_t body_len;
	const char *arg_keys[HTTPMSG_MAX_ARGS];  /* query arguments */
	const char *arg_values[HTTPMSG_MAX_ARGS];
	int n_args;
};

struct httpmsg_reply {
	int status;
	char content_type[64];
	char *body;                  /* malloc'd, owned by the reply */
	size_t body_len;
	char header_names[HTTPMSG_MAX_HEADERS][32];
	char header_values[HTTPMSG_MAX_HEADERS][512];
	int n_headers;
	int file_fd;                 /* -1: none; else owned by the reply */
	uint64_t file_offset;        /* the bytes of file_fd sent as the body */
	uint64_t file_len;
};

#define HTTPMSG_REPLY_INIT { .file_fd = -1 }

/* Makes *reply an empty reply (no body, no file). */
void httpmsg_reply_init(struct httpmsg_reply *reply);

/* A query argument's value, or NULL. Borrowed from the request. */
const char *httpmsg_arg(const struct httpmsg_request *req, const char *key);

/* Does the request's Content-Type name this media type (parameters and case
 * ignored)? */
int httpmsg_content_type_is(const struct httpmsg_request *req, const char *media_type);

/* Is method "GET" or "HEAD"? GET routes answer HEAD alike; the HTTP library
 * leaves the body out. */
bool httpmsg_is_get(const char *method);

/* Sets status and an error body {"error": code, "message": message...}.
 * Returns status. */
int httpmsg_error(struct httpmsg_reply *reply, int status, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets a 405 {"error": "method_not_allowed"} with an Allow header of allow
 * ("GET, HEAD") and OPTIONS, which every path answers. Returns 405. */
int httpmsg_not_allowed(struct httpmsg_reply *reply, const char *allow);

/* Sets status and a body copied from text (len bytes) with the content type;
 * a file the reply held is closed. */
int httpmsg_text(struct httpmsg_reply *reply, int status, const char *content_type,
		 const char *text, size_t len);

/* Adds a response header (name and value copied, truncated to fit). */
void httpmsg_header(struct httpmsg_reply *reply, const char *name, const char *value);

/*
 * Sets status and a body of len bytes of fd from offset (a regular file),
 * sent without copying it through memory. Takes fd: the reply closes it
 * when cleared or replaced, unless http.c has handed it to the HTTP library
 * (file_fd is then -1). A body or file the reply held before is released.
 * Returns status.
 */
int httpmsg_file(struct httpmsg_reply *reply, int status, const char *content_type, int fd,
		 uint64_t offset, uint64_t len);

/* Frees the reply's body and closes its file; the reply is then as
 * httpmsg_reply_init leaves it and may be reused. */
void httpmsg_reply_clear(struct httpmsg_reply *reply);

#endif
