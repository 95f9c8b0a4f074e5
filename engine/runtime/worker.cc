// The lcore loop and the L2/L3 part of the data path: parse, ARP, ICMP echo,
// hand TCP to worker_tcp.cc, buffered TX, clocks and timers.
#include "runtime/worker.h"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include <cstring>
#include <new>

#include "wire/craft.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

DropReason drop_for(wire::ParseError e) {
  switch (e) {
    case wire::ParseError::kOk:
    case wire::ParseError::kTruncated:
      return DropReason::truncated;
    case wire::ParseError::kUnsupportedEthertype:
      return DropReason::unsupported_ethertype;
    case wire::ParseError::kBadArp:
      return DropReason::bad_arp;
    case wire::ParseError::kBadIpHeader:
      return DropReason::bad_ip_header;
    case wire::ParseError::kBadIpChecksum:
      return DropReason::bad_ip_checksum;
    case wire::ParseError::kFragment:
      return DropReason::fragment;
    case wire::ParseError::kUnsupportedProtocol:
      return DropReason::unsupported_protocol;
    case wire::ParseError::kBadIcmp:
      return DropReason::bad_icmp;
    case wire::ParseError::kBadIcmpChecksum:
      return DropReason::bad_icmp_checksum;
    case wire::ParseError::kBadTcpHeader:
      return DropReason::bad_tcp_header;
    case wire::ParseError::kBadTcpChecksum:
      return DropReason::bad_tcp_checksum;
    case wire::ParseError::kBadSourceAddress:
      return DropReason::bad_source_address;
  }
  return DropReason::truncated;
}

// TX buffer error callback: the port did not take these frames.
void tx_unsent(rte_mbuf** pkts, uint16_t n, void* arg) {
  static_cast<WorkerCounters*>(arg)->tx_dropped.add(n);
  rte_pktmbuf_free_bulk(pkts, n);
}

}  // namespace

Worker::Worker(const RuntimeConfig& cfg, ControlBlock& ctl, const WorkerParams& p)
    : cfg_(cfg),
      ctl_(ctl),
      p_(p),
      endpoint_(cfg.endpoint),
      isn_(p.isn_key),
      codec_(ctl.secret(ctl.secret_generation()), 0),
      secret_gen_(ctl.secret_generation()),
      mode_(ctl.cookie_mode()) {}

std::unique_ptr<Worker> Worker::create(const RuntimeConfig& cfg, ControlBlock& ctl,
                                       const WorkerParams& p, std::string* err) {
  std::unique_ptr<Worker> w(new Worker(cfg, ctl, p));
  int socket = static_cast<int>(rte_lcore_to_socket_id(p.lcore_id));
  void* mem =
      rte_zmalloc_socket("synack_counters", sizeof(WorkerCounters), RTE_CACHE_LINE_SIZE, socket);
  if (!mem) {
    *err = "cannot allocate per-lcore counters: out of memory (raise EAL -m)";
    return nullptr;
  }
  w->counters_ = new (mem) WorkerCounters();
  w->flows_ =
      flow::FlowTable::create("flows_q" + std::to_string(p.queue_id), cfg.max_flows, socket, err);
  if (!w->flows_) return nullptr;
  w->tsc_per_ms_ = p.tsc_hz / 1000 ? p.tsc_hz / 1000 : 1;
  w->tsc_per_us_ = p.tsc_hz / 1000000 ? p.tsc_hz / 1000000 : 1;
  w->drain_tsc_ = (p.tsc_hz + 999999) / 1000000 * cfg.drain_us;
  w->timers_ = flow::TimerWheel::create(w->flows_->slots(), 1, flow::socket_allocator(socket), err);
  if (!w->timers_) return nullptr;
  w->limiter_ = flow::SourceLimiter::create(cfg.limiter, socket, err);
  if (!w->limiter_) return nullptr;
  w->txb_ = static_cast<rte_eth_dev_tx_buffer*>(
      rte_zmalloc_socket("synack_txb", RTE_ETH_TX_BUFFER_SIZE(kBurst), 0, socket));
  if (!w->txb_) {
    *err = "cannot allocate the TX buffer: out of memory (raise EAL -m)";
    return nullptr;
  }
  rte_eth_tx_buffer_init(w->txb_, kBurst);
  rte_eth_tx_buffer_set_err_callback(w->txb_, tx_unsent, w->counters_);
  for (uint16_t port : cfg.ports) w->listen_bits_[port >> 6] |= uint64_t{1} << (port & 63);
  w->now_ms_ = 1;
  return w;
}

Worker::~Worker() {
  rte_free(txb_);
  if (counters_) {
    counters_->~WorkerCounters();
    rte_free(counters_);
  }
}

int Worker::run() {
  rte_mbuf* pkts[kBurst];
  while (!ctl_.stop_requested()) {
    uint64_t now = rte_rdtsc();
    uint16_t n = rte_eth_rx_burst(p_.port_id, p_.queue_id, pkts, kBurst);
    if (n) process_burst(pkts, n, now);
    tick(now);
  }
  flush_tx();
  tick(rte_rdtsc());
  return 0;
}

void Worker::flush_tx() {
  counters_->tx_packets.add(rte_eth_tx_buffer_flush(p_.port_id, p_.queue_id, txb_));
}

void Worker::set_clock(uint64_t now_tsc) {
  if (now_tsc <= now_tsc_) return;
  uint64_t since = now_tsc - p_.tsc_epoch;
  now_tsc_ = now_tsc;
  now_ms_ = static_cast<uint32_t>(since / tsc_per_ms_) + 1;
  now_s_ = since / p_.tsc_hz;
}

void Worker::tick(uint64_t now_tsc) {
  if (now_tsc - last_drain_tsc_ >= drain_tsc_) {
    flush_tx();
    last_drain_tsc_ = now_tsc;
  }
  set_clock(now_tsc);
  // Once per millisecond, whether or not a burst already moved the clock to
  // it: timers, control block, gauges.
  if (now_ms_ == last_tick_ms_) return;
  last_tick_ms_ = now_ms_;
  const uint32_t ms = now_ms_;
  refresh_control();
  uint32_t fired =
      timers_->advance(ms, cfg_.max_timer_expiries, [this](uint32_t idx) { on_timer(idx); });
  if (fired) counters_->timer_expiries.add(fired);
  update_cookie_mode();
  counters_->active_flows.set(flows_->size());
  counters_->half_open_flows.set(state_count_[static_cast<int>(tcp::State::kSynReceived)]);
  counters_->established_flows.set(state_count_[static_cast<int>(tcp::State::kEstablished)]);
  counters_->time_wait_flows.set(state_count_[static_cast<int>(tcp::State::kTimeWait)]);
  counters_->cookie_mode_active.set(cookie_active_ ? 1 : 0);
}

void Worker::refresh_control() {
  uint32_t gen = ctl_.secret_generation();
  if (gen != secret_gen_) {
    codec_.rotate(ctl_.secret(gen), now_s_);
    secret_gen_ = gen;
  }
  mode_ = ctl_.cookie_mode();
}

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  // The clocks move at most once per burst: every packet in it sees one "now".
  set_clock(now_tsc);
  counters_->rx_packets.add(n);

  wire::Frame frames[kBurst];
  rte_mbuf* tcp_pkts[kBurst];
  tcp::FourTuple keys[kBurst];
  const tcp::FourTuple* key_ptrs[kBurst];
  uint16_t n_tcp = 0;
  wire::ParseOptions po;

  for (uint16_t i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    rte_mbuf* m = pkts[i];
    if (m->nb_segs != 1) {
      drop(m, DropReason::multi_segment);
      continue;
    }
    if (p_.rx_csum_offload) {
      po.ip_csum_verified =
          (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
      po.l4_csum_verified =
          (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    wire::Frame& f = frames[n_tcp];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    wire::ParseError e = wire::parse_frame(data, m->data_len, po, f);
    if (e != wire::ParseError::kOk) {
      drop(m, drop_for(e));
      continue;
    }
    // The address that decides is the IP one. A unicast frame is taken whatever
    // its destination MAC (the NIC already filters unicast MACs; pcap replays
    // and mirrored traffic carry others); a group address (multicast or
    // broadcast) is only for ARP, as Linux drops TCP not sent to PACKET_HOST.
    if (f.dst_ip != cfg_.ip || ((f.dst_mac.b[0] & 1) && f.kind != wire::FrameKind::kArpRequest)) {
      drop(m, DropReason::not_for_us);
      continue;
    }
    switch (f.kind) {
      case wire::FrameKind::kArpRequest:
        handle_arp(m, f);
        break;
      case wire::FrameKind::kIcmpEcho:
        handle_icmp(m, f);
        break;
      case wire::FrameKind::kTcp:
        keys[n_tcp] = tcp::FourTuple{f.src_ip, f.dst_ip, f.src_port, f.dst_port};
        key_ptrs[n_tcp] = &keys[n_tcp];
        tcp_pkts[n_tcp++] = m;
        break;
    }
  }
  if (n_tcp == 0) return;

  // One bulk probe for the whole burst (rte_hash prefetches in stages). A frame
  // handled earlier in the burst may add or free a flow; later frames then
  // look their key up again instead of trusting the bulk result.
  int32_t idx[kBurst];
  flows_->lookup_bulk(key_ptrs, n_tcp, idx);
  uint32_t changes_before = table_changes_;
  for (uint16_t j = 0; j < n_tcp; j++) {
    int32_t slot = table_changes_ == changes_before ? idx[j] : flows_->lookup(keys[j]);
    handle_tcp(tcp_pkts[j], frames[j], keys[j], slot);
  }
}

void Worker::handle_arp(rte_mbuf* m, const wire::Frame& f) {
  (void)f;
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  uint16_t len = wire::arp_reply_in_place(data, p_.mac, cfg_.ip);
  m->data_len = len;
  m->pkt_len = len;
  m->ol_flags = 0;
  counters_->arp_replies.add();
  send(m);
}

void Worker::handle_icmp(rte_mbuf* m, const wire::Frame& f) {
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  uint16_t len = wire::icmp_echo_reply_in_place(data, f, p_.mac);
  m->data_len = len;
  m->pkt_len = len;
  m->ol_flags = 0;
  counters_->icmp_echo_replies.add();
  send(m);
}

void Worker::send(rte_mbuf* m) {
  counters_->tx_packets.add(rte_eth_tx_buffer(p_.port_id, p_.queue_id, txb_, m));
}

void Worker::drop(rte_mbuf* m, DropReason r) {
  counters_->drop(r);
  rte_pktmbuf_free(m);
}

}  // namespace synack::runtime
