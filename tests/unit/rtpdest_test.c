/* rtpdest_test.c - where a plain-RTP endpoint's media may go: prefixes
 * parse or are refused; multicast, broadcast, unspecified addresses and the
 * server's own ports are never a destination; otherwise only the
 * requester's own address, the operator, or a configured prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "base/err.h"
#include "mcu/rtpdest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_parse_cidrs(void **state)
{
	(void)state;
	struct rtpdest_cidr c[RTPDEST_MAX_CIDRS];
	int n = -1;
	char err[160];
	assert_int_equal(rtpdest_parse_cidrs("", c, RTPDEST_MAX_CIDRS, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(rtpdest_parse_cidrs(" 10.0.0.0/8, 192.168.1.7 2001:db8::/32,::ffff:172.16.0.0/108",
					     c, RTPDEST_MAX_CIDRS, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(c[0].family, AF_INET);
	assert_int_equal(c[0].bits, 8);
	assert_int_equal(c[1].bits, 32);
	assert_int_equal(c[2].family, AF_INET6);
	assert_int_equal(c[2].bits, 32);
	assert_int_equal(c[3].family, AF_INET); /* a mapped prefix names IPv4 */
	assert_int_equal(c[3].bits, 12);
	const char *bad[] = { "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "example.org", "2001:db8::/129",
			      "10.0.0.0/8x", "1.2.3.4.5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(rtpdest_parse_cidrs(bad[i], c, RTPDEST_MAX_CIDRS, &n, err, sizeof(err)),
				 MCU_EINVAL);
		assert_non_null(strstr(err, "is not an address"));
	}
	assert_int_equal(rtpdest_parse_cidrs("1.1.1.1 2.2.2.2 3.3.3.3", c, 2, &n, err, sizeof(err)),
			 MCU_EINVAL);
}

static enum rtpdest_verdict check(const struct config *cfg, const char *addr, int port,
				  const char *client, bool key, char *why, size_t size)
{
	int ports[2] = { port, port + 1 };
	struct rtpdest_request rq = { .addr = addr, .ports = ports, .n_ports = 2,
				      .client_addr = client, .operator_key = key };
	why[0] = '\0';
	return rtpdest_check(cfg, &rq, why, size);
}

static void test_never(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	char why[320];
	/* Refused even to the operator and inside an allowed prefix. */
	snprintf(cfg.rtp_allowed_destinations, sizeof(cfg.rtp_allowed_destinations), "0.0.0.0/0 ::/0");
	const struct { const char *addr, *word; } never[] = {
		{ "239.1.2.3", "multicast" }, { "224.0.0.1", "multicast" },
		{ "255.255.255.255", "broadcast" }, { "0.0.0.0", "unspecified" },
		{ "::", "unspecified" }, { "ff02::1", "multicast" }, { "::ffff:239.1.2.3", "multicast" },
		{ "240.0.0.1", "reserved" }, { "not-an-ip", "not an IP address" },
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		assert_int_equal(check(&cfg, never[i].addr, 40000, "127.0.0.1", true, why, sizeof(why)),
				 RTPDEST_INVALID);
		assert_non_null(strstr(why, never[i].word));
	}
}

static void test_own_ports(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	char why[320];
	/* The plain-RTP range at our own address: a loop into the room. */
	assert_int_equal(check(&cfg, "127.0.0.1", 30010, "127.0.0.1", true, why, sizeof(why)),
			 RTPDEST_INVALID);
	assert_non_null(strstr(why, "own ports"));
	assert_int_equal(check(&cfg, "127.0.0.2", 30010, "127.0.0.2", false, why, sizeof(why)),
			 RTPDEST_INVALID);
	/* The ICE range when one is set. */
	cfg.ice_port_min = 20000;
	cfg.ice_port_max = 20100;
	assert_int_equal(check(&cfg, "127.0.0.1", 20050, "127.0.0.1", false, why, sizeof(why)),
			 RTPDEST_INVALID);
	/* A port this process holds, outside every range. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	int mine = ntohs(a.sin_port);
	assert_true(rtpdest_own_udp_port(mine));
	int ports[1] = { mine };
	struct rtpdest_request rq = { .addr = "127.0.0.1", .ports = ports, .n_ports = 1,
				      .client_addr = "127.0.0.1" };
	assert_int_equal(rtpdest_check(&cfg, &rq, why, sizeof(why)), RTPDEST_INVALID);
	close(fd);

	/* Another process's port on this host is a legacy endpoint's: fine. */
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* A port outside the server's ranges (an ephemeral one may fall
		 * in rtp_port_min..rtp_port_max, which is refused anyway). */
		int cfd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ca = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		uint16_t port = 45000;
		for (; port < 46000; port++) {
			ca.sin_port = htons(port);
			if (cfd >= 0 && bind(cfd, (struct sockaddr *)&ca, sizeof(ca)) == 0)
				break;
		}
		if (cfd < 0 || port == 46000)
			_exit(1);
		if (write(ready[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		pause();
		_exit(0);
	}
	uint16_t theirs = 0;
	assert_int_equal(read(ready[0], &theirs, sizeof(theirs)), sizeof(theirs));
	assert_false(rtpdest_own_udp_port(theirs));
	ports[0] = theirs;
	assert_int_equal(rtpdest_check(&cfg, &rq, why, sizeof(why)), RTPDEST_OK);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(ready[0]);
	close(ready[1]);
}

static void test_who_may_ask(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	char why[320];
	/* Its own address, however the listener spells it. */
	assert_int_equal(check(&cfg, "127.0.0.1", 50000, "127.0.0.1", false, why, sizeof(why)), RTPDEST_OK);
	assert_int_equal(check(&cfg, "127.0.0.1", 50000, "::ffff:127.0.0.1", false, why, sizeof(why)),
			 RTPDEST_OK);
	assert_int_equal(check(&cfg, "::1", 50000, "::1", false, why, sizeof(why)), RTPDEST_OK);
	/* A third party's: not without the key. */
	assert_int_equal(check(&cfg, "127.0.0.2", 50000, "127.0.0.1", false, why, sizeof(why)),
			 RTPDEST_NOT_ALLOWED);
	assert_non_null(strstr(why, "requester's own address (127.0.0.1)"));
	assert_int_equal(check(&cfg, "192.0.2.10", 50000, NULL, false, why, sizeof(why)),
			 RTPDEST_NOT_ALLOWED);
	assert_int_equal(check(&cfg, "192.0.2.10", 50000, "", false, why, sizeof(why)), RTPDEST_NOT_ALLOWED);
	/* With the key, or inside a configured prefix. */
	assert_int_equal(check(&cfg, "127.0.0.2", 50000, "127.0.0.1", true, why, sizeof(why)), RTPDEST_OK);
	snprintf(cfg.rtp_allowed_destinations, sizeof(cfg.rtp_allowed_destinations),
		 "198.51.100.0/24, 2001:db8:1::/48");
	assert_int_equal(check(&cfg, "198.51.100.77", 50000, "127.0.0.1", false, why, sizeof(why)), RTPDEST_OK);
	assert_int_equal(check(&cfg, "198.51.101.77", 50000, "127.0.0.1", false, why, sizeof(why)),
			 RTPDEST_NOT_ALLOWED);
	assert_int_equal(check(&cfg, "2001:db8:1:ff::5", 50000, "::1", false, why, sizeof(why)), RTPDEST_OK);
	assert_int_equal(check(&cfg, "2001:db8:2::5", 50000, "::1", false, why, sizeof(why)),
			 RTPDEST_NOT_ALLOWED);
	/* A list that does not parse widens nothing. */
	snprintf(cfg.rtp_allowed_destinations, sizeof(cfg.rtp_allowed_destinations), "0.0.0.0/0 bogus");
	assert_int_equal(check(&cfg, "198.51.100.77", 50000, "127.0.0.1", false, why, sizeof(why)),
			 RTPDEST_NOT_ALLOWED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cidrs),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_own_ports),
		cmocka_unit_test(test_who_may_ask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
