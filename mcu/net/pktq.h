/*
 * pktq.h - a bounded queue of inbound media packets from one transport
 * thread (the producer) to one room thread (the consumer).
 *
 * Full means the oldest packet is dropped and counted: a slow room never
 * blocks the network thread, and fresh media beats stale media. Slots are
 * made at creation (no allocation per packet); a short mutex covers the
 * index update and the copy of one packet, so neither side waits long.
 */
#ifndef MCU_PKTQ_H
#define MCU_PKTQ_H

#include "mixer/port.h"

#include <stdint.h>

struct pktq;

/* capacity: packets held, >= 2. Returns 0, MCU_EINVAL or MCU_ENOMEM. Thread: any. */
int pktq_create(int capacity, struct pktq **out);
void pktq_destroy(struct pktq *q);  /* accepts NULL */

/* Copies pkt in (only its first pkt->len payload bytes); one longer than
 * PORT_MAX_PAYLOAD is refused. Thread: the producer. */
void pktq_push(struct pktq *q, const struct port_packet *pkt);

/* Copies the oldest packet out. Returns 1, or 0 when empty. Thread: the consumer. */
int pktq_pop(struct pktq *q, struct port_packet *out);

/* Packets dropped because the queue was full. Thread: any. */
uint64_t pktq_dropped(struct pktq *q);

#endif
