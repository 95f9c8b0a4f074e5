// The lcore loop, clocks, timers and the control block; creation on the
// lcore's socket.
#include "runtime/worker.h"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace synack::runtime {

namespace {

// TIME-WAIT entries expired per 1 ms tick, apart from --max_timer_expiries
// (which bounds the timer wheel's callbacks, each a state machine step that
// may transmit). Expiring an entry is O(1) (one hash of its key, an index
// update, for a client the source pair's release) and sends nothing, and a
// client closing actively enters one per connection: held to the timer bound
// (default 256 per ms), a client lcore opening more connections per second
// than 1000 times that would pile up TIME-WAIT entries (and run out of source
// pairs) however short --time_wait_ms. This bound, 16 times that default,
// only keeps a clock jump (the lcore descheduled for a while) from becoming
// one long tick: what is left waits for the next.
constexpr uint32_t kTimeWaitExpiriesPerTick = 4096;

int socket_of(unsigned lcore) {
  const unsigned s = rte_lcore_to_socket_id(lcore);
  return s == static_cast<unsigned>(SOCKET_ID_ANY) ? SOCKET_ID_ANY : static_cast<int>(s);
}

// The TIME-WAIT store hashes keys it drops on expiry with the flow table's
// function, so one signature per packet serves both.
uint32_t tw_hash(const tcp::FourTuple& k, const void* ctx) {
  return (*static_cast<const flow::FlowHash*>(ctx))(k);
}

std::unique_ptr<tcp::Application> make_app(const RuntimeConfig& cfg) {
  if (cfg.client_mode) {
    tcp::RequesterConfig rc;
    rc.request = cfg.client.request;
    rc.last_request = cfg.client.last_request;
    rc.requests_per_connection = cfg.client.requests_per_connection;
    rc.active_close = cfg.active_close;
    return std::make_unique<tcp::Requester>(std::move(rc));
  }
  return std::make_unique<tcp::Responder>(cfg.response, cfg.active_close);
}

}  // namespace

Worker::Worker(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p)
    : cfg_(cfg),
      ctl_(ctl),
      p_(p),
      app_(make_app(cfg)),
      endpoint_(cfg.endpoint, *app_),
      isn_(p.isn_key),
      codec_(tcp::CookieSecret{}, cfg.ip, 0),
      mode_(ctl.cookie_mode()) {
  parse_ctx_.our_mac = p.mac;
  parse_ctx_.our_ip = cfg.ip;
  parse_ctx_.our_ip_last = cfg.ip_last;
  parse_ctx_.our_broadcast = cfg.broadcast();
  parse_ctx_.accept_other_host = cfg.accept_other_host;
  rx_.init(parse_ctx_);
  sip_ = &tcp::sip_batch(p.sip_lanes);
  // One template per promise shape (timestamps, window scale, SACK-permitted).
  for (int shape = 0; shape < tcp::kCookieShapes; shape++) {
    tcp::SynAckPromise promise;
    promise.timestamps = (shape & 4) != 0;
    promise.wscale = (shape & 2) != 0;
    promise.our_wscale = std::min(cfg.endpoint.rcv_wscale, tcp::kMaxWscale);
    promise.sack = (shape & 1) != 0;
    synack_tpl_[shape].init(promise, cfg.endpoint, p.mac, cfg.ip, p.tx_tcp_csum_offload);
  }
  if (p.tx_tcp_csum_offload) {
    tx_ol_flags_ = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
    tx_offload_ = rte_mbuf_tx_offload(wire::kEthHdrLen, wire::kIpv4MinHdrLen, 0, 0, 0, 0, 0);
  }
}

void WorkerDeleter::operator()(Worker* w) const {
  if (w == nullptr) return;
  w->~Worker();
  rte_free(w);
}

WorkerPtr Worker::create(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p,
                         std::string* err) {
  const int socket = socket_of(p.lcore_id);
  // The object itself (its hot fields are read per packet) on the lcore's
  // socket, first touched here but never again by the main lcore's loops.
  void* mem = rte_zmalloc_socket("synack_worker", sizeof(Worker), RTE_CACHE_LINE_SIZE, socket);
  if (mem == nullptr) {
    *err = "cannot allocate a worker on socket " + std::to_string(socket) +
           ": out of memory (raise EAL -m)";
    return nullptr;
  }
  WorkerPtr w(new (mem) Worker(cfg, ctl, p));
  tcp::CookieSecret secret;
  w->secret_gen_ = ctl.secret_generation();
  ctl.read_secret(w->secret_gen_, &secret);
  w->codec_ = tcp::SynCookieCodec(secret, cfg.ip, 0);

  void* cmem =
      rte_zmalloc_socket("synack_counters", sizeof(WorkerCounters), RTE_CACHE_LINE_SIZE, socket);
  if (!cmem) {
    *err = "cannot allocate per-lcore counters: out of memory (raise EAL -m)";
    return nullptr;
  }
  w->counters_ = new (cmem) WorkerCounters();
  const flow::FlowHash hash(p.flow_key);
  w->flows_ = flow::FlowTable::create("flows_q" + std::to_string(p.queue_id), cfg.max_flows, socket,
                                      hash, err);
  if (!w->flows_) return nullptr;
  w->time_wait_ = flow::TimeWaitStore::create(cfg.max_time_wait, socket,
                                              flow::KeyHasher{tw_hash, &w->flows_->hash()}, err);
  if (!w->time_wait_) return nullptr;
  // What this lcore's RX ring and a burst's replies need to keep going.
  w->pool_reserve_ = uint32_t{cfg.rx_desc} + 2 * kBurst;
  w->tsc_per_ms_ = p.tsc_hz / 1000 ? p.tsc_hz / 1000 : 1;
  w->tsc_per_us_ = p.tsc_hz / 1000000 ? p.tsc_hz / 1000000 : 1;
  w->now_ms_ = p.ms_offset + 1;
  w->last_tick_ms_ = w->now_ms_;
  w->timers_ =
      flow::TimerWheel::create(w->flows_->slots(), w->now_ms_, flow::socket_allocator(socket), err);
  if (!w->timers_) return nullptr;
  flow::SourceLimiter::Config lim = cfg.limiter;
  // The per-/24 buckets are per lcore while a /24's sources spread over every
  // queue: each lcore takes its share of the rate (engine.cc keeps each
  // source on one queue, so the per-source limit holds exactly).
  if (p.workers > 1 && lim.rate_per_prefix > 0) {
    lim.rate_per_prefix = std::max<uint32_t>(lim.rate_per_prefix / p.workers, 1);
    lim.burst_per_prefix = std::max<uint32_t>(lim.burst_per_prefix / p.workers, 1);
  }
  w->limiter_ = flow::SourceLimiter::create(lim, p.limiter_key, socket, err);
  if (!w->limiter_) return nullptr;
  if (!cfg.client_mode)
    for (uint16_t port : cfg.ports) w->listen_bits_[port >> 6] |= uint64_t{1} << (port & 63);
  if (cfg.client_mode && !w->client_init(err)) return nullptr;
  if (cfg.client_mode && p.workers > 1 && p.handoff != nullptr) {
    w->handoff_ = p.handoff;
    w->handoff_in_ = p.handoff[p.queue_id];
  }
  return w;
}

Worker::~Worker() {
  // Frames still queued go to the port (or back to the pool); nothing is held.
  flush_tx();
  if (latency_) {
    latency_[0].~LatencyHistogram();
    latency_[1].~LatencyHistogram();
    rte_free(latency_);
  }
  rte_free(client_flows_);
  if (counters_) {
    counters_->~WorkerCounters();
    rte_free(counters_);
  }
}

int Worker::run() {
  // The loop without the hand-over unless this lcore takes part in one, so
  // a server's loop has not even its test.
  if (handoff_) {
    while (!ctl_.stop_requested()) poll_loop<true>(rte_rdtsc());
  } else {
    while (!ctl_.stop_requested()) poll_loop<false>(rte_rdtsc());
  }
  // The last tick may have queued frames (timers): they go out before the
  // port stops, and anything the port refuses is freed.
  tick(rte_rdtsc());
  flush_tx();
  return 0;
}

void Worker::poll(uint64_t now) {
  if (handoff_) {
    poll_loop<true>(now);
  } else {
    poll_loop<false>(now);
  }
}

template <bool kHandoff>
void Worker::poll_loop(uint64_t now) {
  rte_mbuf* pkts[kBurst];
  uint16_t n = rte_eth_rx_burst(p_.port_id, p_.queue_id, pkts, kBurst);
  if (kHandoff && n) n = hand_over(pkts, n);
  if (n) process_burst(pkts, n, now);
  if (kHandoff) take_handed_over(now);
  if (client_flows_) {
    set_clock(now);
    client_pump();
  }
  tick(now);
}

void Worker::set_clock(uint64_t now_tsc) {
  if (now_tsc <= now_tsc_) return;
  const uint64_t since = now_tsc - p_.tsc_epoch;
  now_tsc_ = now_tsc;
  now_ms_ = since / tsc_per_ms_ + p_.ms_offset + 1;
  now_s_ = now_ms_ / 1000;
}

uint64_t Worker::now_us() const {
  return (now_tsc_ - p_.tsc_epoch) / tsc_per_us_;
}

void Worker::tick(uint64_t now_tsc) {
  set_clock(now_tsc);
  // Once per millisecond, whether or not a burst already moved the clock to
  // it: timers, TIME-WAIT expiry, control block, gauges.
  if (now_ms_ != last_tick_ms_) {
    last_tick_ms_ = now_ms_;
    refresh_control();
    pool_low_ = rte_mempool_avail_count(p_.pool) < pool_reserve_;
    uint32_t fired =
        timers_->advance(now_ms_, cfg_.max_timer_expiries, [this](uint32_t idx) { on_timer(idx); });
    if (fired) counters_->timer_expiries.add(fired);
    const uint32_t expired =
        time_wait_->expire(now_ms_, kTimeWaitExpiriesPerTick,
                           [this](const tcp::FourTuple& key, const tcp::TimeWaitState&) {
                             if (client_flows_) client_release(key);
                           });
    if (expired) {
      counters_->time_wait_expired.add(expired);
      table_changes_++;
    }
    update_cookie_mode();
    // Connection records; TIME-WAIT entries are counted apart (time_wait_flows).
    counters_->active_flows.set(flows_->size());
    counters_->time_wait_flows.set(time_wait_->size());
    for (int s = 0; s < tcp::kNumStates; s++) counters_->states[s].set(state_count_[s]);
    counters_->states[static_cast<int>(tcp::State::kTimeWait)].set(time_wait_->size());
    counters_->cookie_mode_active.set(cookie_active_ ? 1 : 0);
    if (client_flows_) {
      counters_->client_done.set(client_done() ? 1 : 0);
      counters_->next_hop_failed.set(
          neighbours_->state(next_hop_, now_ms_) == flow::NeighbourState::kFailed ? 1 : 0);
    }
  }
  flush_tx();
}

void Worker::refresh_control() {
  // Every secret published since the last look, in order, so the codec's
  // history matches the control plane's.
  const uint32_t gen = ctl_.secret_generation();
  while (secret_gen_ != gen) {
    tcp::CookieSecret s;
    if (!ctl_.read_secret(secret_gen_ + 1, &s)) {
      ctl_.read_secret(gen, &s);  // fell behind by more than the ring: take the newest
      secret_gen_ = gen - 1;
    }
    codec_.rotate(s, now_s_);
    secret_gen_++;
  }
  mode_ = ctl_.cookie_mode();
}

}  // namespace synack::runtime
