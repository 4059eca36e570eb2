/*
 * rtpdest.c - see rtpdest.h.
 *
 * Addresses are compared as bytes: IPv4 as 4, IPv6 as 16, and an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack listener
 * reports for an IPv4 client) as the IPv4 address it carries, so
 * "127.0.0.1" and "::ffff:127.0.0.1" are one host.
 */
#include "rtpdest.h"
#include "config.h"
#include "base/err.h"
#include "mcu/net/udpsock.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An address as bytes (see above). */
struct ipaddr {
	int family;
	uint8_t b[16];
};

static void ipaddr_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		out->family = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
		if (out->family == AF_INET)
			memcpy(out->b, a6->s6_addr + 12, 4);
		else
			memcpy(out->b, a6->s6_addr, 16);
	}
}

/* An IP literal as bytes: parsed by udpsock_addr, the one parser of
 * literals the plain-RTP code has, then folded as above. */
static int ipaddr_parse(const char *text, struct ipaddr *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(out, 0, sizeof(*out));
	if (udpsock_addr(text, 0, &ss, &len))
		return MCU_EINVAL;
	ipaddr_from_sockaddr((const struct sockaddr *)&ss, out);
	return 0;
}

static bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family && a->family == b->family &&
	       !memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16);
}

static bool in_prefix(const struct ipaddr *a, int family, const uint8_t *prefix, int bits)
{
	if (a->family != family)
		return false;
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a->b, prefix, (size_t)whole))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[whole] & mask) == (prefix[whole] & mask);
}

/* One entry "addr[/bits]" of len bytes. */
static int parse_cidr(const char *s, size_t len, struct rtpdest_cidr *out)
{
	char buf[64];
	if (len >= sizeof(buf))
		return MCU_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *slash = strchr(buf, '/');
	long bits = -1;
	if (slash) {
		char *end;
		*slash = '\0';
		if (!isdigit((unsigned char)slash[1]))
			return MCU_EINVAL;
		bits = strtol(slash + 1, &end, 10);
		if (*end)
			return MCU_EINVAL;
	}
	struct ipaddr a;
	if (ipaddr_parse(buf, &a))
		return MCU_EINVAL;
	int max = a.family == AF_INET ? 32 : 128;
	if (bits < 0)
		bits = max;
	/* A mapped prefix ("::ffff:10.0.0.0/104") names IPv4 addresses. */
	if (a.family == AF_INET && strchr(buf, ':'))
		bits -= 96;
	if (bits < 0 || bits > max)
		return MCU_EINVAL;
	out->family = a.family;
	memcpy(out->addr, a.b, sizeof(out->addr));
	out->bits = (int)bits;
	return 0;
}

int rtpdest_parse_cidrs(const char *list, struct rtpdest_cidr *out, int max, int *n,
			char *err, size_t err_size)
{
	*n = 0;
	const char *sep = ", \t";
	for (const char *p = list + strspn(list, sep); *p; p += strspn(p, sep)) {
		size_t len = strcspn(p, sep);
		if (*n == max) {
			snprintf(err, err_size, "more than %d prefixes", max);
			return MCU_EINVAL;
		}
		if (parse_cidr(p, len, &out[*n])) {
			snprintf(err, err_size, "'%.*s' is not an address or address/prefix-length",
				 (int)(len < 64 ? len : 64), p);
			return MCU_EINVAL;
		}
		(*n)++;
		p += len;
	}
	return 0;
}

/* Why a is never a destination (static text), or NULL. */
static const char *never_destination(const struct ipaddr *a)
{
	static const uint8_t zero[16];
	if (a->family == AF_INET) {
		if (a->b[0] == 0)
			return "an unspecified address (0.0.0.0/8)";
		if ((a->b[0] & 0xf0) == 0xe0)
			return "a multicast address (224.0.0.0/4)";
		if (a->b[0] == 255 && a->b[1] == 255 && a->b[2] == 255 && a->b[3] == 255)
			return "the broadcast address";
		if ((a->b[0] & 0xf0) == 0xf0)
			return "a reserved address (240.0.0.0/4)";
		return NULL;
	}
	if (!memcmp(a->b, zero, 16))
		return "the unspecified address (::)";
	if (a->b[0] == 0xff)
		return "a multicast address (ff00::/8)";
	return NULL;
}

/* Is a loopback, or an address of one of this host's interfaces? Sets
 * *broadcast when a is an interface's (directed) broadcast address. */
static bool local_address(const struct ipaddr *a, bool *broadcast)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	*broadcast = false;
	if ((a->family == AF_INET && a->b[0] == 127) ||
	    (a->family == AF_INET6 && !memcmp(a->b, v6_loopback, 16)))
		return true;
	struct ifaddrs *list = NULL;
	if (getifaddrs(&list) != 0)
		return false;
	bool local = false;
	for (struct ifaddrs *i = list; i && !local && !*broadcast; i = i->ifa_next) {
		struct ipaddr x;
		if (i->ifa_addr) {
			ipaddr_from_sockaddr(i->ifa_addr, &x);
			local = ipaddr_equal(a, &x);
		}
		if (i->ifa_broadaddr && i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
			ipaddr_from_sockaddr(i->ifa_broadaddr, &x);
			*broadcast = ipaddr_equal(a, &x);
		}
	}
	freeifaddrs(list);
	return local;
}

/* The inodes of the UDP sockets bound to port, from one /proc/net table. */
static int inodes_on_port(const char *table, int port, unsigned long *inodes, int max, int n)
{
	FILE *f = fopen(table, "r");
	if (!f)
		return n;
	char line[512];
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return n;
	}
	while (n < max && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned long inode;
		/* sl local rem st tx:rx tr:when retr uid timeout inode */
		if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) != 2)
			continue;
		const char *colon = strrchr(local, ':');
		if (colon && strtol(colon + 1, NULL, 16) == port && inode)
			inodes[n++] = inode;
	}
	fclose(f);
	return n;
}

bool rtpdest_own_udp_port(int port)
{
	unsigned long inodes[64];
	int n = inodes_on_port("/proc/self/net/udp", port, inodes, 64, 0);
	n = inodes_on_port("/proc/self/net/udp6", port, inodes, 64, n);
	if (!n)
		return false;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return false;
	bool own = false;
	for (struct dirent *e; !own && (e = readdir(d));) {
		char path[300], target[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		unsigned long inode;
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (sscanf(target, "socket:[%lu]", &inode) != 1)
			continue;
		for (int i = 0; i < n && !own; i++)
			own = inodes[i] == inode;
	}
	closedir(d);
	return own;
}

static bool in_range(int port, int lo, int hi)
{
	return lo > 0 && port >= lo && port <= hi;
}

/* Is port, at one of our own addresses, one of the server's? */
static bool server_port(const struct config *cfg, int port)
{
	return in_range(port, cfg->rtp_port_min, cfg->rtp_port_max) ||
	       in_range(port, cfg->ice_port_min, cfg->ice_port_max) || rtpdest_own_udp_port(port);
}

static bool allowed_prefix(const struct config *cfg, const struct ipaddr *a)
{
	struct rtpdest_cidr cidrs[RTPDEST_MAX_CIDRS];
	int n = 0;
	char err[128];
	if (rtpdest_parse_cidrs(cfg->rtp_allowed_destinations, cidrs, RTPDEST_MAX_CIDRS, &n,
				err, sizeof(err)))
		return false; /* refused at start-up; never widen on a bad list */
	for (int i = 0; i < n; i++)
		if (in_prefix(a, cidrs[i].family, cidrs[i].addr, cidrs[i].bits))
			return true;
	return false;
}

enum rtpdest_verdict rtpdest_check(const struct config *cfg, const struct rtpdest_request *rq,
				   char *why, size_t why_size)
{
	struct ipaddr dest;
	if (ipaddr_parse(rq->addr, &dest)) {
		snprintf(why, why_size, "'%.64s' is not an IP address", rq->addr);
		return RTPDEST_INVALID;
	}
	const char *never = never_destination(&dest);
	bool broadcast;
	bool local = local_address(&dest, &broadcast);
	if (!never && broadcast)
		never = "a broadcast address of this server's network";
	if (never) {
		snprintf(why, why_size, "media cannot be sent to %.64s: it is %s", rq->addr, never);
		return RTPDEST_INVALID;
	}
	for (int i = 0; local && i < rq->n_ports; i++) {
		if (rq->ports[i] && server_port(cfg, rq->ports[i])) {
			snprintf(why, why_size,
				 "media cannot be sent to %.64s port %d: that is one of this server's own ports",
				 rq->addr, rq->ports[i]);
			return RTPDEST_INVALID;
		}
	}
	if (rq->operator_key || allowed_prefix(cfg, &dest))
		return RTPDEST_OK;
	struct ipaddr client;
	if (rq->client_addr && !ipaddr_parse(rq->client_addr, &client) && ipaddr_equal(&dest, &client))
		return RTPDEST_OK;
	snprintf(why, why_size,
		 "media goes only to the requester's own address (%.64s), not %.64s, unless the request "
		 "carries the operator key or the address is inside rtp_allowed_destinations",
		 rq->client_addr && *rq->client_addr ? rq->client_addr : "unknown", rq->addr);
	return RTPDEST_NOT_ALLOWED;
}
