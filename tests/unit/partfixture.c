/* partfixture.c - see partfixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "partfixture.h"
#include "mixer/port.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void partfixture_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int fake_recv(void *port, struct port_packet *out)
{
	(void)port, (void)out;
	return 0;
}

static void fake_send(void *port, enum port_media kind, uint8_t *pkt, size_t len, size_t cap,
		      int64_t capture_us)
{
	(void)kind, (void)pkt, (void)len, (void)cap, (void)capture_us;
	struct partfixture *f = port;
	f->sends++;
}

static void fake_keyframe(void *port)
{
	(void)port;
}

static void fake_nack(void *port, const uint16_t *seqs, int n)
{
	(void)port, (void)seqs, (void)n;
}

static void fake_feedback(void *port, struct port_feedback *out)
{
	(void)port;
	memset(out, 0, sizeof(*out));
	out->loss_fraction = -1;
}

static bool fake_ready(void *port)
{
	(void)port;
	return true;
}

static const struct port_ops fake_port_ops = {
	.recv = fake_recv, .send_rtp = fake_send, .request_keyframe = fake_keyframe,
	.nack = fake_nack, .feedback = fake_feedback, .ready = fake_ready,
};

static const char *fake_id(const void *self)
{
	return ((const struct partfixture *)self)->id;
}

static void fake_info(void *self, struct endpoint_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, ((struct partfixture *)self)->id, sizeof(out->id));
	snprintf(out->name, sizeof(out->name), "fake");
	out->receiving_profile = -1;
}

/* Receives the audio mix only: no encoder of video, the cheapest member. */
static void fake_port_info(const void *self, struct port_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, ((const struct partfixture *)self)->id, sizeof(out->id));
	out->receives_audio = true;
	out->audio_pt = 0;
	out->audio_codec = CODEC_PCMU;
	out->profile = 2;
	out->packetization_mode = 1;
}

static const char *fake_gone(void *self, int64_t now_us, const struct config *c)
{
	(void)now_us, (void)c;
	return ((struct partfixture *)self)->gone;
}

static void fake_destroy(void *self)
{
	struct partfixture *f = self;
	(*f->destroyed)++;
	free(f);
}

static const struct participant_ops fake_ops = {
	.id = fake_id, .info = fake_info, .port_info = fake_port_info, .port_ops = &fake_port_ops,
	.gone = fake_gone, .destroy = fake_destroy,
};

struct participant partfixture_new(const char *id, int *destroyed, struct partfixture **out)
{
	struct partfixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->destroyed = destroyed;
	if (out)
		*out = f;
	return (struct participant){ &fake_ops, f };
}
