/* config_test.c - defaults, the file format, command-line overrides, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Every secret has a *_file twin that reads it from a file: one line, its
 * newline (LF or CRLF) dropped, from the file, the command line or
 * config_set alike; an empty value reads nothing. */
static void test_secret_files(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	static const struct {
		const char *key;
		size_t offset;
	} secrets[] = {
		{ "operator_key_file", offsetof(struct config, operator_key) },
		{ "join_secret_file", offsetof(struct config, join_secret) },
		{ "ice_credential_file", offsetof(struct config, ice_credential) },
		{ "ice_secret_file", offsetof(struct config, ice_secret) },
		{ "webhook_secret_file", offsetof(struct config, webhook_secret) },
	};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "secret of %s\r\n", secrets[i].key);
		char *path = write_temp(text);
		assert_int_equal(config_set(&cfg, secrets[i].key, path, err, sizeof(err)), 0);
		unlink(path);
		text[strlen(text) - 2] = '\0';
		assert_string_equal((char *)&cfg + secrets[i].offset, text);
	}
	assert_int_equal(config_set(&cfg, "operator_key_file", "", err, sizeof(err)), 0);
	assert_string_equal(cfg.operator_key, "secret of operator_key_file");

	char path[64]; /* write_temp's buffer is reused by the next call */
	snprintf(path, sizeof(path), "%s", write_temp("from-a-file\n"));
	char line[128];
	snprintf(line, sizeof(line), "join_secret_file = %s\n", path);
	char *conf = write_temp(line);
	assert_int_equal(config_load_file(&cfg, conf, err, sizeof(err)), 0);
	unlink(conf);
	assert_string_equal(cfg.join_secret, "from-a-file");
	/* Group- or world-readable is warned about, not refused. */
	assert_int_equal(chmod(path, 0644), 0);
	char arg[128];
	snprintf(arg, sizeof(arg), "--operator_key_file=%s", path);
	char *argv[] = { "mcu", arg, NULL };
	assert_int_equal(config_apply_args(&cfg, 2, argv, err, sizeof(err)), 0);
	assert_string_equal(cfg.operator_key, "from-a-file");
	unlink(path);
}

/* A secret file that cannot give one line of secret stops the start with
 * a message that names the key and the path, never the secret; the secret
 * keeps its value. */
static void test_secret_file_errors(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "operator_key", "kept", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "operator_key_file", "/nonexistent/key", err, sizeof(err)),
			 MCU_EIO);
	assert_non_null(strstr(err, "operator_key_file"));
	assert_non_null(strstr(err, "/nonexistent/key"));
	assert_int_equal(config_set(&cfg, "operator_key_file", "/tmp", err, sizeof(err)), MCU_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	char long_text[300];
	memset(long_text, 'k', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	const char *bad[] = { "", "\n", "\r\n\n", "topsecret\nsecond line\n", long_text };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_temp(bad[i]);
		err[0] = '\0';
		assert_int_equal(config_set(&cfg, "operator_key_file", path, err, sizeof(err)),
				 MCU_EINVAL);
		assert_non_null(strstr(err, path));
		assert_null(strstr(err, "topsecret"));
		assert_null(strstr(err, "kkkk"));
		unlink(path);
	}
	char *path = write_temp("nul\0inside");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite("nul\0inside", 1, 10, f), 10);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_set(&cfg, "operator_key_file", path, err, sizeof(err)), MCU_EINVAL);
	unlink(path);
	assert_string_equal(cfg.operator_key, "kept");
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
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_secret_file_errors),
		cmocka_unit_test(test_shipped_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
