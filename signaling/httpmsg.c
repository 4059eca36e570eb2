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

int httpmsg_error(struct httpmsg_reply *reply, int status, const char *code,
		  const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (text)
		httpmsg_text(reply, status, "application/json", text, strlen(text));
	else
		httpmsg_text(reply, status, "application/json",
			     "{\"error\":\"internal\",\"message\":\"\"}", 34);
	free(text);
	json_decref(obj);
	return status;
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
