/*
 * venc.c - see venc.h. x264 in Annex B mode writes every NAL unit of an
 * access unit back to back, so the first NAL's payload pointer and the
 * returned size describe the whole access unit without a copy.
 */
#include "venc.h"
#include "base/err.h"
#include "base/log.h"

#include <libavutil/frame.h>
#include <stdlib.h>
#include <string.h>
#include <x264.h>

struct venc {
	x264_t *x264;
	int width, height;
	uint64_t frames, idrs;
};

static int make_params(const struct venc_config *cfg, x264_param_t *p)
{
	if (x264_param_default_preset(p, cfg->preset ? cfg->preset : "veryfast", "zerolatency") < 0)
		return MCU_EINVAL;
	p->i_width = cfg->width;
	p->i_height = cfg->height;
	p->i_csp = X264_CSP_I420;
	p->i_fps_num = (uint32_t)cfg->fps;
	p->i_fps_den = 1;
	p->i_timebase_num = 1;
	p->i_timebase_den = 90000;
	p->b_vfr_input = 0;
	p->i_threads = cfg->threads;
	p->b_sliced_threads = cfg->threads > 1;
	p->i_keyint_max = cfg->keyint_max > 0 ? cfg->keyint_max : X264_KEYINT_MAX_INFINITE;
	p->i_keyint_min = 1;
	p->i_scenecut_threshold = 0;  /* IDRs only on request: they are expensive */
	p->b_repeat_headers = 1;
	p->b_annexb = 1;
	p->b_aud = 0;
	p->i_level_idc = 31;          /* profile-level-id 42e01f */
	p->rc.i_rc_method = X264_RC_ABR;
	p->rc.i_bitrate = cfg->bitrate_kbps;
	p->rc.i_vbv_max_bitrate = cfg->bitrate_kbps;
	p->rc.i_vbv_buffer_size = cfg->bitrate_kbps / 2;
	if (cfg->slice_max_bytes > 0)
		p->i_slice_max_size = cfg->slice_max_bytes;
	p->i_log_level = X264_LOG_WARNING;
	return x264_param_apply_profile(p, "baseline") < 0 ? MCU_EINVAL : 0;
}

int venc_create(const struct venc_config *cfg, struct venc **out)
{
	if (cfg->width < 16 || cfg->height < 16 || (cfg->width | cfg->height) & 1 ||
	    cfg->fps < 1 || cfg->bitrate_kbps < 16 || cfg->threads < 1)
		return MCU_EINVAL;
	x264_param_t p;
	int rc = make_params(cfg, &p);
	if (rc)
		return rc;
	struct venc *e = calloc(1, sizeof(*e));
	if (!e)
		return MCU_ENOMEM;
	e->x264 = x264_encoder_open(&p);
	if (!e->x264) {
		free(e);
		return MCU_EINVAL;
	}
	e->width = cfg->width;
	e->height = cfg->height;
	*out = e;
	return 0;
}

void venc_destroy(struct venc *e)
{
	if (!e)
		return;
	x264_encoder_close(e->x264);
	free(e);
}

int venc_encode(struct venc *e, const AVFrame *frame, int64_t pts, bool force_idr,
		const uint8_t **au, size_t *au_len, bool *is_idr)
{
	*au = NULL;
	*au_len = 0;
	*is_idr = false;
	if (frame->width != e->width || frame->height != e->height)
		return MCU_EINVAL;
	x264_picture_t in, out;
	x264_picture_init(&in);
	in.img.i_csp = X264_CSP_I420;
	in.img.i_plane = 3;
	for (int i = 0; i < 3; i++) {
		in.img.plane[i] = frame->data[i];
		in.img.i_stride[i] = frame->linesize[i];
	}
	in.i_pts = pts;
	in.i_type = force_idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
	x264_nal_t *nals = NULL;
	int n_nals = 0;
	int size = x264_encoder_encode(e->x264, &nals, &n_nals, &in, &out);
	if (size < 0)
		return MCU_EIO;
	if (size == 0 || n_nals == 0)
		return 0;
	/* x264's first access unit carries an SEI with its version and options,
	 * larger than any slice limit and of no use to a receiver: keep the
	 * other NAL units, moved together in place. */
	uint8_t *w = nals[0].p_payload;
	size_t total = 0;
	for (int i = 0; i < n_nals; i++) {
		if (nals[i].i_type == NAL_SEI)
			continue;
		memmove(w + total, nals[i].p_payload, (size_t)nals[i].i_payload);
		total += (size_t)nals[i].i_payload;
	}
	*au = w;
	*au_len = total;
	*is_idr = out.b_keyframe != 0;
	e->frames++;
	e->idrs += *is_idr;
	return 0;
}

uint64_t venc_frames(const struct venc *e)
{
	return e->frames;
}

uint64_t venc_idrs(const struct venc *e)
{
	return e->idrs;
}
