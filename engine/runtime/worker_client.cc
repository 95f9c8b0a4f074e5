// Client mode: this lcore's share of the connections to --target, started on
// an open-loop schedule (--rate: each connection has a due time, and its
// latency counts from then, as wrk2 does, so a stalled target shows up in the
// figures instead of slowing the schedule) or closed-loop at --concurrency;
// source ports whose replies RSS steers back to this lcore (or that the
// hand-over brings back, worker_handoff.cc); the next hop resolved with
// bounded ARP, the schedule starting once it is; and each connection's
// outcome and latencies.
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <new>

#include "runtime/worker.h"
#include "wire/arp_request.h"

namespace synack::runtime {

namespace {

constexpr uint32_t kMaxOpensPerPump = 64;  // bounded work per loop iteration

// As Linux's tcp_tw_reuse for a connecting socket: a TIME-WAIT entry of ours
// at least this old may give its source pair to a new connection when no
// pair is free. The new incarnation's TSval (our millisecond clock) is then
// above every TSval of the old one the server saw, and its ISN (the RFC 6528
// clock, 250 000 a second, at least kReuseIsnGap past the old SND.NXT) above
// the old sequence space, so a server still holding the old connection
// (RFC 6191, or LAST-ACK) tells the two apart.
constexpr uint64_t kTimeWaitReuseAgeMs = 1000;
constexpr uint32_t kReuseIsnGap = 1u << 17;

uint64_t share(uint64_t total, uint16_t workers, uint16_t index) {
  return total / workers + (index < total % workers ? 1 : 0);
}

}  // namespace

bool Worker::client_init(std::string* err) {
  const ClientConfig& c = cfg_.client;
  const uint16_t w = p_.workers;
  const uint16_t q = p_.queue_id;
  client_quota_ = share(c.connections, w, q);
  client_unbounded_ = c.connections == 0;
  client_concurrency_ = std::max<uint64_t>(share(c.concurrency, w, q), 1);
  client_rate_ = share(c.rate, w, q);
  if (c.rate != 0 && client_rate_ == 0) client_rate_ = 1;
  next_hop_ = c.gateway_ip != 0 ? c.gateway_ip : c.target_ip;

  flow::SourcePortAllocator::Config pc;
  pc.target_ip = c.target_ip;
  pc.target_port = c.target_port;
  pc.first_src_ip = cfg_.ip;
  pc.last_src_ip = cfg_.ip_last > cfg_.ip ? cfg_.ip_last : cfg_.ip;
  pc.rss_key = p_.rss_key_len != 0 ? p_.rss_key : nullptr;
  pc.rss_key_len = p_.rss_key_len;
  pc.reta = p_.reta;
  pc.reta_size = p_.reta_size;
  pc.queue_id = q;
  pc.l4_hash = p_.rss_l4;
  const int socket = static_cast<int>(rte_lcore_to_socket_id(p_.lcore_id));
  ports_ = flow::SourcePortAllocator::create(pc, socket, err);
  if (!ports_) return false;
  neighbours_ = std::make_unique<flow::NeighbourTable>(flow::NeighbourTable::Config{});
  client_flows_ = static_cast<ClientFlow*>(
      rte_zmalloc_socket("synack_client_flows", sizeof(ClientFlow) * size_t{flows_->slots()},
                         RTE_CACHE_LINE_SIZE, socket));
  void* h = rte_zmalloc_socket("synack_latency", 2 * sizeof(LatencyHistogram), RTE_CACHE_LINE_SIZE,
                               socket);
  if (client_flows_ == nullptr || h == nullptr) {
    rte_free(h);
    *err = "client mode: cannot allocate per-connection state for --max_flows=" +
           std::to_string(cfg_.max_flows) + ": give EAL more memory (-m) or lower --max_flows";
    return false;
  }
  latency_ = new (h) LatencyHistogram[2];
  return true;
}

void Worker::client_pump() {
  const uint64_t now = now_us();
  // The next hop first: ARP (bounded retries, a rate cap, never a flood),
  // and refreshes of a known MAC, as the table asks for them.
  if (neighbours_->need_request(next_hop_, now_ms_)) {
    rte_mbuf* m = rte_pktmbuf_alloc(p_.pool);
    if (m != nullptr) {
      const uint16_t len =
          wire::write_arp_request(rte_pktmbuf_mtod(m, uint8_t*), p_.mac, cfg_.ip, next_hop_);
      m->data_len = len;
      m->pkt_len = len;
      counters_->arp_requests_sent.add();
      send(m);
    }
  }
  const wire::MacAddr* mac = neighbours_->lookup(next_hop_);
  if (mac == nullptr && neighbours_->state(next_hop_, now_ms_) != flow::NeighbourState::kFailed)
    return;  // still resolving: nothing is due yet
  // The open-loop schedule starts once the next hop resolved (or failed): the
  // time spent resolving is nobody's latency, and no burst makes up for it.
  if (!client_scheduled_) {
    client_scheduled_ = true;
    client_start_us_ = now;
  }
  uint32_t opened = 0;
  while (opened < kMaxOpensPerPump && (client_unbounded_ || client_started_ < client_quota_)) {
    if (client_open_ >= client_concurrency_) break;
    // Open loop: the k-th connection is due at start + k / rate.
    uint64_t due = now;
    if (client_rate_ != 0) {
      due = client_start_us_ + client_started_ * 1000000 / client_rate_;
      if (due > now) break;
    }
    if (mac == nullptr) {
      // The next hop failed to resolve: what is due fails, counted.
      client_started_++;
      client_started();
      counters_->fail(ClientFailure::no_arp);
      client_outcome();
      opened++;
      continue;
    }
    if (!client_open(due, *mac)) break;
    opened++;
  }
  counters_->open_connections.set(client_open_);
}

bool Worker::client_open(uint64_t due_us, const wire::MacAddr& mac) {
  if (pool_low_) return false;  // its SYN would take an mbuf the RX ring needs
  flow::SourcePortAllocator::Source src;
  tcp::Seq isn_floor;
  bool reused = false;
  if (flows_->size() >= flows_->capacity() ||
      (!ports_->allocate(&src) && !(reused = client_reuse_time_wait(&src, &isn_floor)))) {
    // Nothing free to open it from now; it is tried again on the next pump
    // with its due time unchanged, unless the port range itself is spent.
    if (ports_->available() == 0 && client_open_ == 0 && time_wait_->size() == 0) {
      client_started_++;
      client_started();
      counters_->fail(ClientFailure::ports_exhausted);
      client_outcome();
      return true;
    }
    return false;
  }
  const tcp::FourTuple key{cfg_.client.target_ip, src.ip, cfg_.client.target_port, src.port};
  const uint32_t sig = flows_->signature(key);
  const int32_t idx = new_flow(key, sig, mac);
  if (idx < 0) {
    ports_->release(src);
    return false;
  }
  ClientFlow& cf = client_flows_[idx];
  cf = ClientFlow{};
  cf.due_us = due_us;
  client_started_++;
  client_open_++;
  client_started();
  flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
  tcp::Seq isn = isn_.next(key, now_us());
  if (reused && isn <= isn_floor) isn = isn_floor + 1;
  tcp::Output out;
  endpoint_.open(rec.tcb, isn, now_ms_, out);
  apply(idx, tcp::State::kClosed, out, nullptr, tcp::Route{p_.mac, mac, key});
  return true;
}

// No pair is free: this lcore's oldest TIME-WAIT entry, if old enough, ends
// early and its pair (still held in the allocator) goes to the new connection
// on the same 4-tuple.
bool Worker::client_reuse_time_wait(flow::SourcePortAllocator::Source* src, tcp::Seq* isn_floor) {
  const uint32_t h = time_wait_->oldest();
  if (h == flow::TimeWaitStore::kNone) return false;
  // Entered at its deadline less the TIME-WAIT length (a restart by a
  // retransmitted FIN only makes it look younger).
  if (time_wait_->deadline_ms(h) + kTimeWaitReuseAgeMs > now_ms_ + cfg_.endpoint.time_wait_ms)
    return false;
  const tcp::FourTuple key = time_wait_->key(h);
  *isn_floor = time_wait_->state(h).snd_nxt + kReuseIsnGap;
  time_wait_->erase(h);
  table_changes_++;
  counters_->time_wait_reused_by_client.add();
  *src = flow::SourcePortAllocator::Source{key.local_ip, key.local_port};
  return true;
}

void Worker::client_started() {
  counters_->connections_started.add();
  if (counters_->first_start_us.get() == 0) counters_->first_start_us.set(now_us() + 1);
}

void Worker::client_outcome() {
  counters_->last_outcome_us.set(now_us() + 1);
}

void Worker::client_events(uint32_t idx, const tcp::Output& out, tcp::State before,
                           tcp::State after) {
  using namespace tcp::event;
  ClientFlow& cf = client_flows_[idx];
  const uint64_t now = now_us();
  if (out.has(kEstablished)) latency_[0].record(now - cf.due_us);
  if (out.has(kResponseDone)) {
    counters_->responses_received.add();
    latency_[1].record(now - cf.request_us);
  }
  if (out.has(kRequestSent)) {
    counters_->requests_sent.add();
    cf.request_us = now;
  }
  const bool closed = out.has(kClosed) || after == tcp::State::kClosed;
  if (!closed && after != tcp::State::kTimeWait) return;
  // The connection is over (or holds TIME-WAIT): its one outcome.
  client_open_--;
  if (out.has(kResetByPeer)) {
    counters_->fail(before == tcp::State::kSynSent ? ClientFailure::refused : ClientFailure::reset);
  } else if (out.has(kGaveUp)) {
    counters_->fail(ClientFailure::timed_out);
  } else if (out.has(kResponseTruncated | kResponseMalformed | kServerEndedEarly) ||
             cf.app.responses_done < cfg_.client.requests_per_connection) {
    counters_->fail(out.has(kIdleTimeout) ? ClientFailure::timed_out : ClientFailure::truncated);
  } else {
    counters_->connections_completed.add();
  }
  client_outcome();
  // The source port comes back once the 4-tuple is gone: now, or when its
  // TIME-WAIT ends (time_wait_expired / recycled give it back).
  if (after != tcp::State::kTimeWait) client_release(flows_->key(idx));
}

void Worker::client_release(const tcp::FourTuple& key) {
  ports_->release(flow::SourcePortAllocator::Source{key.local_ip, key.local_port});
}

void Worker::client_learn(const wire::Frame& f, bool request) {
  // RFC 826 merge: a reply, or a request addressed to us, tells the sender's MAC.
  neighbours_->on_arp(f.src_ip, f.src_mac, now_ms_, request || f.dst_ip == cfg_.ip);
}

bool Worker::client_done() const {
  return client_flows_ != nullptr && !client_unbounded_ && client_started_ >= client_quota_ &&
         client_open_ == 0;
}

}  // namespace synack::runtime
