// EAL start-up for unit tests and benchmarks: no hugepages, no PCI, no
// telemetry, one lcore, and a file prefix unique to the process so several
// can run at once.
#pragma once

#include <rte_eal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace synack::testing {

// `extra` EAL options come last (a test's --force-max-simd-bitwidth=N).
inline bool init_test_eal(const char* argv0, const char* tag, const char* memory_mb = "256",
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      argv0,
      "--no-huge",
      "-m",
      memory_mb,
      "--no-pci",
      "--no-telemetry",
      "--log-level=lib.eal:error",
      "-l",
      "0",
      std::string("--file-prefix=") + tag + "-" + std::to_string(getpid())};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
}

// rte_eal_cleanup, then the runtime directory EAL leaves behind
// (/var/run/dpdk/PREFIX), so test runs do not pile them up.
inline void finish_test_eal() {
  std::string dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace synack::testing
