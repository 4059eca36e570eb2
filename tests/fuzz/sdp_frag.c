/*
 * sdp_frag.c - fuzzes sdp_parse_frag, the trickle-ice-sdpfrag bodies of
 * WHIP PATCH (RFC 8840). Links signaling/sdp.o and mcu/err.o only.
 *
 * Checks beyond "no crash": the result is 0 or MCU_EPROTO, err is a
 * terminated string, and on success every string field is terminated and
 * the candidate count is within SDP_MAX_CANDIDATES.
 */
#include "signaling/sdp.h"
#include "base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_frag *fr = malloc(sizeof(*fr));
	CHECK(fr);
	memset(fr, 0x5A, sizeof(*fr)); /* as sdp_test.c: no reliance on zeroed memory */
	char err[256];
	memset(err, 'x', sizeof(err));
	int rc = sdp_parse_frag((const char *)data, size, fr, err, sizeof(err));
	CHECK(rc == 0 || rc == MCU_EPROTO);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		CHECK(memchr(fr->ice_ufrag, '\0', sizeof(fr->ice_ufrag)) != NULL);
		CHECK(memchr(fr->ice_pwd, '\0', sizeof(fr->ice_pwd)) != NULL);
		CHECK(fr->n_candidates >= 0 && fr->n_candidates <= SDP_MAX_CANDIDATES);
		for (int i = 0; i < fr->n_candidates; i++) {
			const char *c = fr->candidates[i];
			CHECK(memchr(c, '\0', SDP_CANDIDATE_LEN) != NULL);
			CHECK(!strchr(c, '\r') && !strchr(c, '\n'));
		}
	}
	free(fr);
	return 0;
}
