/* partfixture.h - a participant kind of the tests' own (participant.h): no
 * ICE, no sockets; it receives the audio mix only (the cheapest member),
 * counts what the room sends it and says it is gone when told to. Shared
 * by registry_test and room_test, with the removal of their recordings. */
#ifndef TESTS_PARTFIXTURE_H
#define TESTS_PARTFIXTURE_H

#include "mcu/net/endpoint.h"
#include "mcu/participant.h"

#include <stdatomic.h>

struct partfixture {
	char id[ENDPOINT_ID_LEN + 1];
	const char *gone;              /* what its gone op says */
	int *destroyed;                /* counts destroys */
	_Atomic int sends;             /* packets the room sent it */
};

/* Removes dir and the files in it (the recordings a test made). */
void partfixture_remove_dir(const char *dir);

/* A new one with that id; *out (may be NULL) gets it, to drive. */
struct participant partfixture_new(const char *id, int *destroyed, struct partfixture **out);

#endif
