/* udpsock_test.c - IP literals, same-host comparison, a receiving socket's
 * options, even/odd port pairs from a range until it is used up, and the
 * route to a loopback peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mcu/net/udpsock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

static void test_addr_and_same_host(void **state)
{
	(void)state;
	struct sockaddr_storage a, b, c;
	socklen_t len = 0;
	assert_int_equal(udpsock_addr("127.0.0.1", 5004, &a, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&a)->sin_port), 5004);
	assert_int_equal(udpsock_addr("127.0.0.1", 9, &b, &len), 0);
	assert_true(udpsock_same_host(&a, &b)); /* ports do not matter */
	assert_int_equal(udpsock_addr("::1", 5004, &c, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_false(udpsock_same_host(&a, &c));
	assert_int_equal(udpsock_addr("127.0.0.2", 5004, &b, &len), 0);
	assert_false(udpsock_same_host(&a, &b));
	assert_int_equal(udpsock_addr("example.org", 5004, &b, &len), MCU_EINVAL);
	assert_int_equal(udpsock_addr("", 5004, &b, &len), MCU_EINVAL);
}

static void test_open(void **state)
{
	(void)state;
	int fd = udpsock_open(AF_INET, 0);
	assert_true(fd >= 0);
	int on = 0;
	socklen_t n = sizeof(on);
	assert_int_equal(getsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, &n), 0);
	assert_int_equal(on, 1);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, &n), 0);
	assert_int_equal(on, 1);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	/* The same port again is taken. */
	assert_int_equal(udpsock_open(AF_INET, ntohs(sa.sin_port)), -1);
	close(fd);
}

static void test_bind_pair(void **state)
{
	(void)state;
	/* 31001..31006 holds the pairs 31002/3 and 31004/5 only. */
	int rtp[3], rtcp[3], port[3];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(udpsock_bind_pair(31001, 31006, AF_INET, false, &rtp[i], &rtcp[i], &port[i]), 0);
		assert_true(port[i] == 31002 || port[i] == 31004);
		assert_true(rtp[i] != rtcp[i]);
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		assert_int_equal(getsockname(rtcp[i], (struct sockaddr *)&sa, &len), 0);
		assert_int_equal(ntohs(sa.sin_port), port[i] + 1);
	}
	assert_int_not_equal(port[0], port[1]);
	assert_int_equal(udpsock_bind_pair(31001, 31006, AF_INET, false, &rtp[2], &rtcp[2], &port[2]),
			 MCU_ELIMIT);
	for (int i = 0; i < 2; i++) {
		close(rtp[i]);
		close(rtcp[i]);
	}
	/* Muxed: one socket on the even port. */
	assert_int_equal(udpsock_bind_pair(31001, 31006, AF_INET, true, &rtp[0], &rtcp[0], &port[0]), 0);
	assert_int_equal(rtp[0], rtcp[0]);
	assert_int_equal(port[0] % 2, 0);
	close(rtp[0]);
	/* A range with no whole pair. */
	assert_int_equal(udpsock_bind_pair(31003, 31003, AF_INET, false, &rtp[0], &rtcp[0], &port[0]),
			 MCU_ELIMIT);
}

static void test_route_address(void **state)
{
	(void)state;
	struct sockaddr_storage peer;
	socklen_t len;
	char out[64];
	assert_int_equal(udpsock_addr("127.0.0.1", 0, &peer, &len), 0);
	udpsock_route_address(&peer, len, out, sizeof(out));
	assert_string_equal(out, "127.0.0.1");
	assert_int_equal(udpsock_addr("::1", 0, &peer, &len), 0);
	udpsock_route_address(&peer, len, out, sizeof(out));
	assert_string_equal(out, "::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_and_same_host),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_bind_pair),
		cmocka_unit_test(test_route_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
