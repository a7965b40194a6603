/*
 * test_regress_hit.c - the inputs in tests/fuzz/regress/hit/ through the
 * checks of the hit fuzz target (tests/fuzz/fuzz_hit.c, included as is).
 */
#define LLVMFuzzerTestOneInput regress_hit_one
#include "fuzz/fuzz_hit.c"
#undef LLVMFuzzerTestOneInput

#include "fuzz/regress.h"

int main(void)
{
	return regress_run("tests/fuzz/regress/hit", regress_hit_one);
}
