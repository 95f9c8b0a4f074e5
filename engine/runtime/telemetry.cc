#include "runtime/telemetry.h"

#include "runtime/stats.h"

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
  auto scalar = [d](const char* name, uint64_t v) { rte_tel_data_add_dict_u64(d, name, v); };
  auto group = [d](const char* name, int from, int n, auto name_of, const uint64_t* v) {
    rte_tel_data* g = rte_tel_data_alloc();
    if (g == nullptr) return;
    rte_tel_data_start_dict(g);
    for (int i = from; i < n; i++) rte_tel_data_add_dict_u64(g, name_of(i), v[i]);
    rte_tel_data_add_dict_container(d, name, g, 0);
  };
  visit_totals(t, scalar, group);
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
  // Refused when a third rotation inside one cookie lifetime would make the
  // workers forget a secret that cookies in flight may carry.
  if (!g_hooks.rotate_secret()) return -EBUSY;
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
