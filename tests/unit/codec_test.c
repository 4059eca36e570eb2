/* codec_test.c - the codec vocabulary: each audio and video id's name, RTP
 * clock and static payload type; the rtpmap names, in any case, back to the
 * ids; everything else refused with *out untouched; ids out of range index
 * past no table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/codec.h"
#include "base/err.h"

#include <stdbool.h>

/* A name and what it parses to: an id, or -1 when it is refused. */
struct parse_case {
	const char *name;
	int want;
};

/* Each parser through the same check: the id travels as an int. */
static int parse_audio(const char *name, int *id)
{
	enum codec_audio c = (enum codec_audio)*id;
	int rc = codec_audio_parse(name, &c);
	*id = (int)c;
	return rc;
}

static int parse_video(const char *name, int *id)
{
	enum codec_video c = (enum codec_video)*id;
	int rc = codec_video_parse(name, &c);
	*id = (int)c;
	return rc;
}

/* Every case gives its id, or MCU_EUNSUPPORTED with the id untouched. */
static void check_parse(int (*parse)(const char *, int *), const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = 7; /* stays when refused */
		int rc = parse(cases[i].name, &c);
		bool refused = cases[i].want < 0;
		if (rc != (refused ? MCU_EUNSUPPORTED : 0) || c != (refused ? 7 : cases[i].want))
			fail_msg("'%s': rc %d, codec %d; expected %d", cases[i].name ? cases[i].name : "(null)",
				 rc, c, cases[i].want);
	}
}

static void test_audio_tables(void **state)
{
	(void)state;
	static const char *names[CODEC_AUDIO_COUNT] = { "opus", "G722", "PCMU", "PCMA" };
	static const int clocks[CODEC_AUDIO_COUNT] = { 48000, 8000, 8000, 8000 };
	static const int pts[CODEC_AUDIO_COUNT] = { -1, 9, 0, 8 };
	assert_int_equal(CODEC_OPUS, 0);
	assert_int_equal(CODEC_G722, 1);
	assert_int_equal(CODEC_PCMU, 2);
	assert_int_equal(CODEC_PCMA, 3);
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		assert_string_equal(codec_audio_name((enum codec_audio)c), names[c]);
		assert_int_equal(codec_audio_rtp_clock((enum codec_audio)c), clocks[c]);
		assert_int_equal(codec_audio_static_pt((enum codec_audio)c), pts[c]);
		/* one 20 ms packet in RTP clock ticks */
		assert_int_equal(codec_audio_rtp_clock((enum codec_audio)c) / 50,
				 c == CODEC_OPUS ? 960 : 160);
	}
	/* out of range values do not index past the table */
	assert_string_equal(codec_audio_name((enum codec_audio)CODEC_AUDIO_COUNT), "unknown");
	assert_string_equal(codec_audio_name((enum codec_audio)-1), "unknown");
	assert_int_equal(codec_audio_rtp_clock((enum codec_audio)-1), 0);
	assert_int_equal(codec_audio_rtp_clock((enum codec_audio)CODEC_AUDIO_COUNT), 0);
	assert_int_equal(codec_audio_static_pt((enum codec_audio)CODEC_AUDIO_COUNT), -1);
	assert_int_equal(codec_audio_static_pt((enum codec_audio)-1), -1);
}

/* rtpmap names, any case, back to the ids; the rest refused untouched. */
static void test_audio_parse(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
		{ "opus", CODEC_OPUS }, { "OPUS", CODEC_OPUS }, { "G722", CODEC_G722 },
		{ "g722", CODEC_G722 }, { "PCMU", CODEC_PCMU }, { "pcmu", CODEC_PCMU },
		{ "PCMA", CODEC_PCMA }, { "pCmA", CODEC_PCMA }, { "L16", -1 }, { "PCM", -1 },
		{ "PCMUX", -1 }, { "opus ", -1 }, { "H264", -1 }, { "", -1 }, { NULL, -1 },
	};
	check_parse(parse_audio, cases, sizeof(cases) / sizeof(cases[0]));
	/* every name reads back as its id */
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		enum codec_audio got = (enum codec_audio)CODEC_AUDIO_COUNT;
		assert_int_equal(codec_audio_parse(codec_audio_name((enum codec_audio)c), &got), 0);
		assert_int_equal(got, c);
	}
}

static void test_video_names(void **state)
{
	(void)state;
	assert_int_equal(CODEC_H264, 0);
	assert_int_equal(CODEC_VP8, 1);
	assert_string_equal(codec_video_name(CODEC_H264), "H264");
	assert_string_equal(codec_video_name(CODEC_VP8), "VP8");
	assert_string_equal(codec_video_name((enum codec_video)CODEC_VIDEO_COUNT), "unknown");
	assert_string_equal(codec_video_name((enum codec_video)-1), "unknown");
}

static void test_video_parse(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
		{ "H264", CODEC_H264 }, { "h264", CODEC_H264 }, { "VP8", CODEC_VP8 },
		{ "vp8", CODEC_VP8 }, { "Vp8", CODEC_VP8 }, { "VP9", -1 }, { "H265", -1 },
		{ "VP8 ", -1 }, { "opus", -1 }, { "", -1 }, { NULL, -1 },
	};
	check_parse(parse_video, cases, sizeof(cases) / sizeof(cases[0]));
	/* every name reads back as its id */
	for (int c = 0; c < CODEC_VIDEO_COUNT; c++) {
		enum codec_video got = (enum codec_video)CODEC_VIDEO_COUNT;
		assert_int_equal(codec_video_parse(codec_video_name((enum codec_video)c), &got), 0);
		assert_int_equal(got, c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_tables),
		cmocka_unit_test(test_audio_parse),
		cmocka_unit_test(test_video_names),
		cmocka_unit_test(test_video_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
