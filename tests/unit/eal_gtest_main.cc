// gtest main for suites that need an EAL (see support/eal.h).
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "support/eal.h"

// Arguments gtest leaves go to the EAL: --force-max-simd-bitwidth=64 or
// =512 runs a suite's Workers on the scalar or AVX-512 SipHash batch (the
// default cap, 256, gives AVX2 where the CPU has it), as in the engine.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::vector<std::string> eal_args(argv + 1, argv + argc);
  if (!synack::testing::init_test_eal(argv[0], "synack-ut", "256", eal_args)) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  int rc = RUN_ALL_TESTS();
  synack::testing::finish_test_eal();
  return rc;
}
