/*
 * http.c - see http.h.
 *
 * DESIGN: libmicrohttpd runs its own thread pool (http_threads). The access
 * handler is called several times per request: first with the headers
 * (where a declared Content-Length over the limit is refused at once, before
 * any body is read), then with body pieces (gathered up to max_body_bytes;
 * past that the rest is read and dropped, and the answer is 413), then once
 * more to answer. Handlers see only httpmsg plain data.
 */
#include "http.h"
#include "api.h"
#include "whip.h"
#include "mcu/config.h"
#include "mcu/err.h"
#include "mcu/log.h"
#include "mcu/clock.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct http {
	const struct signaling_env *env;
	struct MHD_Daemon *daemon;
	int port;
	char *tls_cert, *tls_key;  /* PEM, kept while the daemon runs (HTTPS) */
};

/* Per-request state, from the headers call to the completion callback. */
struct pending {
	char *body;
	size_t len, cap;
	bool too_large;
	int64_t started_us;
	char client_addr[INET6_ADDRSTRLEN]; /* the peer's IP, as text */
	struct httpmsg_request req;
};

static int parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return MCU_EINVAL;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= sizeof(host))
		return MCU_EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return MCU_EINVAL;
	memset(ss, 0, sizeof(*ss));
	*v6 = host[0] == '[';
	if (*v6) {
		if (hlen < 3 || host[hlen - 1] != ']')
			return MCU_EINVAL;
		host[hlen - 1] = '\0';
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : MCU_EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : MCU_EINVAL;
}

static void add_cors(const struct http *h, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Access-Control-Allow-Origin", h->env->cfg->cors_origin);
	MHD_add_response_header(r, "Access-Control-Allow-Methods",
				"GET, HEAD, POST, PATCH, DELETE, OPTIONS");
	MHD_add_response_header(r, "Access-Control-Allow-Headers",
				"Authorization, Content-Type, If-Match, Range");
	MHD_add_response_header(r, "Access-Control-Expose-Headers",
				"Location, ETag, Link, Retry-After, Accept-Ranges, Content-Range, Content-Length");
	MHD_add_response_header(r, "Access-Control-Max-Age", "600");
}

/* Queues the reply. A file body is handed to MHD, which then owns (and
 * closes) the fd: reply->file_fd becomes -1. */
static enum MHD_Result send_reply(const struct http *h, struct MHD_Connection *conn,
				  struct httpmsg_reply *reply)
{
	struct MHD_Response *r;
	if (reply->file_fd >= 0) {
		r = MHD_create_response_from_fd_at_offset64(reply->file_len, reply->file_fd,
							    reply->file_offset);
		if (r)
			reply->file_fd = -1;
	} else {
		r = MHD_create_response_from_buffer(reply->body_len,
						    reply->body ? reply->body : (void *)"",
						    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return MHD_NO;
	if (reply->body_len || reply->content_type[0])
		MHD_add_response_header(r, "Content-Type",
					reply->content_type[0] ? reply->content_type : "application/json");
	for (int i = 0; i < reply->n_headers; i++)
		MHD_add_response_header(r, reply->header_names[i], reply->header_values[i]);
	add_cors(h, r);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)reply->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct httpmsg_request *req = cls;
	if (req->n_args < HTTPMSG_MAX_ARGS) {
		req->arg_keys[req->n_args] = key;
		req->arg_values[req->n_args++] = value ? value : "";
	}
	return MHD_YES;
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	return v ? v : "";
}

/* Appends a body piece; past the limit the body is dropped and remembered. */
static void gather_body(struct pending *p, const char *data, size_t n, size_t limit)
{
	if (p->too_large)
		return;
	if (p->len + n > limit) {
		p->too_large = true;
		free(p->body);
		p->body = NULL;
		p->len = p->cap = 0;
		return;
	}
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n)
			cap *= 2;
		char *grown = realloc(p->body, cap);
		if (!grown) {
			p->too_large = true; /* answered as 413: we cannot hold it */
			return;
		}
		p->body = grown;
		p->cap = cap;
	}
	memcpy(p->body + p->len, data, n);
	p->len += n;
}

static int too_large_reply(const struct http *h, struct httpmsg_reply *reply)
{
	return httpmsg_error(reply, 413, "body_too_large", "request bodies are limited to %ld bytes",
			     h->env->cfg->max_body_bytes);
}

/* The connection's peer address as text into buf ("" when unknown). */
static void client_address(struct MHD_Connection *conn, char *buf, size_t size)
{
	buf[0] = '\0';
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
}

/* Answers a complete request. */
static enum MHD_Result answer(struct http *h, struct MHD_Connection *conn, struct pending *p,
			      const char *url, const char *method)
{
	struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
	struct httpmsg_request *req = &p->req;
	req->method = method;
	req->path = url;
	req->content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->authorization = header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	req->if_match = header(conn, "If-Match");
	req->range = header(conn, MHD_HTTP_HEADER_RANGE);
	req->body = p->body;
	req->body_len = p->len;
	client_address(conn, p->client_addr, sizeof(p->client_addr));
	req->client_addr = p->client_addr;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, req);

	if (p->too_large) {
		too_large_reply(h, &reply);
	} else if (!strcmp(method, "OPTIONS")) {
		reply.status = 204;
		if (!strncmp(url, "/whip/", 6) || !strncmp(url, "/whep/", 6))
			whip_options(h->env, req, &reply);
	} else {
		api_route(h->env, req, &reply);
	}
	int64_t ms = (clock_now_us() - p->started_us) / 1000;
	log_msg(reply.status >= 500 ? LOG_WARN : LOG_DEBUG, "http", "%s %s -> %d (%lld ms)", method,
		url, reply.status, (long long)ms);
	enum MHD_Result ret = send_reply(h, conn, &reply);
	httpmsg_reply_clear(&reply);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct http *h = cls;
	struct pending *p = *con_cls;
	size_t limit = (size_t)h->env->cfg->max_body_bytes;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		p->started_us = clock_now_us();
		*con_cls = p;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > limit) {
			/* Refuse before reading: the body is never taken in. */
			struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
			too_large_reply(h, &reply);
			enum MHD_Result ret = send_reply(h, conn, &reply);
			httpmsg_reply_clear(&reply);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		gather_body(p, upload_data, *upload_data_size, limit);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(h, conn, p, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	struct pending *p = *con_cls;
	if (p) {
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes "%HH" in the path and query arguments like MHD's own unescaper,
 * except "%00", which stays as the three characters: decoded, it would cut
 * the C string short, so "/recordings/{name}.mp4%00.json" would reach the
 * handlers as "/recordings/{name}.mp4". Kept, it is a name no route knows.
 * Returns the new length; never lengthens s.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls, (void)conn;
	char *w = s;
	for (const char *r = s; *r;) {
		int hi = r[0] == '%' ? hex_digit(r[1]) : -1;
		int lo = hi >= 0 ? hex_digit(r[2]) : -1;
		if (lo >= 0 && (hi | lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	LOG_W("http", "%s", msg);
}

/* Reads a whole (small) file into a new NUL-terminated string, or NULL. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	if (!fseek(f, 0, SEEK_END)) {
		long size = ftell(f);
		if (size >= 0 && size < (1 << 20) && !fseek(f, 0, SEEK_SET)) {
			buf = malloc((size_t)size + 1);
			len = buf ? fread(buf, 1, (size_t)size, f) : 0;
			if (buf && len != (size_t)size) {
				free(buf);
				buf = NULL;
			}
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Loads the certificate chain and key (PEM) for HTTPS. */
static int load_tls(struct http *h, const struct config *cfg)
{
	if (!cfg->tls_cert[0] || !cfg->tls_key[0]) {
		LOG_E("http", "HTTPS needs both tls_cert and tls_key");
		return MCU_EINVAL;
	}
	h->tls_cert = read_file(cfg->tls_cert);
	h->tls_key = read_file(cfg->tls_key);
	if (!h->tls_cert || !h->tls_key) {
		LOG_E("http", "cannot read %s", !h->tls_cert ? cfg->tls_cert : cfg->tls_key);
		return MCU_EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		LOG_E("http", "this libmicrohttpd has no TLS");
		return MCU_EINVAL;
	}
	return 0;
}

int http_create(const struct signaling_env *env, struct http **out)
{
	struct sockaddr_storage ss;
	bool v6;
	if (parse_listen(env->cfg->listen, &ss, &v6)) {
		LOG_E("http", "listen: '%s' is not host:port", env->cfg->listen);
		return MCU_EINVAL;
	}
	struct http *h = calloc(1, sizeof(*h));
	if (!h)
		return MCU_ENOMEM;
	h->env = env;
	const struct config *cfg = env->cfg;
	bool tls = cfg->tls_cert[0] || cfg->tls_key[0];
	if (tls && load_tls(h, cfg)) {
		http_destroy(h);
		return MCU_EINVAL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (v6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0);
	/* A slow or greedy client cannot hold the server: idle connections end
	 * after http_timeout_s, and one address gets at most http_max_per_ip. */
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->http_timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, cfg->http_max_connections, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->http_max_per_ip, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, h },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, h->tls_key },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->tls_cert },
		{ MHD_OPTION_END, 0, NULL },
	};
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				     /* first, so that MHD logs nothing by itself */
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
				     MHD_OPTION_ARRAY, opts,
				     MHD_OPTION_END);
	if (!h->daemon) {
		LOG_E("http", "cannot listen on %s%s", cfg->listen,
		      tls ? " with TLS (check tls_cert and tls_key)" : "");
		http_destroy(h);
		return MCU_EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	LOG_I("http", "listening on %s (port %d)%s", env->cfg->listen, h->port, tls ? ", HTTPS" : "");
	*out = h;
	return 0;
}

int http_port(const struct http *h)
{
	return h->port;
}

void http_destroy(struct http *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->tls_key)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h);
}
