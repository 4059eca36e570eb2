/* adapt_test.c - one receiver's profile under scripted feedback: staying
 * put when clean, the 2 s congestion hold before a down-step (REMB or
 * loss), single samples and silence that must not move it, the lowest and
 * wanted bounds, the up-step after the hold-off and its doubling when an
 * up-step is undone within 10 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixer/adapt.h"

#define S 1000000LL              /* µs per second */
#define MS 1000LL
#define T0 (1000 * S)            /* 0 is "no run" in struct adapt */
#define N_PROFILES 3
#define SENT 2000000u            /* bit/s the receiver is being sent */
#define REMB_LOW 1500000u        /* 75% of SENT: congestion */
#define REMB_HIGH 3000000u       /* 150%: clean */
#define NO_LOSS_INFO (-1)

/*
 * Feeds the same observation every step_us over [from, to) and returns the
 * profile after the last one; so the last call is at to - step_us.
 */
static int feed(struct adapt *a, int64_t from, int64_t to, int64_t step_us,
		uint32_t remb, int loss)
{
	int cur = a->current;
	for (int64_t t = from; t < to; t += step_us)
		cur = adapt_update(a, t, remb, loss, SENT, N_PROFILES);
	return cur;
}

static int bad(struct adapt *a, int64_t t)
{
	return adapt_update(a, t, REMB_LOW, 0, SENT, N_PROFILES);
}

static int good(struct adapt *a, int64_t t)
{
	return adapt_update(a, t, REMB_HIGH, 0, SENT, N_PROFILES);
}

/* Congestion from t every 100 ms until the first down-step; returns when. */
static int64_t push_down(struct adapt *a, int64_t t)
{
	int from = a->current;
	for (; bad(a, t) == from; t += 100 * MS)
		assert_true(t < T0 + 1000 * S);
	return t;
}

/* Clean feedback from t every 100 ms until the first up-step; returns when. */
static int64_t pull_up(struct adapt *a, int64_t t)
{
	int from = a->current;
	for (; good(a, t) == from; t += 100 * MS)
		assert_true(t < T0 + 1000 * S);
	return t;
}

static void test_init(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 1);
	assert_int_equal(a.wanted, 1);
	assert_int_equal(a.current, 1);
	assert_int_equal(a.bad_since_us, 0);
	assert_int_equal(a.good_since_us, 0);
	assert_int_equal(a.last_up_us, 0);
	assert_int_equal(a.holdoff_us, 8 * S);
}

static void test_clean_stays(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 60 * S, 100 * MS, REMB_HIGH, 0), 0);
	/* A REMB of exactly 80% and loss of 25/256 (9.8%) are not congestion
	 * (nor clean: it just stays). */
	assert_int_equal(feed(&a, T0 + 60 * S, T0 + 70 * S, 100 * MS, SENT / 5 * 4, 25), 0);
	adapt_init(&a, 2);
	assert_int_equal(feed(&a, T0, T0 + 60 * S, 100 * MS, REMB_HIGH, 0), 2);
}

static void test_remb_down_after_2s(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 2 * S, 100 * MS, REMB_LOW, NO_LOSS_INFO), 0);
	assert_int_equal(adapt_update(&a, T0 + 2 * S - 1, REMB_LOW, NO_LOSS_INFO, SENT,
				      N_PROFILES), 0);
	assert_int_equal(adapt_update(&a, T0 + 2 * S, REMB_LOW, NO_LOSS_INFO, SENT,
				      N_PROFILES), 1);
	/* One step only: the next needs its own 2 s. */
	assert_int_equal(feed(&a, T0 + 2 * S + 100 * MS, T0 + 4 * S + 100 * MS, 100 * MS,
			      REMB_LOW, NO_LOSS_INFO), 1);
	assert_int_equal(bad(&a, T0 + 4 * S + 100 * MS), 2);
	/* Just under 80% counts. */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 2100 * MS, 100 * MS, SENT / 5 * 4 - 1, 0), 1);
}

static void test_single_bad_sample(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	assert_int_equal(bad(&a, T0), 0);
	assert_int_equal(feed(&a, T0 + 100 * MS, T0 + 10 * S, 100 * MS, REMB_HIGH, 0), 0);

	/* A clean sample inside a bad run restarts the 2 s. */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 1900 * MS, 100 * MS, REMB_LOW, 0), 0);
	assert_int_equal(good(&a, T0 + 1950 * MS), 0);
	assert_int_equal(feed(&a, T0 + 2 * S, T0 + 4 * S, 100 * MS, REMB_LOW, 0), 0);
	assert_int_equal(bad(&a, T0 + 4 * S), 1);

	/* So does a middling one (REMB at 100% of what is sent). */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 1900 * MS, 100 * MS, REMB_LOW, 0), 0);
	assert_int_equal(adapt_update(&a, T0 + 1950 * MS, SENT, 0, SENT, N_PROFILES), 0);
	assert_int_equal(bad(&a, T0 + 2100 * MS), 0);
}

static void test_loss_down(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	/* An RR a second, no REMB: 30/256 (11.7%) at 0, 1 and 2 s. */
	assert_int_equal(adapt_update(&a, T0, 0, 30, SENT, N_PROFILES), 0);
	assert_int_equal(adapt_update(&a, T0 + 1 * S, 0, 30, SENT, N_PROFILES), 0);
	assert_int_equal(adapt_update(&a, T0 + 2 * S, 0, 30, SENT, N_PROFILES), 1);
	/* Loss is congestion even when the REMB looks fine. */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 2100 * MS, 100 * MS, REMB_HIGH, 26), 1);
	/* 25/256 is not above 10%. */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 30 * S, 100 * MS, REMB_HIGH, 25), 0);
}

static void test_never_below_lowest(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 60 * S, 100 * MS, REMB_LOW, 50), N_PROFILES - 1);
	assert_int_equal(a.current, N_PROFILES - 1);
	/* A single profile has nowhere to go. */
	adapt_init(&a, 0);
	for (int64_t t = T0; t < T0 + 10 * S; t += 100 * MS)
		assert_int_equal(adapt_update(&a, t, REMB_LOW, 255, SENT, 1), 0);
}

static void test_up_after_holdoff(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	int64_t t = push_down(&a, T0);
	assert_int_equal(t, T0 + 2 * S);
	assert_int_equal(a.current, 1);

	int64_t clean = t + 100 * MS;
	assert_int_equal(feed(&a, clean, clean + 8 * S, 100 * MS, REMB_HIGH, 0), 1);
	assert_int_equal(good(&a, clean + 8 * S), 0);
	/* Never above wanted. */
	assert_int_equal(feed(&a, clean + 8 * S, clean + 100 * S, 100 * MS, REMB_HIGH, 0), 0);

	/* Wanted 1: down to 2, back to 1 after 8 s, and no further. */
	adapt_init(&a, 1);
	t = push_down(&a, T0);
	assert_int_equal(a.current, 2);
	assert_int_equal(pull_up(&a, t + 100 * MS), t + 100 * MS + 8 * S);
	assert_int_equal(a.current, 1);
	assert_int_equal(feed(&a, t + 9 * S, t + 100 * S, 100 * MS, REMB_HIGH, 0), 1);

	/* Each up-step needs a fresh hold-off: from 2 to 0 takes 16 s. */
	adapt_init(&a, 0);
	t = push_down(&a, T0);
	t = push_down(&a, t + 100 * MS);
	assert_int_equal(a.current, 2);
	int64_t up1 = pull_up(&a, t + 100 * MS);
	assert_int_equal(up1, t + 100 * MS + 8 * S);
	assert_int_equal(pull_up(&a, up1 + 100 * MS), up1 + 100 * MS + 8 * S);
	assert_int_equal(a.current, 0);

	/* Loss of 5/256 is under 2%; 6/256 is not, and blocks recovery. */
	adapt_init(&a, 0);
	t = push_down(&a, T0);
	assert_int_equal(feed(&a, t + 100 * MS, t + 30 * S, 100 * MS, REMB_HIGH, 6), 1);
	assert_int_equal(feed(&a, t + 30 * S, t + 38 * S + 100 * MS, 100 * MS, REMB_HIGH, 5), 0);
}

static void test_holdoff_doubles(void **state)
{
	(void)state;
	struct adapt a;
	adapt_init(&a, 0);
	int64_t t = push_down(&a, T0);
	int64_t up = pull_up(&a, t + 100 * MS);
	assert_int_equal(a.current, 0);
	assert_int_equal(a.holdoff_us, 8 * S);

	/* Congested again 1 s after the up-step: undone at 3 s, within 10 s. */
	t = push_down(&a, up + 1 * S);
	assert_int_equal(t, up + 3 * S);
	assert_int_equal(a.current, 1);
	assert_int_equal(a.holdoff_us, 16 * S);
	/* Still congested: the next down-step, also within 10 s of that
	 * up-step, is not charged to it a second time. */
	t = push_down(&a, t + 100 * MS);
	assert_int_equal(t, up + 5100 * MS);
	assert_int_equal(a.current, 2);
	assert_int_equal(a.holdoff_us, 16 * S);

	/* The second up-step takes 16 s of clean feedback. */
	int64_t clean = t + 100 * MS;
	assert_int_equal(feed(&a, clean, clean + 16 * S, 100 * MS, REMB_HIGH, 0), 2);
	assert_int_equal(good(&a, clean + 16 * S - 1), 2);
	assert_int_equal(good(&a, clean + 16 * S), 1);
	up = clean + 16 * S;

	/* An up-step that held for more than 10 s was right: no doubling. */
	assert_int_equal(feed(&a, up + 100 * MS, up + 9 * S, 100 * MS, REMB_HIGH, 0), 1);
	t = push_down(&a, up + 9 * S);
	assert_int_equal(t, up + 11 * S);
	assert_int_equal(a.holdoff_us, 16 * S);

	/* Undone again and again: 32 s, then capped at 64 s. */
	static const int64_t next[] = { 32 * S, 64 * S, 64 * S };
	for (int i = 0; i < 3; i++) {
		int64_t was = a.holdoff_us;
		up = pull_up(&a, t + 100 * MS);
		assert_int_equal(up, t + 100 * MS + was);
		t = push_down(&a, up + 100 * MS);
		assert_int_equal(a.holdoff_us, next[i]);
	}

	/* A down-step with no up-step before it changes nothing. */
	adapt_init(&a, 0);
	t = push_down(&a, T0);
	push_down(&a, t + 100 * MS);
	assert_int_equal(a.current, 2);
	assert_int_equal(a.holdoff_us, 8 * S);
}

static void test_remb_absent(void **state)
{
	(void)state;
	struct adapt a;
	/* No REMB is no evidence of congestion, whatever is sent. */
	adapt_init(&a, 0);
	assert_int_equal(feed(&a, T0, T0 + 30 * S, 100 * MS, 0, 0), 0);
	assert_int_equal(feed(&a, T0 + 30 * S, T0 + 60 * S, 100 * MS, 0, NO_LOSS_INFO), 0);
	for (int64_t t = T0 + 60 * S; t < T0 + 70 * S; t += 100 * MS)
		assert_int_equal(adapt_update(&a, t, 0, 0, UINT32_MAX, N_PROFILES), 0);

	/* Silence between REMBs (sent about once a second) does not break a
	 * run: low estimates at 0, 1 and 2 s move it down. */
	adapt_init(&a, 0);
	for (int64_t t = T0; t < T0 + 2 * S; t += 100 * MS) {
		uint32_t remb = (t - T0) % S == 0 ? REMB_LOW : 0;
		assert_int_equal(adapt_update(&a, t, remb, NO_LOSS_INFO, SENT, N_PROFILES), 0);
	}
	assert_int_equal(adapt_update(&a, T0 + 2 * S, REMB_LOW, NO_LOSS_INFO, SENT,
				      N_PROFILES), 1);

	/* But silence alone never completes one. */
	adapt_init(&a, 0);
	assert_int_equal(bad(&a, T0), 0);
	assert_int_equal(feed(&a, T0 + 100 * MS, T0 + 30 * S, 100 * MS, 0, NO_LOSS_INFO), 0);

	/* Without REMB, clean loss reports alone bring it back up. */
	adapt_init(&a, 0);
	int64_t t = push_down(&a, T0);
	assert_int_equal(feed(&a, t + 100 * MS, t + 8 * S + 100 * MS, 100 * MS, 0, 0), 1);
	assert_int_equal(adapt_update(&a, t + 8 * S + 100 * MS, 0, 0, SENT, N_PROFILES), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_clean_stays),
		cmocka_unit_test(test_remb_down_after_2s),
		cmocka_unit_test(test_single_bad_sample),
		cmocka_unit_test(test_loss_down),
		cmocka_unit_test(test_never_below_lowest),
		cmocka_unit_test(test_up_after_holdoff),
		cmocka_unit_test(test_holdoff_doubles),
		cmocka_unit_test(test_remb_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
