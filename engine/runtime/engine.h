// The control plane: brings the port and workers up, launches one loop per
// worker lcore, prints stats, serves telemetry, rotates cookie secrets, and
// tears everything down in order at the end. Runs on the main lcore.
#pragma once

#include <string>

#include "runtime/config.h"

namespace synack::runtime {

// Call after rte_eal_init. Returns the process exit code; start-up problems
// are reported as one line on stderr.
int run_engine(const RuntimeConfig& cfg);

}  // namespace synack::runtime
