#include "runtime/counters.h"

namespace synack::runtime {

const char* drop_reason_name(DropReason r) {
  static constexpr const char* kNames[] = {
#define SYNACK_DROP_NAME(e, name) #name,
      SYNACK_WIRE_DROPS(SYNACK_DROP_NAME) SYNACK_TCP_DROPS(SYNACK_DROP_NAME)
          SYNACK_RUNTIME_DROPS(SYNACK_DROP_NAME)
#undef SYNACK_DROP_NAME
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == kNumDropReasons);
  return kNames[static_cast<int>(r)];
}

const char* reply_kind_name(ReplyKind k) {
  static constexpr const char* kNames[] = {
#define SYNACK_REPLY_NAME(name) #name,
      SYNACK_REPLY_KINDS(SYNACK_REPLY_NAME)
#undef SYNACK_REPLY_NAME
  };
  return kNames[static_cast<int>(k)];
}

const char* client_failure_name(ClientFailure f) {
  static constexpr const char* kNames[] = {
#define SYNACK_CLIENT_FAILURE_NAME(name) #name,
      SYNACK_CLIENT_FAILURES(SYNACK_CLIENT_FAILURE_NAME)
#undef SYNACK_CLIENT_FAILURE_NAME
  };
  return kNames[static_cast<int>(f)];
}

void CounterTotals::accumulate(const WorkerCounters& w) {
#define SYNACK_SUM(name, desc) name += w.name.get();
  SYNACK_COUNTERS(SYNACK_SUM)
#undef SYNACK_SUM
  for (int i = 0; i < kNumDropReasons; i++) drops[i] += w.drops[i].get();
  for (int i = 0; i < tcp::kNumDrops; i++) rejected[i] += w.rejected[i].get();
  for (int i = 0; i < kNumReplyKinds; i++) answered[i] += w.answered[i].get();
  for (int i = 0; i < tcp::kNumStates; i++) states[i] += w.states[i].get();
  for (int i = 0; i < kNumClientFailures; i++) failed[i] += w.failed[i].get();
  open_connections += w.open_connections.get();
  lcores_done += w.client_done.get();
  lcores_no_arp += w.next_hop_failed.get();
  const uint64_t first = w.first_start_us.get();
  if (first != 0 && (first_start_us == 0 || first < first_start_us)) first_start_us = first;
  if (w.last_outcome_us.get() > last_outcome_us) last_outcome_us = w.last_outcome_us.get();
  active_flows += w.active_flows.get();
  time_wait_flows += w.time_wait_flows.get();
  if (w.half_open_peak.get() > half_open_peak) half_open_peak = w.half_open_peak.get();
  lcores_in_cookie_mode += w.cookie_mode_active.get();
}

uint64_t CounterTotals::total_drops() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

uint64_t CounterTotals::total_failed() const {
  uint64_t n = 0;
  for (uint64_t f : failed) n += f;
  return n;
}

uint64_t CounterTotals::total_answered() const {
  uint64_t n = 0;
  for (uint64_t a : answered) n += a;
  return n;
}

}  // namespace synack::runtime
