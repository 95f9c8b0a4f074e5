// Reporting: the periodic stats line and the JSON object written at exit.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/config.h"
#include "runtime/counters.h"

namespace synack::runtime {

// One line summarising the interval between `prev` and `cur` (dt_s seconds).
std::string format_stats_line(const CounterTotals& cur, const CounterTotals& prev, double dt_s,
                              CookieMode mode);

struct ExitReport {
  CounterTotals totals;
  uint64_t mbufs_in_use = 0;
  uint64_t mbufs_total = 0;
  uint32_t workers = 0;
  double uptime_s = 0;
  CookieMode mode = CookieMode::kOverload;
};

// Every counter as one JSON object (keys are the counter names; drops and
// cookies_rejected are objects of reason -> count).
std::string to_json(const ExitReport& r);
bool write_file(const std::string& path, const std::string& text, std::string* err);

}  // namespace synack::runtime
