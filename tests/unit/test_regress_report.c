/*
 * test_regress_report.c - the inputs in tests/fuzz/regress/report/ through the
 * checks of the report fuzz target (tests/fuzz/fuzz_report.c, included as is).
 */
#define LLVMFuzzerTestOneInput regress_report_one
#include "fuzz/fuzz_report.c"
#undef LLVMFuzzerTestOneInput

#include "fuzz/regress.h"

int main(void)
{
	return regress_run("tests/fuzz/regress/report", regress_report_one);
}
