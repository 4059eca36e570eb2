/*
 * events.h - the registry's events as webhook events (webhook.h): what the
 * application behind the server is told, and in which JSON shape.
 *
 *   room.started        {"room"}
 *   room.ended          {"room", "reason": "empty"|"deleted"|"shutdown"}
 *   participant.joined  {"room", "participant": {"id","name","kind","direction","profile"}}
 *   participant.left    {"room", "participant": {...}, "reason"}
 *   recording.finished  {"room", "file", "url", "state": "done"|"failed",
 *                        "duration_s", "size_bytes", "started"}
 */
#ifndef MCU_EVENTS_H
#define MCU_EVENTS_H

#include "mcu/registry.h"

#include <jansson.h>

/* The webhook event type of ev and its data (new reference; NULL on
 * ENOMEM). Thread: any. */
json_t *events_data(const struct room_event *ev, const char **type);

/* A room_listener_fn: queues ev on the webhook webhook (a struct
 * webhook *; NULL: nothing). Never blocks. Thread: any. */
void events_forward(void *webhook, const struct room_event *ev);

#endif
