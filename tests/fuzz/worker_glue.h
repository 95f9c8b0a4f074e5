// The only part of tests/fuzz that knows the runtime's API: EAL start-up, a
// ring-backed port, building a Worker (server or client mode) from what the
// input chose, feeding it bursts, its clock and client pumps, and its
// counters as plain numbers (Tally). When the Worker changes shape, this file
// changes; fuzz_worker.cc should not.
#pragma once

#include <rte_cycles.h>
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
#include "tcp/siphash_batch.h"
#include "wire/byteorder.h"
#include "wire/frame.h"

namespace synack::fuzz {

inline constexpr uint32_t kEngineIp = 0xC6120002;  // 198.18.0.2 (the first of a range)
inline constexpr uint32_t kTargetIp = 0xC6120164;  // 198.18.1.100: client mode's server
inline constexpr uint16_t kTargetPort = 80;
inline constexpr uint16_t kMaxBurst = runtime::kBurst;

// What an input chooses about the Worker it runs against.
struct WorkerSetup {
  uint8_t cookie_mode = 1;  // 0 never, 1 overload, 2 always
  bool active_close = true;
  uint32_t response_len = 38;
  uint32_t backlog = 16;
  uint32_t max_flows = 64;
  uint32_t max_time_wait = 64;
  bool rate_limit = false;
  bool short_timers = false;     // else the engine's defaults (TIME-WAIT 60 s, idle 300 s)
  bool rx_csum_offload = false;  // the port says which checksums it verified (mbuf ol_flags)
  bool accept_other_host = false;
  bool address_range = false;  // own kEngineIp .. +3 in a /24 (a directed broadcast)
  uint8_t sip = 0;             // SipHash batch variant: 0 scalar, 1 AVX2, 2 AVX-512, 3 widest
  uint64_t ms_offset = 0;      // where the Worker's millisecond clock starts
  // Client mode (RuntimeConfig::client_mode), its server at kTargetIp:kTargetPort.
  bool client = false;
  uint32_t requests_per_connection = 1;
  uint32_t connections = 12;
  uint32_t concurrency = 4;
  uint32_t rate = 0;  // connections per second; 0 = closed loop
  bool head_requests = false;
  bool last_request_differs = false;
};

// The counters, summed the way fuzz_worker.cc reads them.
struct Tally {
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_dropped = 0;
  uint64_t tx_no_mbuf = 0;
  uint64_t consumed = 0;
  uint64_t answered[runtime::kNumReplyKinds] = {};
  uint64_t drops[runtime::kNumDropReasons] = {};
  uint64_t rejected = 0;  // all reasons
  uint64_t failed[runtime::kNumClientFailures] = {};
  uint64_t connections_established = 0;
  uint64_t connections_closed = 0;
  uint64_t connections_reset = 0;
  uint64_t time_wait_entered = 0;
  uint64_t time_wait_ended = 0;  // expired + recycled + reused + reset
  uint64_t requests = 0;
  uint64_t connections_started = 0;
  uint64_t connections_completed = 0;
  uint64_t requests_sent = 0;
  uint64_t responses_received = 0;
  uint64_t arp_requests_sent = 0;

  uint64_t total_answered() const {
    uint64_t n = 0;
    for (uint64_t a : answered) n += a;
    return n;
  }
  uint64_t total_drops() const {
    uint64_t n = 0;
    for (uint64_t d : drops) n += d;
    return n;
  }
  uint64_t total_failed() const {
    uint64_t n = 0;
    for (uint64_t f : failed) n += f;
    return n;
  }
  uint64_t answered_as(runtime::ReplyKind k) const { return answered[static_cast<int>(k)]; }
  uint64_t dropped_for(runtime::DropReason r) const { return drops[static_cast<int>(r)]; }
};

// Stopgap until the Worker has a public way to run the client's schedule on
// the caller's clock: run() calls client_pump() between rx_burst and tick()
// on rte_rdtsc(), which a fuzzer cannot drive. An explicit instantiation may
// name a private member (C++20 [temp.spec]/6), which hands its address out
// here and nowhere else.
using ClientPumpFn = void (runtime::Worker::*)();
ClientPumpFn client_pump_member();
template <ClientPumpFn F>
struct ClientPumpAccess {
  friend ClientPumpFn client_pump_member() { return F; }
};
template struct ClientPumpAccess<&runtime::Worker::client_pump>;

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

  explicit WorkerGlue(const WorkerSetup& s) : setup_(s) {
    cfg_.ip = kEngineIp;
    cfg_.ip_last = s.address_range ? kEngineIp + 3 : kEngineIp;
    cfg_.prefix_len = s.address_range ? 24 : 32;
    cfg_.ports = {80, 8080};
    cfg_.max_flows = s.max_flows;
    cfg_.max_time_wait = s.max_time_wait;
    cfg_.backlog = s.backlog;
    // The RX ring's reserve (pool_reserve_ in worker.cc) stays well below what
    // the pool keeps free between bursts, so no reply waits for an mbuf.
    cfg_.rx_desc = 64;
    cfg_.syncookies = static_cast<runtime::CookieMode>(s.cookie_mode % 3);
    cfg_.accept_other_host = s.accept_other_host;
    cfg_.tx_csum_offload = false;  // replies carry real checksums, which the harness checks
    if (s.rate_limit && !s.client) {
      cfg_.limiter.rate_per_source = 20;
      cfg_.limiter.burst_per_source = 4;
      cfg_.limiter.rate_per_prefix = 100;
      cfg_.limiter.burst_per_prefix = 16;
      cfg_.limiter.entries = 256;
    }
    if (s.short_timers) {
      cfg_.endpoint.time_wait_ms = 100;
      cfg_.endpoint.idle_timeout_ms = 2000;
      cfg_.endpoint.fin_timeout_ms = 3000;
      cfg_.endpoint.rto_initial_ms = 200;
      cfg_.endpoint.synack_retries = 2;
      cfg_.endpoint.data_retries = 2;
    }
    cfg_.active_close = s.active_close;
    cfg_.response.resize(s.response_len);
    for (uint32_t i = 0; i < s.response_len; i++)
      cfg_.response[i] = static_cast<uint8_t>('a' + i % 26);
    if (s.client) {
      cfg_.client_mode = true;
      cfg_.ports.clear();
      runtime::ClientConfig& c = cfg_.client;
      c.target_ip = kTargetIp;
      c.target_port = kTargetPort;
      c.rate = s.rate;
      c.connections = s.connections;
      c.concurrency = s.concurrency;
      c.requests_per_connection = s.requests_per_connection;
      const std::string req = std::string(s.head_requests ? "HEAD" : "GET") +
                              " / HTTP/1.1\r\nHost: 198.18.1.100\r\n\r\n";
      c.request.assign(req.begin(), req.end());
      if (s.last_request_differs) {
        const std::string last = "GET /last HTTP/1.1\r\nHost: 198.18.1.100\r\n\r\n";
        c.last_request.assign(last.begin(), last.end());
      }
    }
    ctl_ = std::make_unique<runtime::ControlBlock>(cfg_.syncookies,
                                                   tcp::CookieSecret{{0x0123456789abcdefull, 2}});
    runtime::WorkerParams p;
    p.lcore_id = rte_lcore_id();
    p.port_id = port().port;
    p.pool = port().pool;
    p.mac = port().mac;
    p.rx_csum_offload = s.rx_csum_offload;
    p.tsc_hz = rte_get_tsc_hz();
    p.tsc_epoch = kEpoch;
    p.ms_offset = s.ms_offset;
    p.isn_key = tcp::SipKey{5, 6};
    p.flow_key = tcp::SipKey{7, 8};
    p.limiter_key = tcp::SipKey{9, 10};
    p.sip_lanes = lanes(s.sip);
    std::string err;
    worker_ = runtime::Worker::create(cfg_, *ctl_, p, &err);
    if (!worker_) {
      std::fprintf(stderr, "Worker::create: %s\n", err.c_str());
      std::abort();
    }
  }

  const runtime::RuntimeConfig& config() const { return cfg_; }
  const WorkerSetup& setup() const { return setup_; }
  static wire::MacAddr mac() { return port().mac; }
  static unsigned mbufs_in_use() { return rte_mempool_in_use_count(port().pool); }
  static unsigned mbufs_free() { return rte_mempool_avail_count(port().pool); }
  // What the Worker's parser is told about us (worker.cc fills its own the same way).
  wire::ParseContext parse_context() const {
    wire::ParseContext pc;
    pc.our_mac = mac();
    pc.our_ip = cfg_.ip;
    pc.our_ip_last = cfg_.ip_last;
    pc.our_broadcast = cfg_.broadcast();
    pc.accept_other_host = cfg_.accept_other_host;
    return pc;
  }

  // A received frame: an mbuf holding a copy of the bytes (nullptr when the
  // pool is empty), marked as a NIC marks what it verified when the setup has
  // RX checksum offload.
  rte_mbuf* frame(const uint8_t* data, uint16_t len, bool ip_csum_good, bool l4_csum_good) const {
    rte_mbuf* m = port().frame(data, len);
    if (m == nullptr || !setup_.rx_csum_offload) return m;
    m->ol_flags = (ip_csum_good ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN) |
                  (l4_csum_good ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN);
    return m;
  }
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
  // Client mode: what one lcore loop iteration opens at time `ms` (the clock
  // set by a tick first, as run() sets it before its pump), then flushed.
  void pump(uint64_t ms) {
    if (!cfg_.client_mode) return;
    worker_->tick(tsc(ms));
    ((*worker_).*client_pump_member())();
    worker_->flush_tx();
  }

  void set_cookie_mode(uint8_t m) {
    ctl_->set_cookie_mode(static_cast<runtime::CookieMode>(m % 3));
  }
  // False when the control block refuses (a secret still in its lifetime would go).
  bool rotate_secret(uint64_t k, uint64_t now_s) {
    return ctl_->publish_secret(tcp::CookieSecret{{k, ~k}}, now_s);
  }

  uint32_t flows_in_use() const { return worker_->flows_in_use(); }
  uint32_t time_wait_in_use() const { return worker_->time_wait_in_use(); }
  bool client_done() const { return worker_->client_done(); }

  Tally tally() const {
    const runtime::WorkerCounters& c = worker_->counters();
    Tally t;
    t.rx_packets = c.rx_packets.get();
    t.tx_packets = c.tx_packets.get();
    t.tx_dropped = c.tx_dropped.get();
    t.tx_no_mbuf = c.tx_no_mbuf.get();
    t.consumed = c.consumed.get();
    for (int i = 0; i < runtime::kNumReplyKinds; i++) t.answered[i] = c.answered[i].get();
    for (int i = 0; i < runtime::kNumDropReasons; i++) t.drops[i] = c.drops[i].get();
    for (int i = 0; i < tcp::kNumDrops; i++) t.rejected += c.rejected[i].get();
    for (int i = 0; i < runtime::kNumClientFailures; i++) t.failed[i] = c.failed[i].get();
    t.connections_established = c.connections_established.get();
    t.connections_closed = c.connections_closed.get();
    t.connections_reset = c.connections_reset.get();
    t.time_wait_entered = c.time_wait_entered.get();
    t.time_wait_ended = c.time_wait_expired.get() + c.time_wait_recycled.get() +
                        c.time_wait_reused.get() + c.time_wait_reset.get();
    t.requests = c.requests.get();
    t.connections_started = c.connections_started.get();
    t.connections_completed = c.connections_completed.get();
    t.requests_sent = c.requests_sent.get();
    t.responses_received = c.responses_received.get();
    t.arp_requests_sent = c.arp_requests_sent.get();
    return t;
  }

 private:
  static tcp::SipLanes lanes(uint8_t sip) {
    static constexpr tcp::SipLanes kLanes[] = {tcp::SipLanes::kScalar, tcp::SipLanes::kAvx2,
                                               tcp::SipLanes::kAvx512};
    if (sip >= 3) {
      for (int i = 2; i > 0; i--)
        if (tcp::sip_lanes_runnable(kLanes[i])) return kLanes[i];
      return tcp::SipLanes::kScalar;
    }
    return tcp::sip_lanes_runnable(kLanes[sip]) ? kLanes[sip] : tcp::SipLanes::kScalar;
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

  static constexpr uint64_t kEpoch = 1000000;
  uint64_t tsc(uint64_t ms) const { return kEpoch + ms * (rte_get_tsc_hz() / 1000); }

  WorkerSetup setup_;
  runtime::RuntimeConfig cfg_;
  std::unique_ptr<runtime::ControlBlock> ctl_;
  runtime::WorkerPtr worker_;  // after ctl_: destroyed first
};

}  // namespace synack::fuzz
