/*
 * udpsock.h - the UDP sockets of plain-RTP endpoints: IP literals, who is
 * the same host, a socket bound for receiving (non-blocking, ICMP errors
 * reported with IP_RECVERR, kernel receive timestamps), an even/odd port
 * pair from a range, and the local address that routes to a peer.
 * Thread: any.
 */
#ifndef MCU_UDPSOCK_H
#define MCU_UDPSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Parses an IP literal (IPv4 or IPv6) with a port into *out and its length
 * into *len. Returns 0 or MCU_EINVAL. */
int udpsock_addr(const char *ip, int port, struct sockaddr_storage *out, socklen_t *len);

/* Are a and b the same host (family and address; ports ignored)? */
bool udpsock_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* A non-blocking UDP socket of family bound to port on the wildcard
 * address, with IP_RECVERR and SO_TIMESTAMPNS on. Returns the descriptor,
 * or -1 with errno set. */
int udpsock_open(int family, int port);

/*
 * Binds an even port of port_min..port_max (both ports of the pair within
 * it) and, unless mux, the odd port after it, trying every pair once from
 * a random one, so a just-freed pair is seldom reused and a nearly full
 * range still works. *rtcp_fd is *rtp_fd when mux. Returns 0,
 * MCU_ELIMIT (no free pair) or MCU_ERESOURCE (out of descriptors).
 */
int udpsock_bind_pair(int port_min, int port_max, int family, bool mux, int *rtp_fd,
		      int *rtcp_fd, int *port_out);

/* The local address the kernel would send to peer from, as text into out
 * (size bytes); loopback when it cannot tell. Sends nothing. */
void udpsock_route_address(const struct sockaddr_storage *peer, socklen_t peer_len,
			   char *out, size_t size);

#endif
