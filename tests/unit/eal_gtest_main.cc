// gtest main for suites that need an EAL: no hugepages, no PCI, and a file
// prefix unique to this process so suites can run in parallel.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::string prefix = "--file-prefix=synack-ut-" + std::to_string(getpid());
  std::vector<std::string> args = {argv[0], "--no-huge", "-m", "256", "--no-pci",
                                   "--no-telemetry", "--log-level=lib.eal:error",
                                   "-l", "0", prefix};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
