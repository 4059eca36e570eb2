/* admission_test.c - admission: a malformed cpu_budget is refused; with a
 * budget the CPU check refuses what would pass it and the cost of a new
 * room is its one participant's; without one nothing is refused for CPU;
 * descriptors are taken and given back, and past the limit refused with a
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/admission.h"
#include "mcu/config.h"
#include "mcu/fdbudget.h"
#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

static struct config cfg;

static void test_cpu(void **state)
{
	(void)state;
	config_defaults(&cfg);
	struct admission *a = NULL;
	snprintf(cfg.cpu_budget, sizeof(cfg.cpu_budget), "lots");
	assert_int_equal(admission_create(&cfg, &a), MCU_EINVAL);
	snprintf(cfg.cpu_budget, sizeof(cfg.cpu_budget), "1.5");
	assert_int_equal(admission_create(&cfg, &a), 0);
	assert_true(admission_limits_cpu(a));
	assert_int_equal(admission_check_cpu(a, 1.4, "r"), 0);
	assert_int_equal(admission_check_cpu(a, 1.6, "r"), MCU_ELIMIT);
	struct port_info hd = { .sends_audio = true, .sends_video = true, .receives_audio = true,
				.receives_video = true, .profile = 0, .packetization_mode = 1 };
	struct port_info listener = { .receives_audio = true, .profile = 2 };
	double big = admission_new_room_cost(a, &hd), small = admission_new_room_cost(a, &listener);
	assert_true(big > small && small > 0);
	admission_destroy(a);

	snprintf(cfg.cpu_budget, sizeof(cfg.cpu_budget), "off");
	assert_int_equal(admission_create(&cfg, &a), 0);
	assert_false(admission_limits_cpu(a));
	assert_int_equal(admission_check_cpu(a, 1000, "r"), 0);
	admission_destroy(a);
	admission_destroy(NULL);
}

static void test_descriptors(void **state)
{
	(void)state;
	config_defaults(&cfg);
	struct admission *a = NULL;
	assert_int_equal(admission_create(&cfg, &a), 0);
	char err[160] = "";
	assert_int_equal(admission_take_fds(a, FDBUDGET_WEBRTC, err, sizeof(err)), 0);
	admission_give_fds(a, FDBUDGET_WEBRTC);
	assert_int_equal(admission_take_fds(a, 1 << 30, err, sizeof(err)), MCU_ERESOURCE);
	assert_non_null(strstr(err, "out of file descriptors"));
	admission_destroy(a);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
