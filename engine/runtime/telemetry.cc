#include "runtime/telemetry.h"

#include <rte_telemetry.h>

#include <mutex>
#include <string>

namespace synack::runtime {

namespace {

// rte_telemetry callbacks take no user pointer, so the hooks live here,
// guarded against teardown while the telemetry thread runs a command.
std::mutex g_mu;
TelemetryHooks g_hooks;
bool g_registered = false;

void add_totals(rte_tel_data* d, const CounterTotals& t) {
#define SYNACK_TEL_FIELD(name, desc) rte_tel_data_add_dict_u64(d, #name, t.name);
  SYNACK_COUNTERS(SYNACK_TEL_FIELD)
#undef SYNACK_TEL_FIELD
  rte_tel_data_add_dict_u64(d, "active_flows", t.active_flows);
  rte_tel_data_add_dict_u64(d, "half_open_flows", t.half_open_flows);
  rte_tel_data_add_dict_u64(d, "established_flows", t.established_flows);
  rte_tel_data_add_dict_u64(d, "time_wait_flows", t.time_wait_flows);
  rte_tel_data_add_dict_u64(d, "half_open_peak", t.half_open_peak);
  rte_tel_data_add_dict_u64(d, "lcores_in_cookie_mode", t.lcores_in_cookie_mode);
  rte_tel_data* rej = rte_tel_data_alloc();
  if (rej) {
    rte_tel_data_start_dict(rej);
    rte_tel_data_add_dict_u64(rej, "bad_hash",
                              t.drops[static_cast<int>(DropReason::cookie_bad_hash)]);
    rte_tel_data_add_dict_u64(rej, "too_old",
                              t.drops[static_cast<int>(DropReason::cookie_too_old)]);
    rte_tel_data_add_dict_container(d, "cookies_rejected", rej, 0);
  }
  rte_tel_data* drops = rte_tel_data_alloc();
  if (drops) {
    rte_tel_data_start_dict(drops);
    for (int i = 0; i < kNumDropReasons; i++)
      rte_tel_data_add_dict_u64(drops, drop_reason_name(static_cast<DropReason>(i)), t.drops[i]);
    rte_tel_data_add_dict_container(d, "drops", drops, 0);
  }
}

int cmd_stats(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_hooks.totals) return -1;
  rte_tel_data_start_dict(d);
  add_totals(d, g_hooks.totals());
  rte_tel_data_add_dict_string(d, "syncookies", cookie_mode_name(g_hooks.control->cookie_mode()));
  return 0;
}

int cmd_syncookies(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_hooks.control) return -1;
  if (params && *params) {
    CookieMode m;
    if (!parse_cookie_mode(params, &m)) return -EINVAL;
    g_hooks.control->set_cookie_mode(m);
  }
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "mode", cookie_mode_name(g_hooks.control->cookie_mode()));
  return 0;
}

int cmd_rotate(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_hooks.rotate_secret) return -1;
  g_hooks.rotate_secret();
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "secret_generation", g_hooks.control->secret_generation());
  return 0;
}

}  // namespace

void telemetry_attach(const TelemetryHooks& hooks) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_hooks = hooks;
  if (g_registered) return;
  g_registered = true;
  rte_telemetry_register_cmd("/synack/stats", cmd_stats,
                             "Every synack counter summed over lcores. No parameters");
  rte_telemetry_register_cmd("/synack/syncookies", cmd_syncookies,
                             "Read or set the SYN-cookie mode. Parameter: never|overload|always");
  rte_telemetry_register_cmd("/synack/rotate_secret", cmd_rotate,
                             "Rotate the SYN-cookie secret now. No parameters");
}

void telemetry_detach() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_hooks = TelemetryHooks{};
}

}  // namespace synack::runtime
