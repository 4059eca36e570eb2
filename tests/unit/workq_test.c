/* workq_test.c - the job queue: every job runs once, on the queue's
 * threads and in parallel up to their number; a full queue refuses; ending
 * it lets running jobs finish and calls the queued ones cancelled; its
 * threads run at the niceness asked for. Every
 * wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/workq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

struct tally {
	_Atomic int ran, cancelled, running, most_at_once;
	_Atomic int nice;              /* of the thread that ran a job last */
	int sleep_ms;
};

static void job(void *arg, bool cancelled)
{
	struct tally *t = arg;
	t->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (cancelled) {
		atomic_fetch_add(&t->cancelled, 1);
		return;
	}
	int now = atomic_fetch_add(&t->running, 1) + 1;
	int most = atomic_load(&t->most_at_once);
	while (now > most && !atomic_compare_exchange_weak(&t->most_at_once, &most, now))
		;
	usleep((useconds_t)t->sleep_ms * 1000);
	atomic_fetch_sub(&t->running, 1);
	atomic_fetch_add(&t->ran, 1);
}

static void test_runs_in_parallel(void **state)
{
	(void)state;
	struct workq *q = NULL;
	assert_int_equal(workq_create(0, 4, "t", 0, &q), MCU_EINVAL);
	assert_int_equal(workq_create(2, 0, "t", 0, &q), MCU_EINVAL);
	assert_int_equal(workq_create(2, 4, "t", 20, &q), MCU_EINVAL);
	assert_int_equal(workq_create(3, 16, "test queue", 5, &q), 0);
	struct tally t = { .sleep_ms = 100 };
	for (int i = 0; i < 6; i++)
		assert_int_equal(workq_push(q, job, &t), 0);
	for (int i = 0; i < 300 && atomic_load(&t.ran) < 6; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&t.ran), 6);
	assert_int_equal(atomic_load(&t.most_at_once), 3);
	assert_int_equal(atomic_load(&t.nice), 5); /* its threads run at its niceness */
	assert_int_equal(workq_queued(q), 0);
	assert_int_equal(atomic_load(&t.cancelled), 0);
	workq_destroy(q);
	workq_destroy(NULL);
}

static void test_full_and_ending(void **state)
{
	(void)state;
	struct workq *q = NULL;
	assert_int_equal(workq_create(1, 2, "t", 0, &q), 0);
	struct tally t = { .sleep_ms = 300 };
	assert_int_equal(workq_push(q, job, &t), 0);
	for (int i = 0; i < 100 && !atomic_load(&t.running); i++)
		usleep(5000);
	assert_int_equal(atomic_load(&t.running), 1); /* the one thread is busy */
	assert_int_equal(workq_push(q, job, &t), 0);
	assert_int_equal(workq_push(q, job, &t), 0);
	assert_int_equal(workq_queued(q), 2);
	assert_int_equal(workq_push(q, job, &t), MCU_EAGAIN);
	workq_destroy(q); /* the running one finishes; the two queued are cancelled */
	assert_int_equal(atomic_load(&t.ran), 1);
	assert_int_equal(atomic_load(&t.cancelled), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_in_parallel),
		cmocka_unit_test(test_full_and_ending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
