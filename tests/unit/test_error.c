/* tests/unit/test_error.c — the error table: every code has a distinct name and a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static const int codes[] = {
#define X(name, value, msg) name,
    E2U_ERROR_TABLE(X)
#undef X
};

static void test_names_and_messages(void **state)
{
    (void)state;
    size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(e2u_strerror(codes[i]), "unknown error");
        assert_string_not_equal(e2u_errname(codes[i]), "E2U_UNKNOWN");
        for (size_t k = i + 1; k < n; k++) {
            assert_int_not_equal(codes[i], codes[k]);
            assert_string_not_equal(e2u_errname(codes[i]), e2u_errname(codes[k]));
        }
    }
    assert_int_equal(E2U_OK, 0);
    assert_int_equal(E2U_ENOMEM, -ENOMEM); /* errno mirrored as negatives */
    assert_true(E2U_ENUMBER <= -1000);     /* project errors from -1000 */
    assert_string_equal(e2u_errname(E2U_ENUMBER), "E2U_ENUMBER");
    assert_string_equal(e2u_strerror(E2U_ENUMBER), "invalid telephone number");
    assert_string_equal(e2u_strerror(-99999), "unknown error");
    assert_string_equal(e2u_errname(12345), "E2U_UNKNOWN");
}

static void test_drop_reason_names(void **state)
{
    (void)state;
    assert_string_equal(e2u_drop_reason_name(E2U_DROP_NO_MATCH), "no-match");
    assert_string_equal(e2u_drop_reason_name(E2U_DROP_FLAGS), "unsupported-flags");
    assert_string_equal(e2u_drop_reason_name(E2U_DROP_LOOP), "loop");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_messages),
        cmocka_unit_test(test_drop_reason_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
