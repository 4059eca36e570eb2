/* httpmsg.c - see httpmsg.h. */
#include "httpmsg.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *httpmsg_arg(const struct httpmsg_request *req, const char *key)
{
	for (int i = 0; i < req->n_args; i++)
		if (!strcmp(req->arg_keys[i], key))
			return req->arg_values[i];
	return NULL;
}

int httpmsg_content_type_is(const struct httpmsg_request *req, const char *media_type)
{
	const char *ct = req->content_type ? req->content_type : "";
	while (*ct == ' ')
		ct++;
	size_t n = strlen(media_type);
	if (strncasecmp(ct, media_type, n) != 0)
		return 0;
	char next = ct[n];
	return next == '\0' || next == ';' || next == ' ';
}

bool httpmsg_is_get(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

void httpmsg_reply_init(struct httpmsg_reply *reply)
{
	*reply = (struct httpmsg_reply)HTTPMSG_REPLY_INIT;
}

static void release_file(struct httpmsg_reply *reply)
{
	if (reply->file_fd >= 0)
		close(reply->file_fd);
	reply->file_fd = -1;
	reply->file_offset = reply->file_len = 0;
}

int httpmsg_text(struct httpmsg_reply *reply, int status, const char *content_type,
		 const char *text, size_t len)
{
	release_file(reply);
	free(reply->body);
	reply->body = malloc(len + 1);
	reply->body_len = reply->body ? len : 0;
	if (reply->body) {
		memcpy(reply->body, text, len);
		reply->body[len] = '\0';
	}
	reply->status = status;
	snprintf(reply->content_type, sizeof(reply->content_type), "%s", content_type);
	return status;
}

/* Length of the UTF-8 sequence starting at s (1..4), or 0 when invalid or
 * cut short. Overlong forms and surrogates count as invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Makes text valid UTF-8 in place: an invalid or cut byte becomes '?', so
 * a message that quotes what a client sent (or was truncated mid-character)
 * still makes a JSON error body. */
static void make_utf8(char *text)
{
	unsigned char *s = (unsigned char *)text;
	while (*s) {
		size_t n = utf8_len(s);
		if (n) {
			s += n;
		} else {
			*s++ = '?';
		}
	}
}

int httpmsg_error(struct httpmsg_reply *reply, int status, const char *code,
		  const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	make_utf8(message);
	json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (text)
		httpmsg_text(reply, status, "application/json", text, strlen(text));
	else
		httpmsg_text(reply, status, "application/json",
			     "{\"error\":\"internal\",\"message\":\"\"}", 33);
	free(text);
	json_decref(obj);
	return status;
}

int httpmsg_not_allowed(struct httpmsg_reply *reply, const char *allow)
{
	char value[128];
	snprintf(value, sizeof(value), "%s, OPTIONS", allow);
	httpmsg_header(reply, "Allow", value);
	return httpmsg_error(reply, 405, "method_not_allowed", "allowed here: %s", value);
}

void httpmsg_header(struct httpmsg_reply *reply, const char *name, const char *value)
{
	if (reply->n_headers >= HTTPMSG_MAX_HEADERS)
		return;
	int i = reply->n_headers++;
	snprintf(reply->header_names[i], sizeof(reply->header_names[i]), "%s", name);
	snprintf(reply->header_values[i], sizeof(reply->header_values[i]), "%s", value);
}

int httpmsg_file(struct httpmsg_reply *reply, int status, const char *content_type, int fd,
		 uint64_t offset, uint64_t len)
{
	release_file(reply);
	free(reply->body);
	reply->body = NULL;
	reply->body_len = 0;
	reply->file_fd = fd;
	reply->file_offset = offset;
	reply->file_len = len;
	reply->status = status;
	snprintf(reply->content_type, sizeof(reply->content_type), "%s", content_type);
	return status;
}

void httpmsg_reply_clear(struct httpmsg_reply *reply)
{
	release_file(reply);
	free(reply->body);
	httpmsg_reply_init(reply);
}
