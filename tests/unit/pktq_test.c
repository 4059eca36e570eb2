/* pktq_test.c - the inbound packet queue: FIFO order, drop-oldest when full
 * (and the count of what was dropped), packets copied in and out with only
 * their used bytes read, and a producer and a consumer thread exchanging
 * 100000 packets with nothing reordered, torn or lost uncounted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mcu/net/pktq.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct port_packet *new_packet(void)
{
	struct port_packet *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	return p;
}

/* A packet whose fields and payload all derive from n. */
static void make_packet(struct port_packet *p, uint32_t n, size_t len)
{
	p->kind = n & 1 ? PORT_VIDEO : PORT_AUDIO;
	p->pt = (uint8_t)(96 + n % 30);
	p->marker = n % 3 == 0;
	p->seq = (uint16_t)n;
	p->ts = n;
	p->ssrc = 0x5eed0000u + (n & 0xff);
	p->audio_level = (int)(n % 128);
	p->arrival_us = (int64_t)n * 1000;
	p->len = len;
	for (size_t i = 0; i < len; i++)
		p->payload[i] = (uint8_t)(n + i);
}

/* The packet make_packet(n, len) made, field by field. */
static void check_packet(const struct port_packet *p, uint32_t n, size_t len)
{
	assert_int_equal(p->kind, n & 1 ? PORT_VIDEO : PORT_AUDIO);
	assert_int_equal(p->pt, 96 + n % 30);
	assert_int_equal(p->marker, n % 3 == 0);
	assert_int_equal(p->seq, (uint16_t)n);
	assert_int_equal(p->ts, n);
	assert_int_equal(p->ssrc, 0x5eed0000u + (n & 0xff));
	assert_int_equal(p->audio_level, (int)(n % 128));
	assert_int_equal(p->arrival_us, (int64_t)n * 1000);
	assert_int_equal(p->len, len);
	for (size_t i = 0; i < len; i++)
		if (p->payload[i] != (uint8_t)(n + i))
			fail_msg("packet %u byte %zu is %u", n, i, p->payload[i]);
}

static void test_create_bad(void **state)
{
	(void)state;
	struct pktq *q = (struct pktq *)(uintptr_t)1;
	assert_int_equal(pktq_create(1, &q), MCU_EINVAL);
	assert_int_equal(pktq_create(0, &q), MCU_EINVAL);
	assert_int_equal(pktq_create(-5, &q), MCU_EINVAL);
	assert_ptr_equal(q, (struct pktq *)(uintptr_t)1);
	pktq_destroy(NULL);
}

static void test_fifo(void **state)
{
	(void)state;
	struct pktq *q = NULL;
	assert_int_equal(pktq_create(8, &q), 0);
	struct port_packet *in = new_packet(), *out = new_packet();

	assert_int_equal(pktq_pop(q, out), 0);
	/* interleave pushes and pops so the ring wraps several times */
	uint32_t next_in = 0, next_out = 0;
	for (int round = 0; round < 20; round++) {
		int push = 1 + round % 7, pop = 1 + (round * 3) % 7;
		for (int i = 0; i < push && next_in - next_out < 8; i++) {
			make_packet(in, next_in, 10 + next_in % 50);
			pktq_push(q, in);
			next_in++;
		}
		for (int i = 0; i < pop; i++) {
			if (next_out == next_in) {
				assert_int_equal(pktq_pop(q, out), 0);
				break;
			}
			assert_int_equal(pktq_pop(q, out), 1);
			check_packet(out, next_out, 10 + next_out % 50);
			next_out++;
		}
	}
	while (next_out < next_in) {
		assert_int_equal(pktq_pop(q, out), 1);
		check_packet(out, next_out, 10 + next_out % 50);
		next_out++;
	}
	assert_int_equal(pktq_pop(q, out), 0);
	assert_int_equal(pktq_dropped(q), 0);
	free(in);
	free(out);
	pktq_destroy(q);
}

static void test_drop_oldest(void **state)
{
	(void)state;
	struct pktq *q = NULL;
	assert_int_equal(pktq_create(4, &q), 0);
	struct port_packet *in = new_packet(), *out = new_packet();

	for (uint32_t n = 0; n < 4; n++) {
		make_packet(in, n, 20);
		pktq_push(q, in);
	}
	assert_int_equal(pktq_dropped(q), 0);
	/* full: each push drops the oldest */
	for (uint32_t n = 4; n < 7; n++) {
		make_packet(in, n, 20);
		pktq_push(q, in);
		assert_int_equal(pktq_dropped(q), n - 3);
	}
	for (uint32_t n = 3; n < 7; n++) {
		assert_int_equal(pktq_pop(q, out), 1);
		check_packet(out, n, 20);
	}
	assert_int_equal(pktq_pop(q, out), 0);
	assert_int_equal(pktq_dropped(q), 3);

	/* after draining it holds four again without dropping */
	for (uint32_t n = 10; n < 14; n++) {
		make_packet(in, n, 5);
		pktq_push(q, in);
	}
	assert_int_equal(pktq_dropped(q), 3);
	assert_int_equal(pktq_pop(q, out), 1);
	check_packet(out, 10, 5);
	/* one slot free: one push fits, the next drops 11 */
	make_packet(in, 14, 5);
	pktq_push(q, in);
	make_packet(in, 15, 5);
	pktq_push(q, in);
	assert_int_equal(pktq_dropped(q), 4);
	for (uint32_t n = 12; n < 16; n++) {
		assert_int_equal(pktq_pop(q, out), 1);
		check_packet(out, n, 5);
	}
	assert_int_equal(pktq_pop(q, out), 0);

	/* the smallest queue */
	struct pktq *two = NULL;
	assert_int_equal(pktq_create(2, &two), 0);
	for (uint32_t n = 0; n < 5; n++) {
		make_packet(in, n, 1);
		pktq_push(two, in);
	}
	assert_int_equal(pktq_dropped(two), 3);
	assert_int_equal(pktq_pop(two, out), 1);
	check_packet(out, 3, 1);
	assert_int_equal(pktq_pop(two, out), 1);
	check_packet(out, 4, 1);
	assert_int_equal(pktq_pop(two, out), 0);
	pktq_destroy(two);

	free(in);
	free(out);
	pktq_destroy(q);
}

/* A packet made in an exactly-sized heap block: its header and len payload
 * bytes, nothing after, so ASan reports a push that reads beyond them. */
static struct port_packet *short_packet(uint32_t n, size_t len)
{
	struct port_packet *full = new_packet();
	make_packet(full, n, len);
	size_t size = offsetof(struct port_packet, payload) + len;
	struct port_packet *p = malloc(size);
	assert_non_null(p);
	memcpy(p, full, size);
	free(full);
	return p;
}

static void test_payload_copied(void **state)
{
	(void)state;
	struct pktq *q = NULL;
	assert_int_equal(pktq_create(4, &q), 0);
	struct port_packet *out = new_packet();

	/* the queue owns a copy: the sender's buffer may change at once */
	struct port_packet *in = new_packet();
	make_packet(in, 7, 100);
	pktq_push(q, in);
	memset(in->payload, 0xAA, sizeof(in->payload));
	in->len = 1;
	in->seq = 0;
	free(in);

	/* only len bytes are read: packets that end right after them */
	struct port_packet *s0 = short_packet(8, 0);
	struct port_packet *s3 = short_packet(9, 3);
	struct port_packet *big = short_packet(10, PORT_MAX_PAYLOAD);
	pktq_push(q, s0);
	pktq_push(q, s3);
	pktq_push(q, big);
	free(s0);
	free(s3);
	free(big);

	assert_int_equal(pktq_pop(q, out), 1);
	check_packet(out, 7, 100);
	memset(out, 0xEE, sizeof(*out));
	assert_int_equal(pktq_pop(q, out), 1);
	check_packet(out, 8, 0);
	assert_int_equal(pktq_pop(q, out), 1);
	check_packet(out, 9, 3);
	assert_int_equal(pktq_pop(q, out), 1);
	check_packet(out, 10, PORT_MAX_PAYLOAD);
	assert_int_equal(pktq_pop(q, out), 0);

	/* a slot reused for a shorter packet gives that packet's bytes */
	struct port_packet *p = new_packet();
	for (int i = 0; i < 8; i++) {
		make_packet(p, 100 + i, i % 2 ? 1400 : 2);
		pktq_push(q, p);
		assert_int_equal(pktq_pop(q, out), 1);
		check_packet(out, 100 + i, i % 2 ? 1400 : 2);
	}
	free(p);
	free(out);
	pktq_destroy(q);
}

/* ---- two threads ---------------------------------------------------- */

#define TOTAL 100000

struct pair {
	struct pktq *q;
	atomic_bool done;
	uint32_t received;
	uint32_t bad_order;
	uint32_t torn;
	uint32_t last;
};

static void *producer(void *arg)
{
	struct pair *pr = arg;
	struct port_packet *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	for (uint32_t n = 1; n <= TOTAL; n++) {
		make_packet(p, n, 4 + n % 200);
		pktq_push(pr->q, p);
		if (n % 32 == 0)
			sched_yield(); /* let the consumer in: some packets pass, some drop */
	}
	free(p);
	atomic_store(&pr->done, true);
	return NULL;
}

/* Runs on the test thread: takes packets until the producer is done and the
 * queue is empty, or a generous time limit passes. */
static void consume(struct pair *pr)
{
	struct port_packet *p = new_packet();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		bool done = atomic_load(&pr->done);
		int got = pktq_pop(pr->q, p);
		if (got) {
			uint32_t n = p->ts;
			if (n <= pr->last)
				pr->bad_order++;
			pr->last = n;
			pr->received++;
			/* a packet copied whole, not mixed with another */
			if (p->len != 4 + n % 200 || p->seq != (uint16_t)n || p->payload[0] != (uint8_t)n ||
			    p->payload[p->len - 1] != (uint8_t)(n + p->len - 1))
				pr->torn++;
			continue;
		}
		if (done)
			break;
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 60)
			break; /* the counts below then fail */
		sched_yield();
	}
	free(p);
}

static void test_two_threads(void **state)
{
	(void)state;
	struct pair pr = { 0 };
	atomic_init(&pr.done, false);
	assert_int_equal(pktq_create(64, &pr.q), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &pr), 0);
	consume(&pr);
	pthread_join(t, NULL);
	assert_true(atomic_load(&pr.done));
	uint64_t dropped = pktq_dropped(pr.q);
	assert_int_equal(pr.bad_order, 0);
	assert_int_equal(pr.torn, 0);
	assert_int_equal(pr.received + dropped, TOTAL);
	assert_true(pr.received > 0);
	assert_int_equal(pr.last, TOTAL); /* the newest is never the one dropped */
	pktq_destroy(pr.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_drop_oldest),
		cmocka_unit_test(test_payload_copied),
		cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
