/*
 * lghttp.c - see lghttp.h. A deliberately small client: the server answers
 * with Content-Length (libmicrohttpd), and a chunked reply is decoded too
 * in case; nothing here is on the media path.
 */
#include "lghttp.h"
#include "lgnet.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TIMEOUT_S 10
#define MAX_REPLY (4 << 20)

int lghttp_parse_server(const char *s, struct lgserver *out)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(out->host))
		return MCU_EINVAL;
	memcpy(out->host, s, (size_t)(colon - s));
	out->host[colon - s] = '\0';
	out->port = atoi(colon + 1);
	return out->port > 0 && out->port < 65536 ? 0 : MCU_EINVAL;
}

static int connect_to(const struct lgserver *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	if (inet_pton(AF_INET, s->host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return MCU_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Decodes a chunked body in place; returns its length or -1. */
static long dechunk(char *body, size_t len)
{
	size_t in = 0, out = 0;
	while (in < len) {
		char *end = NULL;
		unsigned long n = strtoul(body + in, &end, 16);
		char *crlf = strstr(body + in, "\r\n");
		if (!crlf || end == body + in)
			return -1;
		in = (size_t)(crlf - body) + 2;
		if (n == 0)
			break;
		if (in + n > len)
			return -1;
		memmove(body + out, body + in, n);
		out += n;
		in += n + 2;
	}
	body[out] = '\0';
	return (long)out;
}

/* Splits a whole response into status and body (moved to the front). */
static int parse_reply(char *buf, size_t len, int *status, char **reply)
{
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return MCU_EPROTO;
	char *head_end = strstr(buf, "\r\n\r\n");
	if (!head_end)
		return MCU_EPROTO;
	*head_end = '\0';
	bool chunked = false;
	for (char *h = strstr(buf, "\r\n"); h; h = strstr(h + 2, "\r\n"))
		if (!strncasecmp(h + 2, "transfer-encoding:", 18) && strstr(h + 2, "chunked"))
			chunked = true;
	size_t body_len = len - (size_t)(head_end + 4 - buf);
	memmove(buf, head_end + 4, body_len);
	buf[body_len] = '\0';
	if (chunked && dechunk(buf, body_len) < 0)
		return MCU_EPROTO;
	*reply = buf;
	return 0;
}

int lghttp_request(const struct lgserver *s, const char *method, const char *path,
		   const char *body, int *status, char **reply)
{
	int fd = connect_to(s);
	if (fd < 0)
		return MCU_EIO;
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int hl = snprintf(head, sizeof(head),
			  "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
			  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			  method, path, s->host, s->port, blen);
	int rc = hl > 0 && (size_t)hl < sizeof(head) ? send_all(fd, head, (size_t)hl) : MCU_EINVAL;
	if (!rc && blen)
		rc = send_all(fd, body, blen);
	size_t cap = 8192, len = 0;
	char *buf = rc ? NULL : malloc(cap);
	if (!rc && !buf)
		rc = MCU_ENOMEM;
	while (!rc) {
		if (len + 1 == cap) {
			char *grown = cap < MAX_REPLY ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				rc = MCU_EIO;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0)
			rc = MCU_EIO;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!rc) {
		buf[len] = '\0';
		rc = parse_reply(buf, len, status, reply);
	}
	if (rc)
		free(buf);
	return rc;
}

/* The plain RTP offer of a legacy endpoint on 127.0.0.1, RTCP muxed. */
static void make_offer(const struct lgjoin_req *r, char *sdp, size_t size)
{
	const char *dir = r->sends ? "sendrecv" : "recvonly";
	int n = snprintf(sdp, size, "v=0\r\no=- %llu 1 IN IP4 127.0.0.1\r\ns=loadgen\r\n"
			 "c=IN IP4 127.0.0.1\r\nt=0 0\r\n",
			 (unsigned long long)r->video_port << 16 | (unsigned)r->audio_port);
	if (r->video_port)
		n += snprintf(sdp + n, size - (size_t)n,
			      "m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
			      "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"
			      "a=rtcp-mux\r\na=%s\r\n", r->video_port, dir);
	if (r->audio_port)
		snprintf(sdp + n, size - (size_t)n,
			 "m=audio %d RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
			 "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
			 "a=rtcp-mux\r\na=%s\r\n", r->audio_port, LG_AUDIO_LEVEL_EXT, dir);
}

/* The port of the answer's m=<kind> line, 0 when absent. */
static int answer_port(const char *sdp, const char *kind)
{
	char key[16];
	snprintf(key, sizeof(key), "m=%s ", kind);
	const char *m = strstr(sdp, key);
	return m ? atoi(m + strlen(key)) : 0;
}

int lghttp_join(const struct lgserver *s, const struct lgjoin_req *req, struct lgjoin_res *res,
		char *err, size_t err_size)
{
	char sdp[1024], path[160];
	make_offer(req, sdp, sizeof(sdp));
	json_t *body = json_pack("{s:s, s:s, s:s}", "sdp", sdp, "profile", req->profile,
				 "name", req->name);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MCU_ENOMEM;
	snprintf(path, sizeof(path), "/api/rooms/%s/participants", req->room);
	int status = 0;
	char *reply = NULL;
	int rc = lghttp_request(s, "POST", path, text, &status, &reply);
	free(text);
	if (rc) {
		snprintf(err, err_size, "POST %s: %s", path, err_str(rc));
		return rc;
	}
	json_t *js = status == 201 ? json_loads(reply, 0, NULL) : NULL;
	const char *id = js ? json_string_value(json_object_get(js, "id")) : NULL;
	const char *ans = js ? json_string_value(json_object_get(js, "sdp")) : NULL;
	rc = MCU_EPROTO;
	if (id && ans) {
		snprintf(res->id, sizeof(res->id), "%s", id);
		res->video_port = answer_port(ans, "video");
		res->audio_port = answer_port(ans, "audio");
		if ((res->video_port || !req->video_port) && (res->audio_port || !req->audio_port))
			rc = 0;
	}
	if (rc)
		snprintf(err, err_size, "POST %s: %d %.200s", path, status, reply);
	json_decref(js);
	free(reply);
	return rc;
}

static int delete(const struct lgserver *s, const char *path)
{
	int status = 0;
	char *reply = NULL;
	int rc = lghttp_request(s, "DELETE", path, NULL, &status, &reply);
	free(reply);
	return rc ? rc : status == 200 ? 0 : MCU_EPROTO;
}

int lghttp_leave(const struct lgserver *s, const char *room, const char *id)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/rooms/%s/participants/%s", room, id);
	return delete(s, path);
}

int lghttp_delete_room(const struct lgserver *s, const char *room)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/rooms/%s", room);
	return delete(s, path);
}

static int64_t int_of(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

int lghttp_mixer(const struct lgserver *s, const char *room, struct lgmixer *out)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/rooms/%s", room);
	int status = 0;
	char *reply = NULL;
	int rc = lghttp_request(s, "GET", path, NULL, &status, &reply);
	if (rc)
		return rc;
	json_t *js = status == 200 ? json_loads(reply, 0, NULL) : NULL;
	free(reply);
	json_t *m = json_object_get(js, "mixer");
	if (!json_is_object(m)) {
		json_decref(js);
		return MCU_EPROTO;
	}
	memset(out, 0, sizeof(*out));
	out->participants = (int)json_array_size(json_object_get(js, "participants"));
	out->video_decoders = (int)int_of(m, "video_decoders");
	out->audio_decoders = (int)int_of(m, "audio_decoders");
	out->video_encoders = (int)int_of(m, "video_encoders");
	out->audio_encoders = (int)int_of(m, "audio_encoders");
	out->tiles = (int)int_of(m, "tiles");
	out->ticks = int_of(m, "ticks");
	out->overruns = int_of(m, "overruns");
	out->frames_encoded = int_of(m, "frames_encoded");
	out->keyframes = int_of(m, "keyframes");
	out->tick_us_last = int_of(m, "tick_us_last");
	out->tick_us_max = int_of(m, "tick_us_max");
	out->dropped_packets = int_of(m, "dropped_packets");
	out->decode_us = int_of(m, "decode_us");
	out->encode_us = int_of(m, "encode_us");
	json_t *profiles = json_object_get(m, "profiles");
	size_t i, n = 0;
	json_t *p;
	json_array_foreach(profiles, i, p) {
		const char *name = json_string_value(p);
		if (name && n + strlen(name) + 2 < sizeof(out->profiles))
			n += (size_t)snprintf(out->profiles + n, sizeof(out->profiles) - n, "%s%s",
					      n ? "," : "", name);
	}
	json_decref(js);
	return 0;
}
