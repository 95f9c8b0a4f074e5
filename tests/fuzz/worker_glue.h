// The only part of tests/fuzz that knows the runtime's API: EAL start-up, a
// ring-backed port, building a Worker from what the input chose, feeding it
// bursts, its clock, and today's counters as plain numbers (Tally). When the
// Worker changes shape, this file changes; fuzz_worker.cc should not.
#pragma once

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "runtime/worker.h"
#include "support/ring_port.h"
#include "wire/byteorder.h"

namespace synack::fuzz {

inline constexpr uint32_t kEngineIp = 0xC6120002;  // 198.18.0.2
inline constexpr uint16_t kMaxBurst = runtime::kBurst;

// What an input chooses about the Worker it runs against.
struct WorkerSetup {
  uint8_t cookie_mode = 1;  // 0 never, 1 overload, 2 always
  bool active_close = true;
  uint32_t response_len = 38;
  uint32_t backlog = 16;
  uint32_t max_flows = 64;
  bool rate_limit = false;
  bool short_timers = false;  // else the engine's defaults (TIME-WAIT 60 s, idle 300 s)
};

// Today's counters, summed the way check_accounting() reads them.
struct Tally {
  uint64_t rx_packets = 0;
  uint64_t arp_replies = 0;
  uint64_t icmp_echo_replies = 0;
  uint64_t pre_tcp_drops = 0;  // frames that never reached TCP: parse, not for us, options
  uint64_t tcp_drops = 0;      // TCP-level reasons, one per frame at most
  uint64_t no_mbuf = 0;        // counted per segment that could not be built, not per frame
  uint64_t connections_established = 0;
  uint64_t connections_ended = 0;  // closed + reset
};

class WorkerGlue {
 public:
  // EAL once per process: no hugepages, no PCI, no telemetry, a file prefix
  // of its own (SYNACK_FUZZ_FILE_PREFIX, so that scripts/fuzz.sh can remove
  // the runtime directory of a run that crashed; else one from the pid; a
  // clean exit removes it), and the main lcore allowed on every CPU so that
  // harnesses can run side by side.
  static bool init_eal(const char* argv0) {
    const char* prefix = std::getenv("SYNACK_FUZZ_FILE_PREFIX");
    const std::string file_prefix =
        prefix && *prefix ? std::string(prefix) : "synack-fuzz-" + std::to_string(getpid());
    const unsigned cpus = std::thread::hardware_concurrency();
    const std::string lcores =
        "0@(0" + (cpus > 1 ? "-" + std::to_string(cpus - 1) : std::string()) + ")";
    std::vector<std::string> args = {argv0,
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--no-telemetry",
                                     "--log-level=lib.eal:error",
                                     "--log-level=lib.ethdev:error",
                                     "--lcores=" + lcores,
                                     "--file-prefix=" + file_prefix};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) return false;
    std::string err;
    if (!port().open("fz", 4095, &err)) {
      std::fprintf(stderr, "ring port: %s\n", err.c_str());
      return false;
    }
    std::atexit(finish_eal);
    return true;
  }

  explicit WorkerGlue(const WorkerSetup& s) {
    cfg_.ip = kEngineIp;
    cfg_.ports = {80, 8080};
    cfg_.max_flows = s.max_flows;
    cfg_.backlog = s.backlog;
    cfg_.syncookies = static_cast<runtime::CookieMode>(s.cookie_mode % 3);
    cfg_.tx_csum_offload = false;  // replies carry real checksums, which the harness checks
    if (s.rate_limit) {
      cfg_.limiter.rate_per_source = 20;
      cfg_.limiter.burst_per_source = 4;
      cfg_.limiter.rate_per_prefix = 100;
      cfg_.limiter.burst_per_prefix = 16;
      cfg_.limiter.entries = 256;
    }
    if (s.short_timers) {
      cfg_.endpoint.time_wait_ms = 100;
      cfg_.endpoint.idle_timeout_ms = 2000;
      cfg_.endpoint.rto_initial_ms = 200;
      cfg_.endpoint.synack_retries = 2;
      cfg_.endpoint.data_retries = 2;
    }
    cfg_.endpoint.active_close = s.active_close;
    cfg_.response.resize(s.response_len);
    for (uint32_t i = 0; i < s.response_len; i++)
      cfg_.response[i] = static_cast<uint8_t>('a' + i % 26);
    cfg_.endpoint.response_len = s.response_len;
    ctl_ =
        std::make_unique<runtime::ControlBlock>(cfg_.syncookies, tcp::CookieSecret{{1, 2}, {3, 4}});
    runtime::WorkerParams p;
    p.lcore_id = rte_lcore_id();
    p.port_id = port().port;
    p.pool = port().pool;
    p.mac = port().mac;
    p.tsc_hz = rte_get_tsc_hz();
    p.tsc_epoch = 1000000;
    p.isn_key = tcp::SipKey{5, 6};
    epoch_ = p.tsc_epoch;
    std::string err;
    worker_ = runtime::Worker::create(cfg_, *ctl_, p, &err);
    if (!worker_) {
      std::fprintf(stderr, "Worker::create: %s\n", err.c_str());
      std::abort();
    }
  }

  const runtime::RuntimeConfig& config() const { return cfg_; }
  static wire::MacAddr mac() { return port().mac; }
  static unsigned mbufs_in_use() { return rte_mempool_in_use_count(port().pool); }
  static unsigned mbufs_free() { return rte_mempool_avail_count(port().pool); }

  // A received frame: an mbuf holding a copy of the bytes (nullptr when the
  // pool is empty).
  static rte_mbuf* frame(const uint8_t* data, uint16_t len) { return port().frame(data, len); }
  static const uint8_t* bytes(const rte_mbuf* m) { return rte_pktmbuf_mtod(m, const uint8_t*); }
  static uint16_t length(const rte_mbuf* m) { return m->data_len; }
  // The next frame the worker transmitted; the caller frees it with release().
  static rte_mbuf* sent() { return port().sent(); }
  static void release(rte_mbuf* m) { rte_pktmbuf_free(m); }

  // One burst at time `ms`, then the TX buffer flushed to the ring.
  void burst(rte_mbuf** pkts, uint16_t n, uint64_t ms) {
    worker_->process_burst(pkts, n, tsc(ms));
    worker_->flush_tx();
  }
  // Timers and control at time `ms`, then the TX buffer flushed.
  void tick(uint64_t ms) {
    worker_->tick(tsc(ms));
    worker_->flush_tx();
  }

  void set_cookie_mode(uint8_t m) {
    ctl_->set_cookie_mode(static_cast<runtime::CookieMode>(m % 3));
  }
  void rotate_secret(uint64_t k) { ctl_->publish_secret(tcp::CookieSecret{{k, ~k}, {k + 1, k}}); }

  uint32_t flows_in_use() const { return worker_->flows_in_use(); }

  Tally tally() const {
    using runtime::DropReason;
    const runtime::WorkerCounters& c = worker_->counters();
    Tally t;
    t.rx_packets = c.rx_packets.get();
    t.arp_replies = c.arp_replies.get();
    t.icmp_echo_replies = c.icmp_echo_replies.get();
    t.connections_established = c.connections_established.get();
    t.connections_ended = c.connections_closed.get() + c.connections_reset.get();
    for (int r = 0; r < runtime::kNumDropReasons; r++) {
      const uint64_t n = c.drops[r].get();
      const auto reason = static_cast<DropReason>(r);
      if (reason == DropReason::no_mbuf)
        t.no_mbuf += n;
      else if (before_tcp(reason))
        t.pre_tcp_drops += n;
      else
        t.tcp_drops += n;
    }
    return t;
  }

 private:
  // Reasons a frame is dropped before any flow or listener sees it.
  static bool before_tcp(runtime::DropReason r) {
    using runtime::DropReason;
    switch (r) {
      case DropReason::truncated:
      case DropReason::unsupported_ethertype:
      case DropReason::bad_arp:
      case DropReason::bad_ip_header:
      case DropReason::bad_ip_checksum:
      case DropReason::fragment:
      case DropReason::unsupported_protocol:
      case DropReason::bad_icmp:
      case DropReason::bad_icmp_checksum:
      case DropReason::bad_tcp_header:
      case DropReason::bad_tcp_checksum:
      case DropReason::bad_source_address:
      case DropReason::not_for_us:
      case DropReason::multi_segment:
      case DropReason::bad_tcp_options:
        return true;
      default:
        return false;
    }
  }

  static testing::RingPort& port() {
    static testing::RingPort p;
    return p;
  }

  static void finish_eal() {
    port().close();
    const std::string dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  uint64_t tsc(uint64_t ms) const { return epoch_ + ms * (rte_get_tsc_hz() / 1000); }

  runtime::RuntimeConfig cfg_;
  std::unique_ptr<runtime::ControlBlock> ctl_;
  std::unique_ptr<runtime::Worker> worker_;
  uint64_t epoch_ = 0;
};

}  // namespace synack::fuzz
