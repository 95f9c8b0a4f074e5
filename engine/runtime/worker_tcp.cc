// The TCP part of the data path: flows, listeners, SYN cookies and the
// transmission of what the Endpoint decided.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cstring>

#include "runtime/worker.h"
#include "tcp/options.h"
#include "wire/craft.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

DropReason drop_for(tcp::Drop d) {
  switch (d) {
    case tcp::Drop::kNone:
    case tcp::Drop::kOutOfWindow:
      return DropReason::out_of_window;
    case tcp::Drop::kPaws:
      return DropReason::paws;
    case tcp::Drop::kRstOutOfWindow:
      return DropReason::rst_out_of_window;
    case tcp::Drop::kRstChallenged:
      return DropReason::rst_challenged;
    case tcp::Drop::kSynChallenged:
      return DropReason::syn_challenged;
    case tcp::Drop::kAckUnacceptable:
      return DropReason::ack_unacceptable;
    case tcp::Drop::kNoAck:
      return DropReason::no_ack;
    case tcp::Drop::kAckInSynSent:
      return DropReason::ack_in_syn_sent;
    case tcp::Drop::kListenRst:
      return DropReason::listen_rst;
    case tcp::Drop::kListenAck:
      return DropReason::listen_ack;
    case tcp::Drop::kListenNoSyn:
      return DropReason::listen_no_syn;
    case tcp::Drop::kClosedPort:
      return DropReason::closed_port;
    case tcp::Drop::kDuplicate:
      return DropReason::duplicate;
    case tcp::Drop::kSynSentNoSyn:
      return DropReason::syn_sent_no_syn;
  }
  return DropReason::out_of_window;
}

tcp::Segment to_segment(const wire::Frame& f) {
  tcp::Segment s;
  s.seq = tcp::Seq(f.seq);
  s.ack = tcp::Seq(f.ack);
  s.payload_len = f.payload_len;
  s.wnd = f.wnd;
  s.flags = f.tcp_flags;
  return s;
}

constexpr uint16_t kReset = tcp::event::kResetByPeer | tcp::event::kResetSent |
                            tcp::event::kGaveUp | tcp::event::kIdleTimeout;

}  // namespace

void Worker::handle_tcp(rte_mbuf* m, const wire::Frame& f, const tcp::FourTuple& key, int32_t idx) {
  tcp::Segment seg = to_segment(f);
  const uint8_t* opts = rte_pktmbuf_mtod_offset(m, const uint8_t*, f.l4_off + wire::kTcpMinHdrLen);
  if (f.opt_len && !tcp::parse_options(opts, f.opt_len, seg.opts)) {
    drop(m, DropReason::bad_tcp_options);
    return;
  }
  Peer peer{f.src_mac, key};
  if (idx >= 0) {
    flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
    if (rec.tcb.state == tcp::State::kTimeWait && listening(f.dst_port) &&
        tcp::Endpoint::syn_reopens_time_wait(rec.tcb, seg)) {
      // RFC 1122 4.2.2.13 / RFC 6191: a new SYN may reopen a connection from
      // TIME-WAIT when it is clearly newer; the new ISN is kept above the old
      // incarnation's sequence space.
      tcp::Seq floor = rec.tcb.snd_nxt + (1u << 17);
      free_flow(static_cast<uint32_t>(idx), tcp::State::kTimeWait);
      counters_->time_wait_reused.add();
      counters_->connections_closed.add();
      return handle_syn(m, f, seg, key, &floor);
    }
    tcp::State before = rec.tcb.state;
    tcp::Output out;
    endpoint_.on_segment(rec.tcb, seg, now_ms_, out);
    apply(idx, before, out, m, peer);
    return;
  }
  if (!listening(f.dst_port)) {
    tcp::Output out;
    tcp::Endpoint::on_closed(seg, out);
    apply(-1, tcp::State::kClosed, out, m, peer);
    return;
  }
  handle_listen(m, f, seg, key);
}

void Worker::handle_listen(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                           const tcp::FourTuple& key) {
  using namespace tcp::tcpflag;
  uint8_t ctl = seg.flags & (kSyn | kAck | kRst);
  if (ctl == kSyn) return handle_syn(m, f, seg, key, nullptr);
  // A bare ACK may finish a cookie handshake, if this lcore sent cookies lately.
  bool cookies_recent = mode_ == CookieMode::kAlways ||
                        (last_cookie_s_ != 0 &&
                         now_s_ + 1 - last_cookie_s_ <= (tcp::SynCookieCodec::kMaxAge + 1) << 6);
  if (ctl == kAck && cookies_recent) return handle_cookie_ack(m, f, seg, key);
  tcp::Output out;
  tcp::Tcb scratch;
  endpoint_.on_listen(seg, tcp::Seq(0), now_ms_, scratch, out);
  apply(-1, tcp::State::kListen, out, m, Peer{f.src_mac, key});
}

void Worker::update_cookie_mode() {
  bool active;
  uint32_t half_open = state_count_[static_cast<int>(tcp::State::kSynReceived)];
  switch (mode_) {
    case CookieMode::kAlways:
      active = true;
      break;
    case CookieMode::kNever:
      active = false;
      break;
    default:
      // Overload: cookies from the moment the backlog is full until it has
      // drained below three quarters, so one expiring entry does not flap it.
      active = cookie_active_ ? half_open * 4 >= cfg_.backlog * 3 : half_open >= cfg_.backlog;
      if (active != cookie_active_) counters_->syncookie_mode_switches.add();
      break;
  }
  cookie_active_ = active;
}

void Worker::handle_syn(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                        const tcp::FourTuple& key, const tcp::Seq* isn_floor) {
  counters_->syn_received.add();
  if (limiter_->enabled() && !limiter_->allow(key.remote_ip, now_tsc_)) {
    counters_->syn_rate_limited.add();
    drop(m, DropReason::syn_rate_limited);
    return;
  }
  update_cookie_mode();
  Peer peer{f.src_mac, key};
  if (cookie_active_) {
    // The hottest path: nothing stored, one segment, written over the SYN.
    bool ecn = (seg.flags & (tcp::tcpflag::kEce | tcp::tcpflag::kCwr)) ==
               (tcp::tcpflag::kEce | tcp::tcpflag::kCwr);
    tcp::SynCookieCodec::Cookie c = codec_.encode(key, seg.seq, seg.opts, ecn, now_s_, now_ms_);
    tcp::TxSegment t;
    endpoint_.cookie_synack(seg, c.isn, c.ts_val, t);
    counters_->cookies_sent.add();
    counters_->synack_sent.add();
    last_cookie_s_ = now_s_ + 1;
    if (write_segment(m, t, peer))
      send(m);
    else
      rte_pktmbuf_free(m);
    return;
  }
  tcp::Output out;
  if (state_count_[static_cast<int>(tcp::State::kSynReceived)] >= cfg_.backlog) {
    drop(m, DropReason::backlog_full);
    return;
  }
  int32_t idx = new_flow(key, f.src_mac);
  if (idx < 0) {
    drop(m, DropReason::flow_table_full);
    return;
  }
  flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
  uint64_t now_us = (now_tsc_ - p_.tsc_epoch) / tsc_per_us_;
  tcp::Seq isn = isn_.next(key, now_us);
  if (isn_floor && isn <= *isn_floor) isn = *isn_floor + 1;
  endpoint_.on_listen(seg, isn, now_ms_, rec.tcb, out);
  if (!out.has(tcp::event::kCreated)) {
    flows_->erase(static_cast<uint32_t>(idx));
    table_changes_++;
    apply(-1, tcp::State::kListen, out, m, peer);
    return;
  }
  apply(idx, tcp::State::kListen, out, m, peer);
}

void Worker::handle_cookie_ack(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                               const tcp::FourTuple& key) {
  Peer peer{f.src_mac, key};
  tcp::CookieOptions co;
  tcp::SynCookieCodec::Verdict v = codec_.validate(key, seg, now_s_, co);
  tcp::Output out;
  if (v != tcp::SynCookieCodec::Verdict::kValid) {
    // Not ours, forged or expired: RST as for any unknown connection, counted
    // by why the cookie failed.
    tcp::Endpoint::on_closed(seg, out);
    out.drop = tcp::Drop::kNone;
    counters_->drop(v == tcp::SynCookieCodec::Verdict::kTooOld ? DropReason::cookie_too_old
                                                               : DropReason::cookie_bad_hash);
    apply(-1, tcp::State::kListen, out, m, peer);
    return;
  }
  counters_->cookies_validated.add();
  int32_t idx = new_flow(key, f.src_mac);
  if (idx < 0) {
    drop(m, DropReason::flow_table_full);
    return;
  }
  flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
  endpoint_.on_cookie_ack(seg, co, now_ms_, rec.tcb, out);
  apply(idx, tcp::State::kListen, out, m, peer);
}

int32_t Worker::new_flow(const tcp::FourTuple& key, const wire::MacAddr& mac) {
  int32_t idx = flows_->insert(key);
  if (idx < 0) return idx;
  table_changes_++;
  std::memcpy(flows_->at(static_cast<uint32_t>(idx)).peer_mac, mac.b, 6);
  return idx;
}

void Worker::free_flow(uint32_t idx, tcp::State counted) {
  timers_->cancel(idx);
  if (counted != tcp::State::kListen && counted != tcp::State::kClosed)
    state_count_[static_cast<int>(counted)]--;
  flows_->erase(idx);
  table_changes_++;
}

// `before` is the state the flow was counted in (kListen/kClosed: not counted yet).
void Worker::apply(int32_t idx, tcp::State before, const tcp::Output& out, rte_mbuf* m,
                   const Peer& peer) {
  count_output(out, before);
  if (idx >= 0) {
    uint32_t i = static_cast<uint32_t>(idx);
    tcp::State after = flows_->at(i).tcb.state;
    if (out.has(tcp::event::kClosed) || after == tcp::State::kClosed) {
      free_flow(i, before);
    } else {
      if (after != before) {
        if (before != tcp::State::kListen && before != tcp::State::kClosed)
          state_count_[static_cast<int>(before)]--;
        state_count_[static_cast<int>(after)]++;
        if (after == tcp::State::kSynReceived) {
          uint32_t half_open = state_count_[static_cast<int>(after)];
          if (half_open > counters_->half_open_peak.get()) counters_->half_open_peak.set(half_open);
        }
      }
      if (out.timer == tcp::TimerOp::kArm)
        timers_->arm(i, uint64_t{now_ms_} + out.timer_ms);
      else if (out.timer == tcp::TimerOp::kCancel)
        timers_->cancel(i);
    }
  }
  emit(out, m, peer);
}

void Worker::count_output(const tcp::Output& out, tcp::State before) {
  using namespace tcp::event;
  WorkerCounters& c = *counters_;
  if (out.drop != tcp::Drop::kNone) c.drop(drop_for(out.drop));
  if (out.events) {
    if (out.has(kEstablished)) c.connections_established.add();
    if (out.has(kClosed)) {
      // Only what reached ESTABLISHED was a connection; a handshake that
      // ends (retries exhausted, RST) is a half-open record going away.
      using tcp::State;
      bool half_open =
          !out.has(kEstablished) &&
          tcp::in_state(before, tcp::bit(State::kSynReceived) | tcp::bit(State::kSynSent) |
                                    tcp::bit(State::kListen));
      if (half_open)
        c.half_open_closed.add();
      else
        (out.has(kReset) ? c.connections_reset : c.connections_closed).add();
    }
    if (out.has(kTimeWaitExpired)) c.time_wait_expired.add();
    if (out.has(kSynAckRetransmit)) c.synack_retransmits.add();
    if (out.has(kRetransmit)) c.retransmits.add();
    if (out.has(kChallengeAck)) c.challenge_acks_sent.add();
  }
  for (int i = 0; i < out.n_tx; i++) {
    uint8_t fl = out.tx[i].flags;
    if (fl & tcp::tcpflag::kRst) c.rst_sent.add();
    if ((fl & (tcp::tcpflag::kSyn | tcp::tcpflag::kAck)) ==
        (tcp::tcpflag::kSyn | tcp::tcpflag::kAck))
      c.synack_sent.add();
  }
}

void Worker::emit(const tcp::Output& out, rte_mbuf* m, const Peer& peer) {
  for (int i = 0; i < out.n_tx; i++) {
    rte_mbuf* b = (i == 0 && m) ? m : rte_pktmbuf_alloc(p_.pool);
    if (!b) {
      counters_->drop(DropReason::no_mbuf);
      continue;
    }
    if (write_segment(b, out.tx[i], peer))
      send(b);
    else
      rte_pktmbuf_free(b);
  }
  if (m && out.n_tx == 0) rte_pktmbuf_free(m);
}

// Builds the whole frame at the start of `b`: for the first reply that is the
// received frame's own memory (answered in place, no allocation).
bool Worker::write_segment(rte_mbuf* b, const tcp::TxSegment& s, const Peer& peer) {
  wire::TcpHeaderSpec spec;
  spec.src_mac = p_.mac;
  spec.dst_mac = peer.mac;
  spec.src_ip = peer.key.local_ip;
  spec.dst_ip = peer.key.remote_ip;
  spec.src_port = peer.key.local_port;
  spec.dst_port = peer.key.remote_port;
  spec.seq = s.seq.raw();
  spec.ack = s.ack.raw();
  spec.wnd = s.wnd;
  spec.flags = s.flags;
  spec.payload = cfg_.response.data() + s.data_off;
  spec.payload_len = s.data_len;
  spec.csum_offload = p_.tx_tcp_csum_offload;
  rte_pktmbuf_reset_headroom(b);
  uint32_t total = uint32_t{wire::kMaxTcpHeadroom} + s.data_len;
  if (total > rte_pktmbuf_tailroom(b) + b->data_len) {
    counters_->drop(DropReason::no_mbuf);
    return false;
  }
  // Options go straight to their place in the frame (no copy); the headers
  // are written around them.
  uint8_t* frame = rte_pktmbuf_mtod(b, uint8_t*);
  uint8_t* opts = frame + wire::tcp_frame_header_len(0);
  spec.opt_len = static_cast<uint8_t>(tcp::write_options(opts, s.opts, &spec.opts_sum));
  spec.opts = opts;
  spec.opts_sum_known = true;
  b->data_len = wire::write_tcp_segment(frame, spec);
  b->pkt_len = b->data_len;
  b->nb_segs = 1;
  b->next = nullptr;
  if (p_.tx_tcp_csum_offload) {
    b->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
    b->l2_len = wire::kEthHdrLen;
    b->l3_len = wire::kIpv4MinHdrLen;
  } else {
    b->ol_flags = 0;
  }
  return true;
}

void Worker::on_timer(uint32_t idx) {
  flow::FlowRecord& rec = flows_->at(idx);
  tcp::State before = rec.tcb.state;
  tcp::Output out;
  endpoint_.on_timer(rec.tcb, now_ms_, out);
  Peer peer;
  std::memcpy(peer.mac.b, rec.peer_mac, 6);
  peer.key = rec.key;
  apply(static_cast<int32_t>(idx), before, out, nullptr, peer);
}

}  // namespace synack::runtime
