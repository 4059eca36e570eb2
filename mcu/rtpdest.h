/*
 * rtpdest.h - where a plain-RTP endpoint's media may be sent.
 *
 * A legacy offer names the address and ports the server is to stream the
 * room to, and nothing on the wire proves that whoever sits there asked for
 * it. Left unchecked, one HTTP request turns the server into a reflector
 * that streams megabits at a third party, a multicast group or its own
 * ports. The offer's destination is therefore judged before any socket is
 * opened:
 * - never multicast, broadcast (limited, or an interface's directed
 *   broadcast), unspecified or reserved addresses;
 * - never one of the server's own UDP ports at one of its own addresses
 *   (the plain-RTP and ICE port ranges, and any port this process holds),
 *   which would feed the room's composite back into itself;
 * - and then only the HTTP requester's own address, unless the request
 *   carried the operator key or the address lies inside one of the
 *   configured rtp_allowed_destinations prefixes.
 */
#ifndef MCU_RTPDEST_H
#define MCU_RTPDEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

#define RTPDEST_MAX_CIDRS 32

/* An address prefix; IPv4 is kept as 4 bytes, family AF_INET. */
struct rtpdest_cidr {
	int family;                   /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int bits;
};

/*
 * Parses a comma- or space-separated list of prefixes ("10.0.0.0/8",
 * "2001:db8::/32"; an address alone is a /32 or /128) into out (up to max).
 * An empty list is valid and gives *n = 0. Returns 0 or MCU_EINVAL with the
 * offending entry in err. Thread: any.
 */
int rtpdest_parse_cidrs(const char *list, struct rtpdest_cidr *out, int max, int *n,
			char *err, size_t err_size);

enum rtpdest_verdict {
	RTPDEST_OK,
	RTPDEST_INVALID,              /* never acceptable: 400 */
	RTPDEST_NOT_ALLOWED,          /* not this requester's to ask for: 403 */
};

/* One offer's destination and who asks for it (all borrowed for the call). */
struct rtpdest_request {
	const char *addr;             /* the offer's c= address, an IP literal */
	const int *ports;             /* its RTP and RTCP ports, 0s ignored */
	int n_ports;
	const char *client_addr;      /* the HTTP requester's IP; NULL or "": unknown */
	bool operator_key;            /* the request carried the (configured) operator key */
};

/*
 * Judges rq against cfg (rtp_allowed_destinations, the plain-RTP and ICE
 * port ranges) and this host's interfaces and sockets. On a refusal, why
 * gets a sentence for the HTTP error body. Reads /proc/self and the
 * interface list: call it once per join, not per packet. Thread: any.
 */
enum rtpdest_verdict rtpdest_check(const struct config *cfg, const struct rtpdest_request *rq,
				   char *why, size_t why_size);

/* Does this process hold a UDP socket bound to port (any address)? Reads
 * /proc/self. Thread: any. */
bool rtpdest_own_udp_port(int port);

#endif
