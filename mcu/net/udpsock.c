/* udpsock.c - see udpsock.h. */
#include "udpsock.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int udpsock_addr(const char *ip, int port, struct sockaddr_storage *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return MCU_EINVAL;
}

bool udpsock_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

int udpsock_open(int family, int port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	if (family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	struct sockaddr_storage sa;
	memset(&sa, 0, sizeof(sa));
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
		v4->sin_port = htons((uint16_t)port);
		len = sizeof(*v4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
		v6->sin6_family = AF_INET6;
		v6->sin6_addr = in6addr_any;
		v6->sin6_port = htons((uint16_t)port);
		len = sizeof(*v6);
	}
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int udpsock_bind_pair(int port_min, int port_max, int family, bool mux, int *rtp_fd,
		      int *rtcp_fd, int *port_out)
{
	int base = (port_min + 1) & ~1;
	int pairs = (port_max - base + 1) / 2; /* even port and the one after, both <= max */
	if (pairs < 1)
		return MCU_ELIMIT;
	/* Every pair once, from a random one: random so that endpoints do not
	 * reuse a just-freed pair, every one so a nearly full range still works. */
	int first = (int)(g_random_int() % (guint32)pairs);
	for (int t = 0; t < pairs; t++) {
		int port = base + 2 * ((first + t) % pairs);
		int rtp = udpsock_open(family, port);
		int rtcp = rtp >= 0 && !mux ? udpsock_open(family, port + 1) : rtp;
		/* Out of descriptors is not a port taken: no other pair helps. */
		bool exhausted = (rtp < 0 || rtcp < 0) && (errno == EMFILE || errno == ENFILE);
		if (rtcp < 0 && rtp >= 0)
			close(rtp);
		if (exhausted)
			return MCU_ERESOURCE;
		if (rtp < 0 || rtcp < 0)
			continue;
		*rtp_fd = rtp;
		*rtcp_fd = rtcp;
		*port_out = port;
		return 0;
	}
	return MCU_ELIMIT;
}

void udpsock_route_address(const struct sockaddr_storage *peer_addr, socklen_t peer_len,
			   char *out, size_t size)
{
	snprintf(out, size, "%s", peer_addr->ss_family == AF_INET6 ? "::1" : "127.0.0.1");
	int fd = socket(peer_addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage peer = *peer_addr, local;
	socklen_t len = sizeof(local);
	((struct sockaddr_in *)&peer)->sin_port = htons(9); /* any port: nothing is sent */
	if (fd >= 0 && connect(fd, (struct sockaddr *)&peer, peer_len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
		const void *a = local.ss_family == AF_INET
			? (const void *)&((struct sockaddr_in *)&local)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)&local)->sin6_addr;
		inet_ntop(local.ss_family, a, out, (socklen_t)size);
	}
	if (fd >= 0)
		close(fd);
}
