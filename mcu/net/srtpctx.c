/*
 * srtpctx.c - see srtpctx.h.
 *
 * Two libsrtp2 sessions per endpoint: "in" holds one template stream for
 * ssrc_any_inbound keyed with the peer's half, "out" one for ssrc_any_outbound
 * keyed with ours; libsrtp clones a stream per SSRC on first use. The master
 * key libsrtp wants is key||salt in one buffer. Errors are translated here and
 * not logged per packet: the caller counts and rate-limits them.
 */
#include "srtpctx.h"
#include "base/err.h"
#include "base/log.h"

#include <srtp2/srtp.h>

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 16
#define CM_SALT_LEN 14
#define GCM_SALT_LEN 12
#define REPLAY_WINDOW 1024

struct srtpctx {
	srtp_t in;   /* unprotects what the peer sends */
	srtp_t out;  /* protects what we send */
};

/*
 * The process's only mutable global: srtp_init() must run once before any
 * session, and its result is remembered with the once that guards it.
 */
static struct {
	pthread_once_t once;
	srtp_err_status_t status;
} g_init = { PTHREAD_ONCE_INIT, srtp_err_status_ok };

static void library_init_once(void)
{
	g_init.status = srtp_init();
}

int srtpctx_library_init(void)
{
	pthread_once(&g_init.once, library_init_once);
	if (g_init.status != srtp_err_status_ok) {
		LOG_E("srtp", "srtp_init failed: libsrtp status %d", (int)g_init.status);
		return MCU_EIO;
	}
	return 0;
}

const char *srtpctx_profile_name(enum srtpctx_profile profile)
{
	switch (profile) {
	case SRTPCTX_AES128_CM_SHA1_80: return "SRTP_AES128_CM_SHA1_80";
	case SRTPCTX_AEAD_AES_128_GCM: return "SRTP_AEAD_AES_128_GCM";
	}
	return "unknown";
}

/* Salt length the profile needs, or 0 for a profile we do not serve. */
static size_t profile_salt_len(enum srtpctx_profile profile)
{
	switch (profile) {
	case SRTPCTX_AES128_CM_SHA1_80: return CM_SALT_LEN;
	case SRTPCTX_AEAD_AES_128_GCM: return GCM_SALT_LEN;
	}
	return 0;
}

/*
 * Translates a libsrtp status. inbound: the packet came from the network, so
 * anything it did wrong is MCU_EPROTO; outbound, a malformed packet is the
 * caller's (MCU_EINVAL) and the rest is the library's (MCU_EIO).
 */
static int translate(srtp_err_status_t st, int inbound)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_alloc_fail:
		return MCU_ENOMEM;
	case srtp_err_status_auth_fail:
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return MCU_EPROTO;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return inbound ? MCU_EPROTO : MCU_EINVAL;
	default:
		return inbound ? MCU_EPROTO : MCU_EIO;
	}
}

/* Makes one session with a single any-SSRC template stream keyed from
 * key||salt (both borrowed). Returns 0 or a translated error. */
static int make_session(enum srtpctx_profile profile, srtp_ssrc_type_t type,
			const uint8_t *key, const uint8_t *salt, size_t salt_len,
			srtp_t *out)
{
	uint8_t master[KEY_LEN + CM_SALT_LEN];
	memcpy(master, key, KEY_LEN);
	memcpy(master + KEY_LEN, salt, salt_len);

	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	if (profile == SRTPCTX_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&policy.rtp);
		srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
	}
	policy.ssrc.type = type;
	policy.key = master;
	policy.window_size = REPLAY_WINDOW;
	/* Retransmissions (NACK answers) re-send a sequence number already sent. */
	policy.allow_repeat_tx = 1;
	policy.next = NULL;

	srtp_err_status_t st = srtp_create(out, &policy);
	explicit_bzero(master, sizeof(master)); /* libsrtp keeps its own copy */
	if (st != srtp_err_status_ok) {
		*out = NULL;
		LOG_W("srtp", "srtp_create failed: libsrtp status %d", (int)st);
		return st == srtp_err_status_alloc_fail ? MCU_ENOMEM : MCU_EIO;
	}
	return 0;
}

int srtpctx_create(const struct srtpctx_keys *keys, struct srtpctx **out)
{
	if (!keys || !out)
		return MCU_EINVAL;
	*out = NULL;
	size_t salt_len = profile_salt_len(keys->profile);
	if (!salt_len || keys->key_len != KEY_LEN || keys->salt_len != salt_len)
		return MCU_EINVAL;

	struct srtpctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return MCU_ENOMEM;
	int rc = make_session(keys->profile, ssrc_any_inbound, keys->remote_key,
			      keys->remote_salt, salt_len, &ctx->in);
	if (!rc)
		rc = make_session(keys->profile, ssrc_any_outbound, keys->local_key,
				  keys->local_salt, salt_len, &ctx->out);
	if (rc) {
		srtpctx_destroy(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

void srtpctx_destroy(struct srtpctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->in)
		srtp_dealloc(ctx->in);
	if (ctx->out)
		srtp_dealloc(ctx->out);
	free(ctx);
}

/* Checks that *len plus the trailer fits capacity and in libsrtp's int. */
static int check_room(const size_t *len, size_t capacity)
{
	if (capacity < SRTPCTX_MAX_TRAILER || *len > capacity - SRTPCTX_MAX_TRAILER ||
	    capacity > INT_MAX)
		return MCU_EINVAL;
	return 0;
}

int srtpctx_protect_rtp(struct srtpctx *ctx, uint8_t *pkt, size_t *len, size_t capacity)
{
	int rc = check_room(len, capacity);
	if (rc)
		return rc;
	int n = (int)*len;
	rc = translate(srtp_protect(ctx->out, pkt, &n), 0);
	if (!rc)
		*len = (size_t)n;
	return rc;
}

int srtpctx_protect_rtcp(struct srtpctx *ctx, uint8_t *pkt, size_t *len, size_t capacity)
{
	int rc = check_room(len, capacity);
	if (rc)
		return rc;
	int n = (int)*len;
	rc = translate(srtp_protect_rtcp(ctx->out, pkt, &n), 0);
	if (!rc)
		*len = (size_t)n;
	return rc;
}

int srtpctx_unprotect_rtp(struct srtpctx *ctx, uint8_t *pkt, size_t *len)
{
	if (*len > INT_MAX)
		return MCU_EPROTO;
	int n = (int)*len;
	int rc = translate(srtp_unprotect(ctx->in, pkt, &n), 1);
	if (!rc)
		*len = (size_t)n;
	return rc;
}

int srtpctx_unprotect_rtcp(struct srtpctx *ctx, uint8_t *pkt, size_t *len)
{
	if (*len > INT_MAX)
		return MCU_EPROTO;
	int n = (int)*len;
	int rc = translate(srtp_unprotect_rtcp(ctx->in, pkt, &n), 1);
	if (!rc)
		*len = (size_t)n;
	return rc;
}
