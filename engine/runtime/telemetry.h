// Runtime control through DPDK telemetry (usertools/dpdk-telemetry.py):
//   /synack/stats                    every counter, drops by reason
//   /synack/syncookies[,MODE]        read or set never|overload|always
//   /synack/rotate_secret            new SYN-cookie secret now
#pragma once

#include <functional>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"

namespace synack::runtime {

struct TelemetryHooks {
  ControlBlock* control = nullptr;
  std::function<CounterTotals()> totals;
  std::function<bool()> rotate_secret;  // false: refused (too soon)
};

// Registers the commands once per process; the hooks can be swapped (or
// cleared at teardown) at any time, safely against a command in flight.
void telemetry_attach(const TelemetryHooks& hooks);
void telemetry_detach();

}  // namespace synack::runtime
