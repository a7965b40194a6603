/*
 * test_regress_config.c - the inputs in tests/fuzz/regress/config/
 * through the checks of the config fuzz target (tests/fuzz/fuzz_config.c,
 * included as is).
 */
#define LLVMFuzzerTestOneInput regress_config_one
#include "fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput

#include "fuzz/regress.h"

int main(void)
{
	return regress_run("tests/fuzz/regress/config", regress_config_one);
}
