/*
 * http.h - the HTTP server (libmicrohttpd): reads requests up to
 * max_body_bytes, answers CORS preflights, and hands complete requests to
 * api_route() on a pool of worker threads.
 */
#ifndef MCU_HTTP_H
#define MCU_HTTP_H

#include "env.h"

struct http;

/*
 * Starts listening on env->cfg->listen ("host:port", "[v6]:port"; port 0
 * picks a free one, logged). env is borrowed and must outlive the server.
 * Returns 0, MCU_EINVAL (bad listen address) or MCU_EIO (cannot bind).
 * Thread: main.
 */
int http_create(const struct signaling_env *env, struct http **out);

/* The port actually bound. Thread: any. */
int http_port(const struct http *h);

/* Stops accepting, waits for running handlers, frees; accepts NULL. Thread: main. */
void http_destroy(struct http *h);

#endif
