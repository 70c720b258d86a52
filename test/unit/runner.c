/* Runs every Check suite of test/unit (the list is generated from the
 * check_*.c files) and fails when any test fails. `check_runner <suite>`
 * runs one suite. */
#include <check.h>
#include <stdlib.h>

void lp_test_add_suites(SRunner *sr);

int main(int argc, char **argv)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	lp_test_add_suites(sr);
	srunner_run(sr, argc > 1 ? argv[1] : NULL, NULL, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
