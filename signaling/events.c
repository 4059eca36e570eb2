/*
 * events.c - see events.h.
 */
#include "events.h"
#include "base/clock.h"
#include "webhook.h"

#include <stdio.h>

static json_t *participant(const struct endpoint_info *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->id, "name", p->name, "kind",
			 p->legacy ? "rtp" : "webrtc", "direction", p->direction, "profile", p->profile);
}

static json_t *recording(const char *room, const struct recorder_status *r)
{
	char url[200], started[32];
	snprintf(url, sizeof(url), "/recordings/%s", r->file);
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:I, s:s}", "room", room, "file", r->file,
			 "url", url, "state", recorder_state_name(r->state), "duration_s", r->duration_s,
			 "size_bytes", (json_int_t)r->bytes, "started",
			 clock_format_utc(r->started_wall_us, started, sizeof(started)));
}

json_t *events_data(const struct room_event *ev, const char **type)
{
	const char *reason = ev->reason ? ev->reason : "";
	switch (ev->type) {
	case ROOM_STARTED:
		*type = "room.started";
		return json_pack("{s:s}", "room", ev->room);
	case ROOM_ENDED:
		*type = "room.ended";
		return json_pack("{s:s, s:s}", "room", ev->room, "reason", reason);
	case ROOM_JOINED:
		*type = "participant.joined";
		return json_pack("{s:s, s:o}", "room", ev->room, "participant",
				 participant(ev->participant));
	case ROOM_LEFT:
		*type = "participant.left";
		return json_pack("{s:s, s:o, s:s}", "room", ev->room, "participant",
				 participant(ev->participant), "reason", reason);
	case ROOM_RECORDING_FINISHED:
		*type = "recording.finished";
		return recording(ev->room, ev->recording);
	}
	*type = "unknown";
	return NULL;
}

void events_forward(void *webhook, const struct room_event *ev)
{
	if (!webhook)
		return;
	const char *type = NULL;
	json_t *data = events_data(ev, &type);
	if (data)
		webhook_emit(webhook, type, data);
}
