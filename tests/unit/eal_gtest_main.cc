// gtest main for suites that need an EAL (see support/eal.h).
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>

#include "support/eal.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (!synack::testing::init_test_eal(argv[0], "synack-ut")) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  int rc = RUN_ALL_TESTS();
  synack::testing::finish_test_eal();
  return rc;
}
