// One run-to-completion worker per lcore (after DPDK's l3fwd): rx_burst of 32,
// parse, answer in place, buffered TX drained on a TSC interval, then timers.
// Everything it touches per packet is its own: flow table, timers, counters,
// codec copy. Nothing here allocates, locks or makes a syscall per packet.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <string>

#include "flow/flow_table.h"
#include "flow/source_limiter.h"
#include "flow/timer_wheel.h"
#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "tcp/isn.h"
#include "tcp/state_machine.h"
#include "tcp/syn_cookie.h"
#include "wire/frame.h"

namespace synack::runtime {

inline constexpr uint16_t kBurst = 32;

struct WorkerParams {
  unsigned lcore_id = 0;
  uint16_t port_id = 0;
  uint16_t queue_id = 0;
  rte_mempool* pool = nullptr;
  wire::MacAddr mac;
  bool tx_tcp_csum_offload = false;
  bool rx_csum_offload = false;
  uint64_t tsc_hz = 0;
  uint64_t tsc_epoch = 0;  // shared start time: the ms/s clocks of every lcore agree
  tcp::SipKey isn_key;
};

class Worker {
 public:
  // Allocates the flow table, timers and limiter on the lcore's socket.
  static std::unique_ptr<Worker> create(const RuntimeConfig& cfg, ControlBlock& ctl,
                                        const WorkerParams& p, std::string* err);
  ~Worker();

  int run();  // the lcore loop; returns when the control block says stop
  WorkerCounters& counters() { return *counters_; }
  const WorkerCounters& counters() const { return *counters_; }
  uint32_t flows_in_use() const { return flows_->size(); }

  // Processes one burst (the loop body without RX); public for benchmarks
  // and tests that feed mbufs directly. `now_tsc` is the caller's clock.
  void process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc);
  // Advances the clock-driven work: timers, control block, gauges.
  void tick(uint64_t now_tsc);
  void flush_tx();

 private:
  Worker(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p);

  struct Peer {
    wire::MacAddr mac;
    tcp::FourTuple key;
  };

  void handle_arp(rte_mbuf* m, const wire::Frame& f);
  void handle_icmp(rte_mbuf* m, const wire::Frame& f);
  void handle_tcp(rte_mbuf* m, const wire::Frame& f, const tcp::FourTuple& key, int32_t idx);
  void handle_listen(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                     const tcp::FourTuple& key);
  void handle_syn(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                  const tcp::FourTuple& key, const tcp::Seq* isn_floor);
  void handle_cookie_ack(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                         const tcp::FourTuple& key);
  int32_t new_flow(const tcp::FourTuple& key, const wire::MacAddr& mac);
  void apply(int32_t idx, tcp::State before, const tcp::Output& out, rte_mbuf* m, const Peer& peer);
  void count_output(const tcp::Output& out, tcp::State before);
  void emit(const tcp::Output& out, rte_mbuf* m, const Peer& peer);
  bool write_segment(rte_mbuf* m, const tcp::TxSegment& s, const Peer& peer);
  void send(rte_mbuf* m);
  void drop(rte_mbuf* m, DropReason r);
  void free_flow(uint32_t idx, tcp::State state);
  void on_timer(uint32_t idx);
  void refresh_control();
  void update_cookie_mode();
  bool listening(uint16_t port) const { return (listen_bits_[port >> 6] >> (port & 63)) & 1; }
  void set_clock(uint64_t now_tsc);

  const RuntimeConfig& cfg_;
  ControlBlock& ctl_;
  WorkerParams p_;
  tcp::Endpoint endpoint_;
  tcp::IsnGenerator isn_;
  tcp::SynCookieCodec codec_;
  std::unique_ptr<flow::FlowTable> flows_;
  std::unique_ptr<flow::TimerWheel> timers_;
  std::unique_ptr<flow::SourceLimiter> limiter_;
  WorkerCounters* counters_ = nullptr;
  rte_eth_dev_tx_buffer* txb_ = nullptr;
  uint64_t listen_bits_[1024] = {};
  uint32_t state_count_[tcp::kNumStates] = {};
  uint64_t now_tsc_ = 0;
  uint32_t now_ms_ = 0;
  uint32_t last_tick_ms_ = 0;  // the millisecond whose timers have run
  uint64_t now_s_ = 0;
  uint64_t tsc_per_ms_ = 1;
  uint64_t tsc_per_us_ = 1;
  uint64_t drain_tsc_ = 0;
  uint64_t last_drain_tsc_ = 0;
  uint32_t secret_gen_ = 0;
  uint32_t table_changes_ = 0;  // bumped on every insert/erase
  uint64_t last_cookie_s_ = 0;  // when this lcore last sent a cookie (+1; 0 = never)
  CookieMode mode_ = CookieMode::kOverload;
  bool cookie_active_ = false;
};

}  // namespace synack::runtime
