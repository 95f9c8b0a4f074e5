// One run-to-completion worker per lcore (after DPDK's l3fwd): rx_burst of 32,
// the burst processed in stages (worker_burst.cc), one tx_burst, then timers.
// Everything it touches per packet is its own: flow table, TIME-WAIT store,
// timers, counters, codec copy; all of it allocated on the lcore's socket.
// Nothing here allocates, locks or makes a syscall per packet.
//
// The data path is split by concern:
//   worker.cc         the loop, clocks, timers, control block, creation
//   worker_handoff.cc client mode with several lcores: segments the driver put
//                     on this queue handed to the lcore that owns their flow
//   worker_burst.cc   stages: parse and classify, signatures and bulk lookup, dispatch
//   worker_l2.cc      ARP and ICMP echo
//   worker_listen.cc  listener admission: SYN (rate limit, cookie or backlog), cookie
//                     ACKs, TIME-WAIT reopening
//   worker_flows.cc   flow lifecycle: records, state gauges, TIME-WAIT moves, timers
//   worker_tx.cc      transmission: segments written, the ACK budget, reply accounting
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flow/flow_table.h"
#include "flow/neighbour_table.h"
#include "flow/source_limiter.h"
#include "flow/source_port_allocator.h"
#include "flow/time_wait_store.h"
#include "flow/timer_wheel.h"
#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "runtime/latency_histogram.h"
#include "runtime/rx_classifier.h"
#include "tcp/endpoint.h"
#include "tcp/isn.h"
#include "tcp/requester.h"
#include "tcp/responder.h"
#include "tcp/segment_write.h"
#include "tcp/siphash_batch.h"
#include "tcp/syn_cookie.h"
#include "tcp/synack_template.h"
#include "wire/frame.h"

namespace synack::runtime {

inline constexpr uint16_t kBurst = 32;

struct WorkerParams {
  unsigned lcore_id = 0;
  uint16_t port_id = 0;
  uint16_t queue_id = 0;
  uint16_t workers = 1;  // worker lcores in all (per-/24 limits are shared out)
  rte_mempool* pool = nullptr;
  wire::MacAddr mac;
  bool tx_tcp_csum_offload = false;
  bool rx_csum_offload = false;
  uint64_t tsc_hz = 0;
  uint64_t tsc_epoch = 0;  // shared start time: the ms/s clocks of every lcore agree
  uint64_t ms_offset = 0;  // added to the millisecond clock (tests start it anywhere)
  tcp::SipKey isn_key;
  tcp::SipKey flow_key;     // FlowHash: flow table and TIME-WAIT store signatures
  tcp::SipKey limiter_key;  // SourceLimiter slots
  tcp::SipLanes sip_lanes = tcp::SipLanes::kScalar;  // the SipHash batch variant to use
  // The port's RSS set-up, for a client's source ports (rss_key_len 0: none).
  const uint8_t* rss_key = nullptr;
  uint32_t rss_key_len = 0;
  const uint16_t* reta = nullptr;
  uint32_t reta_size = 0;
  bool rss_l4 = true;  // the port hashes IPv4 TCP on ports as well as addresses
  // Client mode with several workers: every worker's hand-over ring, by queue
  // (HandoffRings::rings()); nullptr: no hand-over (server mode, one worker).
  rte_ring* const* handoff = nullptr;
};

// Client mode with several workers: one ring per worker that the others pass
// it the segments of its flows through (worker_handoff.cc). Multi-producer,
// single-consumer, each on its worker's socket.
class HandoffRings {
 public:
  static constexpr unsigned kSize = 1024;
  // One ring per lcore in `lcores` (index = queue); nullptr and *err on failure.
  static std::unique_ptr<HandoffRings> create(const std::vector<unsigned>& lcores,
                                              std::string* err);
  ~HandoffRings();  // what is still queued goes back to its pool
  HandoffRings(const HandoffRings&) = delete;
  HandoffRings& operator=(const HandoffRings&) = delete;
  rte_ring* const* rings() const { return rings_.data(); }

 private:
  HandoffRings() = default;
  std::vector<rte_ring*> rings_;
};

class Worker;
struct SynBatch;  // worker_burst.cc
struct WorkerDeleter {
  void operator()(Worker* w) const;
};
using WorkerPtr = std::unique_ptr<Worker, WorkerDeleter>;

class Worker {
 public:
  // The worker and everything it owns, allocated on the lcore's socket.
  static WorkerPtr create(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p,
                          std::string* err);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int run();  // the lcore loop; returns when the control block says stop
  // One pass of that loop at `now_tsc`: RX (and the hand-over), the client's
  // new connections, tick. Public for tests that drive a worker's whole loop.
  void poll(uint64_t now_tsc);
  WorkerCounters& counters() { return *counters_; }
  const WorkerCounters& counters() const { return *counters_; }
  uint32_t flows_in_use() const { return flows_->size(); }
  uint32_t time_wait_in_use() const { return time_wait_->size(); }
  // Client mode: this lcore has run its share of --connections, none is open.
  bool client_done() const;
  // Client mode: connect and response latencies (nullptr in server mode).
  const LatencyHistogram* connect_latency() const { return latency_ ? &latency_[0] : nullptr; }
  const LatencyHistogram* response_latency() const { return latency_ ? &latency_[1] : nullptr; }
  // Memory per flow record and per TIME-WAIT entry, with their tables.
  uint64_t flow_table_bytes() const { return flows_->memory_bytes(); }
  uint64_t time_wait_bytes() const { return time_wait_->memory_bytes(); }

  // Processes one burst (the loop body without RX); public for benchmarks
  // and tests that feed mbufs directly. `now_tsc` is the caller's clock.
  void process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc);
  // Advances the clock-driven work: timers, TIME-WAIT expiry, control block,
  // gauges; sends what they produced.
  void tick(uint64_t now_tsc);
  // Hands everything queued for TX to the port; what it refuses is freed.
  void flush_tx();

 private:
  Worker(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p);

  // worker_burst.cc
  // sigs[j] = FlowHash(keys[j]) for j < n, in one SipHash-1-3 batch.
  void signatures(const tcp::FourTuple* keys, uint16_t n, uint32_t* sigs);
  // The cookie stage: a plain SYN for a listening port joins the batch
  // (after the rate limiter); the burst's first pass takes them, leaving
  // the other frames in `left` (returns how many); the batch answered.
  void take_syn(SynBatch& b, rte_mbuf* m, const tcp::FourTuple& key, const PlainSyn& syn);
  uint16_t take_plain_syns(rte_mbuf** pkts, uint16_t n, SynBatch& b, rte_mbuf** left,
                           uint8_t* left_pos);
  uint16_t admit_first_pass(SynBatch& b, uint16_t first, const tcp::FourTuple* keys,
                            const uint16_t* gen, uint16_t n_gen, const uint8_t* slot_pos,
                            rte_mbuf** def, uint8_t* def_pos);
  void handle_deferred_syn(rte_mbuf* m);
  void answer_syns(SynBatch& b);
  void handle_tcp(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                  const tcp::FourTuple& key, uint32_t sig, int32_t idx, uint32_t tw,
                  const uint64_t* cookie_hash);
  // worker_l2.cc
  void handle_arp(rte_mbuf* m, const wire::Frame& f);
  void handle_icmp(rte_mbuf* m, const wire::Frame& f);
  // worker_listen.cc
  void handle_listen(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                     const tcp::FourTuple& key, uint32_t sig, const uint64_t* cookie_hash);
  void handle_syn(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                  const tcp::FourTuple& key, uint32_t sig, uint32_t time_wait);
  void handle_cookie_ack(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                         const tcp::FourTuple& key, uint32_t sig, int32_t half_open,
                         const uint64_t* cookie_hash);
  bool cookie_ack_plausible(const tcp::Segment& seg) const;
  void handle_time_wait(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                        const tcp::FourTuple& key, uint32_t sig, uint32_t h);
  void update_cookie_mode();
  bool listening(uint16_t port) const { return (listen_bits_[port >> 6] >> (port & 63)) & 1; }
  // worker_flows.cc
  int32_t new_flow(const tcp::FourTuple& key, uint32_t sig, const wire::MacAddr& mac);
  void free_flow(uint32_t idx, tcp::State counted);
  void apply(int32_t idx, tcp::State before, const tcp::Output& out, rte_mbuf* m,
             const tcp::Route& route);
  void count_events(const tcp::Output& out, tcp::State before);
  void enter_time_wait(uint32_t idx, tcp::State before);
  void on_timer(uint32_t idx);
  void set_state_gauge(tcp::State before, tcp::State after);
  // worker_tx.cc
  // `tcb` and `app` are the connection's (null without one), for the payload.
  void emit(const tcp::Output& out, rte_mbuf* m, const tcp::Route& route, const tcp::Tcb* tcb,
            const void* app = nullptr);
  // The stateless SYN-ACK for `syn` over `m`, counted and queued (the
  // burst's fast path writes them with runtime/cookie_synack.h and counts a
  // burst's worth at once).
  void send_cookie_synack(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& syn,
                          const tcp::FourTuple& key, const tcp::SynCookieCodec::Cookie& c);
  bool write_segment(rte_mbuf* b, const tcp::TxSegment& s, const tcp::Route& route,
                     const tcp::Tcb* tcb, const void* app);
  bool take_ack_budget();
  void send(rte_mbuf* m);
  void answered(rte_mbuf* m, ReplyKind k);
  void drop(rte_mbuf* m, DropReason r);
  void consume(rte_mbuf* m);
  // worker_client.cc
  struct ClientFlow {
    tcp::RequesterState app;
    uint64_t due_us;      // when the connection was due (open loop) or started
    uint64_t request_us;  // when its current request went out
  };
  bool client_init(std::string* err);
  void client_pump();  // open what the schedule and the limits allow
  bool client_open(uint64_t due_us, const wire::MacAddr& mac);
  bool client_reuse_time_wait(flow::SourcePortAllocator::Source* src, tcp::Seq* isn_floor);
  void client_started();  // a connection started (or failed before its SYN)
  void client_outcome();  // a connection completed or failed
  void client_events(uint32_t idx, const tcp::Output& out, tcp::State before, tcp::State after);
  void client_release(const tcp::FourTuple& key);
  void client_learn(const wire::Frame& f, bool request);
  void* app_state(uint32_t idx) {
    return client_flows_ ? static_cast<void*>(&client_flows_[idx].app)
                         : static_cast<void*>(flows_->at(idx).app);
  }
  // worker_handoff.cc
  // Keeps (compacted in pkts, in order) the frames this lcore handles and
  // passes the rest to their owners; returns how many it kept.
  uint16_t hand_over(rte_mbuf** pkts, uint16_t n);
  void take_handed_over(uint64_t now_tsc);
  // worker.cc
  template <bool kHandoff>
  void poll_loop(uint64_t now_tsc);  // poll(), with the hand-over or without
  void refresh_control();
  void set_clock(uint64_t now_tsc);
  uint64_t now_us() const;

  const RuntimeConfig& cfg_;
  ControlBlock& ctl_;
  WorkerParams p_;
  std::unique_ptr<tcp::Application> app_;  // the Responder, or a client's Requester
  tcp::Endpoint endpoint_;
  tcp::IsnGenerator isn_;
  tcp::SynCookieCodec codec_;
  wire::ParseContext parse_ctx_;
  RxClassifier rx_;
  const tcp::SipBatch* sip_ = nullptr;
  // Cookie SYN-ACKs by what they promise: timestamps << 2 | window scale << 1 | SACK.
  tcp::SynAckTemplate synack_tpl_[tcp::kCookieShapes];
  // The offload request every template reply carries (ol_flags, tx_offload).
  uint64_t tx_ol_flags_ = 0;
  uint64_t tx_offload_ = 0;
  std::unique_ptr<flow::FlowTable> flows_;
  std::unique_ptr<flow::TimeWaitStore> time_wait_;
  std::unique_ptr<flow::TimerWheel> timers_;
  std::unique_ptr<flow::SourceLimiter> limiter_;
  WorkerCounters* counters_ = nullptr;
  uint64_t listen_bits_[1024] = {};
  uint32_t state_count_[tcp::kNumStates] = {};
  // Frames to send, handed to the port once per burst (and per tick).
  static constexpr uint16_t kTxMax = 4 * kBurst;
  rte_mbuf* tx_[kTxMax];
  uint16_t n_tx_ = 0;
  uint64_t now_tsc_ = 0;
  uint64_t now_ms_ = 0;
  uint64_t last_tick_ms_ = 0;  // the millisecond whose timers have run
  uint64_t now_s_ = 0;
  uint64_t tsc_per_ms_ = 1;
  uint64_t tsc_per_us_ = 1;
  uint32_t secret_gen_ = 0;
  uint32_t table_changes_ = 0;  // bumped on every insert/erase (flow table and TIME-WAIT)
  uint64_t last_cookie_s_ = 0;  // when this lcore last sent a cookie (+1; 0 = never)
  // The pool is nearly empty: extra segments (and new client connections)
  // wait, so the RX rings can always be refilled (checked once per tick).
  bool pool_low_ = false;
  uint32_t pool_reserve_ = 0;
  uint64_t ack_budget_s_ = 0;  // the second the ACK budget counts
  uint32_t ack_budget_used_ = 0;
  CookieMode mode_ = CookieMode::kOverload;
  bool cookie_active_ = false;
  bool limiter_on_ = false;  // limiter_->enabled(), read once per burst
  // Client mode (worker_client.cc); client_flows_ is null in server mode.
  ClientFlow* client_flows_ = nullptr;
  rte_ring* const* handoff_ = nullptr;   // null: no hand-over
  rte_ring* handoff_in_ = nullptr;       // this lcore's own ring
  LatencyHistogram* latency_ = nullptr;  // [0] connect, [1] response
  std::unique_ptr<flow::SourcePortAllocator> ports_;
  std::unique_ptr<flow::NeighbourTable> neighbours_;
  uint32_t next_hop_ = 0;
  uint64_t client_quota_ = 0;  // this lcore's share of --connections
  bool client_unbounded_ = false;
  uint64_t client_concurrency_ = 1;
  uint64_t client_rate_ = 0;       // per second, this lcore's share; 0 = closed loop
  uint64_t client_start_us_ = 0;   // the open-loop schedule's start
  bool client_scheduled_ = false;  // the schedule has started (next hop resolved or failed)
  uint64_t client_started_ = 0;
  uint64_t client_open_ = 0;
};

}  // namespace synack::runtime
