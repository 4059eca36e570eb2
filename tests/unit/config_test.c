/* config_test.c - defaults, the file format, command-line overrides, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "mcu/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_defaults(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.listen, "0.0.0.0:8080");
	assert_string_equal(cfg.cors_origin, "*");
	assert_int_equal(cfg.max_body_bytes, 65536);
	assert_true(cfg.auto_create_rooms);
	assert_string_equal(cfg.operator_key, "");
	assert_string_equal(cfg.log_level, "info");
}

static char *write_temp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/config_test_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_file_and_args(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	char *path = write_temp("# comment\n\nlisten = 127.0.0.1:9000  # trailing\n"
				"auto_create_rooms = false\nmax_body_bytes=2048\n");
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(cfg.listen, "127.0.0.1:9000");
	assert_false(cfg.auto_create_rooms);
	assert_int_equal(cfg.max_body_bytes, 2048);

	char *argv[] = { "mcu", "-c", "x.conf", "--listen=127.0.0.1:9100",
			 "--operator_key=s3cret", NULL };
	assert_int_equal(config_apply_args(&cfg, 5, argv, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "127.0.0.1:9100");
	assert_string_equal(cfg.operator_key, "s3cret");
}

static void test_errors(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "nope", "1", err, sizeof(err)), MCU_ENOTFOUND);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(config_set(&cfg, "max_body_bytes", "12x", err, sizeof(err)), MCU_EINVAL);
	assert_int_equal(config_set(&cfg, "max_body_bytes", "1", err, sizeof(err)), MCU_EINVAL);
	assert_int_equal(config_set(&cfg, "auto_create_rooms", "maybe", err, sizeof(err)), MCU_EINVAL);

	char *path = write_temp("listen 127.0.0.1\n");
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), MCU_EINVAL);
	assert_non_null(strstr(err, ":1:"));
	unlink(path);
	assert_int_equal(config_load_file(&cfg, "/nonexistent/x.conf", err, sizeof(err)), MCU_EIO);

	char *argv[] = { "mcu", "--bogus=1", NULL };
	assert_int_equal(config_apply_args(&cfg, 2, argv, err, sizeof(err)), MCU_ENOTFOUND);
	char *argv2[] = { "mcu", "--listen", NULL };
	assert_int_equal(config_apply_args(&cfg, 2, argv2, err, sizeof(err)), MCU_EINVAL);
}

/* The shipped config file must parse and set every key it names. */
static void test_shipped_config(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	int rc = config_load_file(&cfg, "configs/mcu.conf", err, sizeof(err));
	if (rc)
		fail_msg("configs/mcu.conf: %s", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_and_args),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shipped_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
