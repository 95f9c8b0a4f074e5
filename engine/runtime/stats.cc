#include "runtime/stats.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace synack::runtime {

const char* cookie_mode_name(CookieMode m) {
  switch (m) {
    case CookieMode::kNever:
      return "never";
    case CookieMode::kOverload:
      return "overload";
    case CookieMode::kAlways:
      return "always";
  }
  return "?";
}

bool parse_cookie_mode(const std::string& s, CookieMode* out) {
  for (CookieMode m : {CookieMode::kNever, CookieMode::kOverload, CookieMode::kAlways}) {
    if (s == cookie_mode_name(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

namespace {
uint64_t cookies_rejected(const CounterTotals& t) {
  return t.cookies_bad_hash + t.cookies_too_old;
}
double rate(uint64_t cur, uint64_t prev, double dt) {
  return dt > 0 ? static_cast<double>(cur - prev) / dt : 0;
}
std::string ip_text(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}
}  // namespace

std::string format_stats_line(const CounterTotals& c, const CounterTotals& p, double dt,
                              CookieMode mode) {
  using tcp::State;
  auto ul = [](uint64_t v) { return static_cast<unsigned long>(v); };
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "rx %.0f pps  tx %.0f pps | new conn %.0f/s  est %lu  tw %lu  half-open %lu  "
                "flows %lu | syn %.0f/s  cookies %.0f/s (valid %.0f/s, rejected %.0f/s, mode %s%s) "
                "ratelimited %.0f/s | rst %.0f/s | drops %.0f/s (total %lu) | port imissed %lu "
                "ierrors %lu rx_nombuf %lu oerrors %lu",
                rate(c.rx_packets, p.rx_packets, dt), rate(c.tx_packets, p.tx_packets, dt),
                rate(c.connections_established, p.connections_established, dt),
                ul(c.state(State::kEstablished)), ul(c.time_wait_flows),
                ul(c.state(State::kSynReceived)), ul(c.active_flows),
                rate(c.syn_received, p.syn_received, dt), rate(c.cookies_sent, p.cookies_sent, dt),
                rate(c.cookies_validated, p.cookies_validated, dt),
                rate(cookies_rejected(c), cookies_rejected(p), dt), cookie_mode_name(mode),
                c.lcores_in_cookie_mode ? ", active" : "",
                rate(c.syn_rate_limited, p.syn_rate_limited, dt), rate(c.rst_sent, p.rst_sent, dt),
                rate(c.total_drops(), p.total_drops(), dt), ul(c.total_drops()), ul(c.port.imissed),
                ul(c.port.ierrors), ul(c.port.rx_nombuf), ul(c.port.oerrors));
  return buf;
}

std::string format_no_arp_notice(uint32_t next_hop, uint32_t target_ip, uint16_t target_port) {
  std::string s = "no ARP reply from " + ip_text(next_hop);
  if (next_hop != target_ip) {
    s += " (gateway to " + ip_text(target_ip) + ":" + std::to_string(target_port) + ")";
  } else {
    s += " (the target, port " + std::to_string(target_port) + ")";
  }
  return s + ": connections fail no_arp until it answers";
}

double client_span_s(const CounterTotals& t) {
  if (t.first_start_us == 0 || t.last_outcome_us < t.first_start_us) return 0;
  return static_cast<double>(t.last_outcome_us - t.first_start_us) / 1e6;
}

std::string format_client_line(const CounterTotals& c, const CounterTotals& p, double dt,
                               const ClientLatency& l, uint32_t next_hop) {
  std::string failed;
  for (int i = 0; i < kNumClientFailures; i++) {
    if (c.failed[i] == 0) continue;
    if (!failed.empty()) failed += " ";
    failed += std::string(client_failure_name(static_cast<ClientFailure>(i))) + " " +
              std::to_string(c.failed[i]);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "started %lu completed %lu failed %lu%s%s%s cps %.0f concurrency %lu connect p50 "
                "%luus p99 %luus response p50 %luus p99 %luus",
                static_cast<unsigned long>(c.connections_started),
                static_cast<unsigned long>(c.connections_completed),
                static_cast<unsigned long>(c.total_failed()), failed.empty() ? "" : " (",
                failed.c_str(), failed.empty() ? "" : ")",
                rate(c.connections_completed, p.connections_completed, dt),
                static_cast<unsigned long>(c.open_connections),
                static_cast<unsigned long>(l.connect.value_at_percentile(50)),
                static_cast<unsigned long>(l.connect.value_at_percentile(99)),
                static_cast<unsigned long>(l.response.value_at_percentile(50)),
                static_cast<unsigned long>(l.response.value_at_percentile(99)));
  std::string line = buf;
  if (c.lcores_no_arp != 0) line += ", no ARP reply from " + ip_text(next_hop);
  return line;
}

std::string to_json(const ExitReport& r) {
  std::string s = "{";
  auto field = [&s](const char* name, uint64_t v) {
    s += "\"";
    s += name;
    s += "\":" + std::to_string(v) + ",";
  };
  auto group = [&s](const char* name, int from, int n, auto name_of, const uint64_t* v) {
    s += "\"";
    s += name;
    s += "\":{";
    for (int i = from; i < n; i++) {
      if (i != from) s += ",";
      s += "\"";
      s += name_of(i);
      s += "\":" + std::to_string(v[i]);
    }
    s += "},";
  };
  visit_totals(r.totals, field, group);
  field("mbufs_in_use", r.mbufs_in_use);
  field("mbufs_total", r.mbufs_total);
  field("workers", r.workers);
  field("flow_table_bytes", r.flow_table_bytes);
  field("flow_capacity", r.flow_capacity);
  field("time_wait_bytes", r.time_wait_bytes);
  field("time_wait_capacity", r.time_wait_capacity);
  if (r.client) {
    s += "\"mode\":\"client\",";
    const double span = client_span_s(r.totals);
    const double cps = span > 0 ? static_cast<double>(r.totals.connections_completed) / span : 0;
    s += "\"client_span_s\":" + std::to_string(span) + ",";
    s += "\"cps\":" + std::to_string(cps) + ",";
    s += "\"connect_latency_us\":" + latency_json(r.latency.connect) + ",";
    s += "\"response_latency_us\":" + latency_json(r.latency.response) + ",";
  } else {
    s += "\"mode\":\"server\",";
  }
  s += "\"syncookies\":\"" + std::string(cookie_mode_name(r.mode)) + "\",";
  s += "\"uptime_s\":" + std::to_string(r.uptime_s) + "}";
  return s;
}

bool write_file(const std::string& path, const std::string& text, std::string* err) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    *err = path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fputc('\n', f) != EOF && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) *err = path + ": write failed";
  return ok;
}

}  // namespace synack::runtime
