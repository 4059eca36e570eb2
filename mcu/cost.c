/* cost.c - see cost.h. */
#include "cost.h"
#include "base/err.h"
#include "base/profile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reference CPU-s per media-s (TESTING.md): decode assumes the sender's
 * picture is 720p, the most a browser sends; an encode is x264 veryfast. */
#define DECODE_VIDEO 0.022
#define DECODE_AUDIO 0.0012
#define ENCODE_AUDIO 0.011
#define PACKETIZE 0.0005           /* per receiver: header rewrite, SRTP, send */
#define COMPOSE 0.02               /* scaling senders into the composite */

static const double encode_video[PROFILE_COUNT] = {
	[PROFILE_HD] = 0.17, [PROFILE_SD] = 0.044, [PROFILE_LD] = 0.013,
};

bool cost_charged_fully(bool ready, int64_t age_us, double *pending)
{
	*pending = !ready && age_us < COST_PENDING_US ? COST_PENDING : 0;
	return ready;
}

void cost_room_init(struct cost_room *r, int max_mixed, bool recording)
{
	memset(r, 0, sizeof(*r));
	r->max_mixed = max_mixed;
	r->recording = recording;
}

void cost_room_add(struct cost_room *r, const struct port_info *p)
{
	r->video_senders += p->sends_video;
	r->audio_senders += p->sends_audio;
	r->receivers += p->receives_video || p->receives_audio;
	r->audio_receivers += p->receives_audio;
	if (p->receives_video && p->profile >= 0 && p->profile < PROFILE_COUNT)
		r->outputs |= 1u << (p->profile * 2 + (p->packetization_mode == 0 ? 1 : 0));
}

double cost_room_estimate(const struct cost_room *r)
{
	double c = r->video_senders * DECODE_VIDEO + r->audio_senders * DECODE_AUDIO +
		   r->receivers * PACKETIZE;
	unsigned outputs = r->outputs | (r->recording ? 1u : 0u);
	for (int i = 0; i < 2 * PROFILE_COUNT; i++)
		if (outputs & (1u << i))
			c += encode_video[i / 2];
	if (outputs)
		c += COMPOSE;
	if (r->audio_receivers) {
		int speakers = r->audio_senders < r->max_mixed ? r->audio_senders : r->max_mixed;
		c += (speakers + 1) * ENCODE_AUDIO;
	}
	return c;
}

int cost_parse_budget(const char *text, double *out)
{
	if (!strcmp(text, "auto")) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		*out = 0.9 * (double)(cores > 0 ? cores : 1);
		return 0;
	}
	if (!strcmp(text, "off")) {
		*out = 0;
		return 0;
	}
	char *end = NULL;
	double v = strtod(text, &end);
	if (!end || end == text || *end || v < 0 || v > 10000)
		return MCU_EINVAL;
	*out = v;
	return 0;
}
