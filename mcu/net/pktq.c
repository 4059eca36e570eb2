/* pktq.c - see pktq.h. */
#include "pktq.h"
#include "base/err.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct pktq {
	pthread_mutex_t lock;
	struct port_packet *slots;
	int capacity;
	int head;          /* oldest */
	int count;
	uint64_t dropped;
};

int pktq_create(int capacity, struct pktq **out)
{
	if (capacity < 2)
		return MCU_EINVAL;
	struct pktq *q = calloc(1, sizeof(*q));
	if (!q)
		return MCU_ENOMEM;
	q->slots = calloc((size_t)capacity, sizeof(*q->slots));
	if (!q->slots) {
		free(q);
		return MCU_ENOMEM;
	}
	q->capacity = capacity;
	pthread_mutex_init(&q->lock, NULL);
	*out = q;
	return 0;
}

void pktq_destroy(struct pktq *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q);
}

/* Bytes of a packet worth copying: the header fields and its payload. */
static size_t used_size(const struct port_packet *p)
{
	return offsetof(struct port_packet, payload) + p->len;
}

void pktq_push(struct pktq *q, const struct port_packet *pkt)
{
	if (pkt->len > PORT_MAX_PAYLOAD)
		return; /* cannot be held whole; the producer never sends one */
	pthread_mutex_lock(&q->lock);
	if (q->count == q->capacity) {
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		q->dropped++;
	}
	struct port_packet *slot = &q->slots[(q->head + q->count) % q->capacity];
	memcpy(slot, pkt, used_size(pkt));
	q->count++;
	pthread_mutex_unlock(&q->lock);
}

int pktq_pop(struct pktq *q, struct port_packet *out)
{
	pthread_mutex_lock(&q->lock);
	int got = q->count > 0;
	if (got) {
		const struct port_packet *slot = &q->slots[q->head];
		memcpy(out, slot, used_size(slot));
		q->head = (q->head + 1) % q->capacity;
		q->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

uint64_t pktq_dropped(struct pktq *q)
{
	pthread_mutex_lock(&q->lock);
	uint64_t n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}
