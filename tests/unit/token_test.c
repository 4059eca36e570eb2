/* token_test.c - join tokens: minted ones check out for their room until
 * they expire; another room's is told apart; forged, truncated and
 * malformed ones are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/token.h"

#include <string.h>

static void test_mint_and_check(void **state)
{
	(void)state;
	char t[TOKEN_MAX];
	assert_int_equal(token_mint("s3cret", "lobby", 1000123456, 60, t), 0);
	assert_non_null(strstr(t, "lobby.1000123456.1060."));
	int64_t minted = 0;
	assert_int_equal(token_check("s3cret", t, "lobby", 1000, &minted), TOKEN_OK);
	assert_true(minted == 1000123456); /* the mint time, to the µs */
	minted = 0;
	assert_int_equal(token_check("s3cret", t, "other", 1000, &minted), TOKEN_OTHER_ROOM);
	assert_true(minted == 1000123456);
	assert_int_equal(token_check("s3cret", t, "lobby", 1059, NULL), TOKEN_OK);
	assert_int_equal(token_check("s3cret", t, "lobby", 1060, NULL), TOKEN_EXPIRED);
	assert_int_equal(token_check("s3cret", t, "other", 1000, NULL), TOKEN_OTHER_ROOM);
	assert_int_equal(token_check("s3cret", t, "lobb", 1000, NULL), TOKEN_OTHER_ROOM);
	assert_int_equal(token_check("wrong", t, "lobby", 1000, NULL), TOKEN_BAD);
	char t2[TOKEN_MAX];
	assert_int_equal(token_mint("s3cret", "lobby", 1000123456, 60, t2), 0);
	assert_string_not_equal(t, t2); /* a nonce each */
}

static void test_forged(void **state)
{
	(void)state;
	char t[TOKEN_MAX], f[TOKEN_MAX];
	assert_int_equal(token_mint("s3cret", "lobby", 1000123456, 60, t), 0);
	/* A longer life, a later mint time or another room written over a
	 * genuine MAC. */
	strcpy(f, t);
	memcpy(strstr(f, ".1060."), ".9060.", 6);
	assert_int_equal(token_check("s3cret", f, "lobby", 1000, NULL), TOKEN_BAD);
	strcpy(f, t);
	memcpy(strstr(f, "1000123456"), "9000123456", 10);
	assert_int_equal(token_check("s3cret", f, "lobby", 1000, NULL), TOKEN_BAD);
	strcpy(f, t);
	f[0] = 'L';
	assert_int_equal(token_check("s3cret", f, "Lobby", 1000, NULL), TOKEN_BAD);
	/* Every truncation, and a flipped MAC digit. */
	for (size_t n = 0; n < strlen(t); n++) {
		memcpy(f, t, n);
		f[n] = '\0';
		assert_int_equal(token_check("s3cret", f, "lobby", 1000, NULL), TOKEN_BAD);
	}
	strcpy(f, t);
	f[strlen(f) - 1] = f[strlen(f) - 1] == '0' ? '1' : '0';
	assert_int_equal(token_check("s3cret", f, "lobby", 1000, NULL), TOKEN_BAD);
	assert_int_equal(token_check("s3cret", "", "lobby", 1000, NULL), TOKEN_BAD);
	assert_int_equal(token_check("s3cret", "....", "lobby", 1000, NULL), TOKEN_BAD);
	assert_int_equal(token_check("", t, "lobby", 1000, NULL), TOKEN_BAD);
	assert_int_equal(token_check("s3cret", NULL, "lobby", 1000, NULL), TOKEN_BAD);
	char big[TOKEN_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(token_check("s3cret", big, "lobby", 1000, NULL), TOKEN_BAD);
}

static void test_mint_refuses(void **state)
{
	(void)state;
	char t[TOKEN_MAX];
	assert_int_equal(token_mint("", "lobby", 0, 60, t), MCU_EINVAL);
	assert_int_equal(token_mint("s", "", 0, 60, t), MCU_EINVAL);
	assert_int_equal(token_mint("s", "a.b", 0, 60, t), MCU_EINVAL);
	assert_int_equal(token_mint("s", "lobby", 0, 0, t), MCU_EINVAL);
	assert_int_equal(token_mint("s", "lobby", -1, 60, t), MCU_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mint_and_check),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_mint_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
