#include "runtime/counters.h"

namespace synack::runtime {

const char* drop_reason_name(DropReason r) {
  static constexpr const char* kNames[] = {
#define SYNACK_DROP_NAME(name) #name,
      SYNACK_DROPS(SYNACK_DROP_NAME)
#undef SYNACK_DROP_NAME
  };
  return kNames[static_cast<int>(r)];
}

void CounterTotals::accumulate(const WorkerCounters& w) {
#define SYNACK_SUM(name, desc) name += w.name.get();
  SYNACK_COUNTERS(SYNACK_SUM)
#undef SYNACK_SUM
  for (int i = 0; i < kNumDropReasons; i++) drops[i] += w.drops[i].get();
  active_flows += w.active_flows.get();
  half_open_flows += w.half_open_flows.get();
  established_flows += w.established_flows.get();
  time_wait_flows += w.time_wait_flows.get();
  if (w.half_open_peak.get() > half_open_peak) half_open_peak = w.half_open_peak.get();
  lcores_in_cookie_mode += w.cookie_mode_active.get();
}

uint64_t CounterTotals::total_drops() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

}  // namespace synack::runtime
