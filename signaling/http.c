/*
 * http.c - see http.h.
 *
 * DESIGN: libmicrohttpd runs its own thread pool (http_threads), each
 * thread serving many connections; answers that may wait for another
 * thread (joins, ending rooms, snapshots) run on a pool of slow workers
 * while their connection is suspended (see may_wait). The access
 * handler is called several times per request: first with the headers
 * (where a declared Content-Length over the limit is refused at once, before
 * any body is read), then with body pieces (gathered up to max_body_bytes;
 * past that the rest is read and dropped, and the answer is 413), then once
 * more to answer. Handlers see only httpmsg plain data.
 *
 * MHD's own timeout counts only idle time, so httpguard holds each
 * connection to a header and a body deadline and keeps slots free for new
 * requests (httpguard.h); it learns of connections through MHD's connection
 * notifications and of each request's progress from the calls below.
 * Requests whose framing a proxy in front could read differently (two
 * Content-Length, or one with Transfer-Encoding) are refused and the
 * connection closed.
 */
#include "http.h"
#include "api.h"
#include "httpguard.h"
#include "whip.h"
#include "mcu/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/clock.h"
#include "base/workq.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* More query arguments than any route takes: beyond this a request is 414.
 * MHD itself, given hundreds, runs out of connection memory and leaves the
 * client waiting for its idle timeout without an answer. */
#define HTTP_MAX_QUERY_ARGS 64

struct http {
	const struct signaling_env *env;
	struct MHD_Daemon *daemon;
	int port;
	char *tls_cert, *tls_key;  /* PEM, kept while the daemon runs (HTTPS) */
	struct httpguard *guard;
	struct workq *slow;        /* answers that may wait (see answer) */
};

/* Per-request state, from the headers call to the completion callback. */
struct pending {
	char *body;
	size_t len, cap;
	bool too_large;
	bool too_many_args;        /* the query was cut off before MHD parsed it */
	bool headers_seen;         /* the handler had its first call */
	int64_t started_us;
	char client_addr[INET6_ADDRSTRLEN]; /* the peer's IP, as text */
	struct httpmsg_request req;
	/* An answer made on a slow worker while the connection is suspended. */
	struct http *h;
	struct MHD_Connection *conn;
	bool answered;             /* reply is ready: send it */
	struct httpmsg_reply reply;
};

/* Slow answers queued at most (past it a request is 503), and the fewest
 * threads answering them: a join to a stuck room holds one for seconds. */
#define HTTP_SLOW_QUEUE 256
#define HTTP_MIN_SLOW_THREADS 4

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
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
}

/* Routes a request: the reply goes into *reply. */
static void route(struct http *h, struct httpmsg_request *req, struct httpmsg_reply *reply,
		  bool too_large)
{
	if (too_large) {
		too_large_reply(h, reply);
	} else if (!strcmp(req->method, "OPTIONS")) {
		reply->status = 204;
		if (!strncmp(req->path, "/whip/", 6) || !strncmp(req->path, "/whep/", 6))
			whip_options(h->env, req, reply);
	} else {
		api_route(h->env, req, reply);
	}
}

/* Logs and sends p's reply. */
static enum MHD_Result send_answer(struct http *h, struct MHD_Connection *conn, struct pending *p)
{
	int64_t ms = (clock_now_us() - p->started_us) / 1000;
	log_msg(p->reply.status >= 500 ? LOG_WARN : LOG_DEBUG, "http", "%s %s -> %d (%lld ms)",
		p->req.method, p->req.path, p->reply.status, (long long)ms);
	enum MHD_Result ret = send_reply(h, conn, &p->reply);
	httpmsg_reply_clear(&p->reply);
	return ret;
}

/*
 * May the answer wait for another thread (a join waits for ICE gathering
 * and its room's thread; ending a room, for the room's thread; a snapshot,
 * for a picture)? Those run on the slow workers: an HTTP thread serves
 * many connections, and one waiting there would hold up all of them, the
 * health check included. Reads (but the snapshot) never wait.
 */
static bool may_wait(const char *method, const char *url)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return strstr(url, "/snapshot.jpg") != NULL;
	return strcmp(method, "OPTIONS") != 0;
}

/* A slow worker's job: answers, then hands the connection back to MHD,
 * which calls on_request again to send the reply. p is MHD's again after
 * the resume: not touched after it. */
static void answer_slowly(void *arg, bool cancelled)
{
	struct pending *p = arg;
	if (cancelled)
		httpmsg_error(&p->reply, 503, "shutting_down", "the server is stopping");
	else
		route(p->h, &p->req, &p->reply, p->too_large);
	p->answered = true;
	MHD_resume_connection(p->conn);
}

/* Answers a complete request, now or on a slow worker. */
static enum MHD_Result answer(struct http *h, struct MHD_Connection *conn, struct pending *p,
			      const char *url, const char *method)
{
	if (p->answered) /* resumed: the slow worker's reply */
		return send_answer(h, conn, p);
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
	if (!p->too_large && may_wait(method, url)) {
		p->h = h;
		p->conn = conn;
		/* Suspended first: the worker may resume it at once. */
		MHD_suspend_connection(conn);
		if (!workq_push(h->slow, answer_slowly, p))
			return MHD_YES;
		httpmsg_header(&p->reply, "Retry-After", "1");
		httpmsg_error(&p->reply, 503, "busy", "too many requests are being answered");
		p->answered = true;
		MHD_resume_connection(conn);
		return MHD_YES;
	}
	route(h, req, &p->reply, p->too_large);
	p->answered = true;
	return send_answer(h, conn, p);
}

/* The connection's httpguard slot, or -1. */
static int conn_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci && ci->socket_context ? (int)(intptr_t)ci->socket_context - 1 : -1;
}

/* Answers status with an error body (code, message; the body limit's own
 * for 413) and closes the connection after it: what follows on the
 * connection cannot be trusted to be a new request, or is a body unread. */
static enum MHD_Result refuse(const struct http *h, struct MHD_Connection *conn, int status,
			      const char *code, const char *message)
{
	struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
	if (status == 413)
		too_large_reply(h, &reply);
	else
		httpmsg_error(&reply, status, code, "%s", message);
	httpmsg_header(&reply, "Connection", "close");
	enum MHD_Result ret = send_reply(h, conn, &reply);
	httpmsg_reply_clear(&reply);
	return ret;
}

struct framing {
	int content_length, transfer_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind, (void)value;
	struct framing *f = cls;
	f->content_length += !strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH);
	f->transfer_encoding += !strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return MHD_YES;
}

/* The first call, with the headers: refuses what must not be read on. */
static enum MHD_Result on_headers(struct http *h, struct MHD_Connection *conn, struct pending *p)
{
	httpguard_mark(h->guard, conn_slot(conn), HTTPGUARD_BODY, clock_now_us());
	if (p->too_many_args)
		return refuse(h, conn, 414, "too_many_arguments", "the query has too many arguments");
	/* MHD reads the body by the first Content-Length, or by chunks when
	 * Transfer-Encoding is there too; a proxy may go by another, and the
	 * rest of the body would then be taken for a request of its own. */
	struct framing f = { 0, 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_length > 1 || (f.content_length && f.transfer_encoding))
		return refuse(h, conn, 400, "bad_framing",
			      "Content-Length twice, or with Transfer-Encoding");
	size_t limit = (size_t)h->env->cfg->max_body_bytes;
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > limit) /* refused before reading: the body is never taken in */
		return refuse(h, conn, 413, NULL, NULL);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct http *h = cls;
	struct pending *p = *con_cls;
	if (!p) { /* on_uri could not allocate */
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		httpmsg_reply_init(&p->reply);
		p->started_us = clock_now_us();
		*con_cls = p;
	}
	if (!p->headers_seen) {
		p->headers_seen = true;
		return on_headers(h, conn, p);
	}
	if (*upload_data_size) {
		gather_body(p, upload_data, *upload_data_size, (size_t)h->env->cfg->max_body_bytes);
		*upload_data_size = 0;
		return MHD_YES;
	}
	httpguard_mark(h->guard, conn_slot(conn), HTTPGUARD_ANSWER, clock_now_us());
	return answer(h, conn, p, url, method);
}

/*
 * Called with the request line, before MHD parses the query: makes the
 * request's state, and when the query has more arguments than any route
 * takes, cuts it off ('?' then NUL) so that MHD does not run out of memory
 * on it; the first call then answers 414. uri is MHD's read buffer, which
 * MHD splits in place itself.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	httpmsg_reply_init(&p->reply);
	p->started_us = clock_now_us();
	char *query = strchr(uri, '?');
	int args = query && query[1] ? 1 : 0;
	for (const char *c = query; c && *c; c++)
		args += *c == '&';
	if (args > HTTP_MAX_QUERY_ARGS) {
		p->too_many_args = true;
		query[1] = '\0';
	}
	return p;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)code;
	struct http *h = cls;
	struct pending *p = *con_cls;
	if (p) {
		httpmsg_reply_clear(&p->reply); /* unsent when the client went */
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
	/* A kept-alive connection waits for its next request's headers. */
	httpguard_mark(h->guard, conn_slot(conn), HTTPGUARD_HEADERS, clock_now_us());
}

/* Tracks each connection from accept to close in the guard; the slot rides
 * in MHD's socket context as slot + 1 (NULL: untracked). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_context)
			httpguard_close(h->guard, (int)(intptr_t)*socket_context - 1);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	int slot;
	if (httpguard_open(h->guard, ci->connect_fd, clock_now_us(), &slot)) {
		shutdown(ci->connect_fd, SHUT_RDWR); /* more than MHD's limit: cannot happen */
		return;
	}
	*socket_context = (void *)(intptr_t)(slot + 1);
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

/*
 * The connections at once: http_max_connections, but at most a quarter of
 * the open-file limit, so HTTP alone can never take the descriptors that
 * joins and recordings need (mcu/fdbudget.h keeps a reserve for HTTP; a
 * process out of them loses every room when GLib aborts).
 */
static int connection_limit(const struct config *cfg)
{
	int n = cfg->http_max_connections;
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)n > lim.rlim_cur / 4) {
		n = lim.rlim_cur / 4 > 0 ? (int)(lim.rlim_cur / 4) : 1;
		LOG_W("http", "http_max_connections %d is more than a quarter of the open-file limit "
		      "(%llu): serving %d at once", cfg->http_max_connections,
		      (unsigned long long)lim.rlim_cur, n);
	}
	return n;
}

/* One address's share of the connections: http_max_per_ip, or when 0 a
 * twentieth of them, so ten addresses hold at most half. */
static int per_ip_limit(const struct config *cfg, int max_connections)
{
	if (cfg->http_max_per_ip > 0)
		return cfg->http_max_per_ip;
	int n = max_connections / 20;
	return n > 0 ? n : 1;
}

/* The guard: the deadlines of the config, and 1/50 of the slots (1 to 32)
 * kept free by evicting who has waited longest for its headers. */
static int make_guard(struct http *h, const struct config *cfg, int max_connections)
{
	int reserve = max_connections / 50;
	if (reserve < 1)
		reserve = max_connections > 1; /* one slot can keep none free */
	if (reserve > 32)
		reserve = 32;
	struct httpguard_config gc = {
		.capacity = max_connections,
		.reserve = reserve,
		.header_timeout_us = (int64_t)cfg->http_header_timeout_s * 1000000,
		.body_timeout_us = (int64_t)cfg->http_body_timeout_s * 1000000,
	};
	int rc = httpguard_create(&gc, &h->guard);
	if (rc)
		LOG_E("http", "cannot make the connection guard: %s", err_str(rc));
	return rc;
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
	int max_connections = connection_limit(cfg);
	int slow_threads = cfg->http_threads > HTTP_MIN_SLOW_THREADS ? cfg->http_threads
									: HTTP_MIN_SLOW_THREADS;
	if (workq_create(slow_threads, HTTP_SLOW_QUEUE, "http slow", 0, &h->slow)) {
		http_destroy(h);
		return MCU_ENOMEM;
	}
	if (make_guard(h, cfg, max_connections)) {
		http_destroy(h);
		return MCU_ENOMEM;
	}
	/* ITC: so that stopping wakes every worker at once (and quiesce works). */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0) |
			 (tls ? MHD_USE_TLS : 0);
	/* A slow or greedy client cannot hold the server: idle connections end
	 * after http_timeout_s, late headers and bodies by the guard, and one
	 * address gets a share of the connections. */
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->http_timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, max_connections, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_limit(cfg, max_connections), NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, h },
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
	if (httpguard_start(h->guard)) {
		LOG_E("http", "cannot start the connection guard's thread");
		http_destroy(h);
		return MCU_ENOMEM;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	LOG_I("http", "listening on %s (port %d)%s; %d connections, %d per address, headers within "
	      "%d s, bodies within %d s", env->cfg->listen, h->port, tls ? ", HTTPS" : "",
	      max_connections, per_ip_limit(cfg, max_connections), cfg->http_header_timeout_s,
	      cfg->http_body_timeout_s);
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
	if (h->daemon) {
		/* Stop accepting, then cut every connection: each worker wakes on
		 * EOF and closes its own at once, instead of sleeping out the idle
		 * timeout; handlers already running finish first. */
		MHD_socket listener = MHD_quiesce_daemon(h->daemon);
		/* Slow answers finish (their waits are bounded), the queued ones
		 * are answered 503: every suspended connection is resumed before
		 * MHD stops. */
		workq_destroy(h->slow);
		h->slow = NULL;
		int cut = httpguard_cut_all(h->guard);
		int64_t t0 = clock_now_us();
		MHD_stop_daemon(h->daemon);
		if (listener != MHD_INVALID_SOCKET)
			close(listener);
		LOG_I("http", "stopped: %d connections cut, %lld ms", cut,
		      (long long)(clock_now_us() - t0) / 1000);
	}
	workq_destroy(h->slow);
	httpguard_destroy(h->guard);
	if (h->tls_key)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h);
}
