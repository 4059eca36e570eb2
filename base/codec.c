/* codec.c - see codec.h: one table per kind, indexed by id. */
#include "codec.h"
#include "err.h"

#include <stddef.h>
#include <strings.h>

static const struct codec_audio_info {
	const char *name;
	int rtp_clock;
	int static_pt;
} audio[CODEC_AUDIO_COUNT] = {
	[CODEC_OPUS] = { "opus", 48000, -1 },
	/* RFC 3551 keeps G.722's RTP clock at 8 kHz although it samples at 16. */
	[CODEC_G722] = { "G722", 8000, 9 },
	[CODEC_PCMU] = { "PCMU", 8000, 0 },
	[CODEC_PCMA] = { "PCMA", 8000, 8 },
};

static const char *const video[CODEC_VIDEO_COUNT] = {
	[CODEC_H264] = "H264",
	[CODEC_VP8] = "VP8",
};

/* Unsigned: an id cast from a negative int is out of range too. */
static int audio_valid(enum codec_audio id)
{
	return (unsigned)id < CODEC_AUDIO_COUNT;
}

const char *codec_audio_name(enum codec_audio id)
{
	return audio_valid(id) ? audio[id].name : "unknown";
}

int codec_audio_parse(const char *name, enum codec_audio *out)
{
	for (int i = 0; name && i < CODEC_AUDIO_COUNT; i++)
		if (!strcasecmp(name, audio[i].name)) {
			*out = (enum codec_audio)i;
			return 0;
		}
	return MCU_EUNSUPPORTED;
}

int codec_audio_rtp_clock(enum codec_audio id)
{
	return audio_valid(id) ? audio[id].rtp_clock : 0;
}

int codec_audio_static_pt(enum codec_audio id)
{
	return audio_valid(id) ? audio[id].static_pt : -1;
}

const char *codec_video_name(enum codec_video id)
{
	return (unsigned)id < CODEC_VIDEO_COUNT ? video[id] : "unknown";
}

int codec_video_parse(const char *name, enum codec_video *out)
{
	for (int i = 0; name && i < CODEC_VIDEO_COUNT; i++)
		if (!strcasecmp(name, video[i])) {
			*out = (enum codec_video)i;
			return 0;
		}
	return MCU_EUNSUPPORTED;
}
