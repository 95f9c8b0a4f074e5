// Listener admission: what a segment for a listening port with no connection
// gets (tcp::listen_decision), SYNs through the rate limiter to a cookie or a
// SYN-RECEIVED record, cookie ACKs, and TIME-WAIT entries a newer SYN reopens.
#include "runtime/worker.h"
#include "tcp/listen_decision.h"

namespace synack::runtime {

namespace {

// RFC 6191 / RFC 1122 4.2.2.13: the new incarnation's ISN lies above the old
// one's sequence space (with room for a window of its data in flight).
constexpr uint32_t kReopenIsnGap = 1u << 17;

}  // namespace

void Worker::update_cookie_mode() {
  bool active;
  const uint32_t half_open = state_count_[static_cast<int>(tcp::State::kSynReceived)];
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

bool Worker::cookie_ack_plausible(const tcp::Segment& seg) const {
  if (tcp::listen_decision(seg.flags).action != tcp::ListenAction::kAckSyn) return false;
  // Only while this lcore may have cookies out: always, or within a cookie
  // lifetime of the last one it sent.
  return mode_ == CookieMode::kAlways ||
         (last_cookie_s_ != 0 && now_s_ + 1 - last_cookie_s_ <= tcp::SynCookieCodec::kLifetimeS);
}

void Worker::handle_listen(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                           const tcp::FourTuple& key, uint32_t sig, const uint64_t* cookie_hash) {
  const tcp::ListenDecision d = tcp::listen_decision(seg.flags);
  if (d.action == tcp::ListenAction::kSyn)
    return handle_syn(m, f, seg, key, sig, flow::TimeWaitStore::kNone);
  if (d.action == tcp::ListenAction::kAckSyn && cookie_ack_plausible(seg))
    return handle_cookie_ack(m, f, seg, key, sig, -1, cookie_hash);
  // Drop or RST, as the same table says for the stateful listener.
  tcp::Output out;
  tcp::Tcb scratch;
  endpoint_.on_listen(seg, tcp::Seq(0), now_ms_, scratch, out);
  apply(-1, tcp::State::kListen, out, m, tcp::Route{p_.mac, f.src_mac, key});
}

void Worker::handle_syn(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                        const tcp::FourTuple& key, uint32_t sig, uint32_t time_wait) {
  counters_->syn_received.add();
  // Admission first: a SYN that would reopen a TIME-WAIT entry but is refused
  // leaves the entry as it was.
  if (limiter_->enabled() && !limiter_->allow(key.remote_ip, now_tsc_)) {
    counters_->syn_rate_limited.add();
    drop(m, DropReason::syn_rate_limited);
    return;
  }
  update_cookie_mode();
  const tcp::Route route{p_.mac, f.src_mac, key};
  tcp::Seq isn_floor;
  const bool reopen = time_wait != flow::TimeWaitStore::kNone;
  // A SYN that reopens TIME-WAIT is answered with a record even under a
  // flood: its ISN must lie above the old connection's (RFC 6191 2), which a
  // cookie cannot promise. Refused, the entry stays as it was.
  const bool stateful = !cookie_active_ || reopen;
  if (stateful) {
    if (state_count_[static_cast<int>(tcp::State::kSynReceived)] >= cfg_.backlog) {
      drop(m, DropReason::backlog_full);
      return;
    }
    if (flows_->size() >= flows_->capacity()) {
      drop(m, DropReason::flow_table_full);
      return;
    }
  }
  if (reopen) {
    isn_floor = time_wait_->state(time_wait).snd_nxt + kReopenIsnGap;
    time_wait_->erase(time_wait);
    table_changes_++;
    counters_->time_wait_reused.add();
  }
  if (!stateful) {
    // Nothing stored, one segment, written over the SYN (the burst's fast
    // path does the same for many SYNs at once).
    send_cookie_synack(
        m, f, seg, key,
        codec_.encode(key, seg.seq, seg.opts, now_s_, static_cast<uint32_t>(now_ms_)));
    return;
  }
  const int32_t idx = new_flow(key, sig, f.src_mac);
  flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
  tcp::Seq isn = isn_.next(key, now_us());
  if (reopen && isn <= isn_floor) isn = isn_floor + 1;
  tcp::Output out;
  endpoint_.on_listen(seg, isn, now_ms_, rec.tcb, out);
  apply(idx, tcp::State::kListen, out, m, route);
}

void Worker::handle_cookie_ack(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                               const tcp::FourTuple& key, uint32_t sig, int32_t half_open,
                               const uint64_t* cookie_hash) {
  const tcp::Route route{p_.mac, f.src_mac, key};
  tcp::CookieOptions co;
  const tcp::SynCookieCodec::Verdict v = cookie_hash
                                             ? codec_.validate(key, seg, now_s_, co, *cookie_hash)
                                             : codec_.validate(key, seg, now_s_, co);
  tcp::Output out;
  if (v != tcp::SynCookieCodec::Verdict::kValid) {
    if (half_open >= 0) {
      // Not a cookie either: the half-open record answers it (RFC 9293
      // SYN-RECEIVED, an unacceptable ACK gets a RST).
      flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(half_open));
      endpoint_.on_segment(rec.tcb, seg, now_ms_, out, app_state(static_cast<uint32_t>(half_open)));
      apply(half_open, tcp::State::kSynReceived, out, m, route);
      return;
    }
    // Not ours, forged or expired: RST as for any ACK to a listener, counted
    // by why the cookie failed.
    (v == tcp::SynCookieCodec::Verdict::kTooOld ? counters_->cookies_too_old
                                                : counters_->cookies_bad_hash)
        .add();
    tcp::Endpoint::on_closed(seg, out);
    out.drop = tcp::Drop::kListenAck;
    apply(-1, tcp::State::kListen, out, m, route);
    return;
  }
  counters_->cookies_validated.add();
  int32_t idx = half_open;
  tcp::State before = tcp::State::kSynReceived;
  if (idx < 0) {
    before = tcp::State::kListen;
    if (flows_->size() >= flows_->capacity()) {
      // As Linux's listen queue overflow: drop the ACK, so the client's
      // retransmission succeeds once a slot frees (the cookie stays valid for
      // its lifetime); tcp_abort_on_overflow=1 resets it instead.
      if (!cfg_.abort_on_overflow) {
        drop(m, DropReason::accept_overflow);
        return;
      }
      tcp::Endpoint::on_closed(seg, out);
      out.drop = tcp::Drop::kListenAck;
      apply(-1, tcp::State::kListen, out, m, route);
      return;
    }
    idx = new_flow(key, sig, f.src_mac);
  }
  flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
  endpoint_.on_cookie_ack(seg, co, now_ms_, rec.tcb, out, app_state(static_cast<uint32_t>(idx)));
  apply(idx, before, out, m, route);
}

void Worker::handle_time_wait(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                              const tcp::FourTuple& key, uint32_t sig, uint32_t h) {
  tcp::TimeWaitState tw = time_wait_->state(h);
  if (listening(seg.dst_port) && tcp::Endpoint::syn_reopens_time_wait(tw, seg))
    return handle_syn(m, f, seg, key, sig, h);
  tcp::Output out;
  endpoint_.on_time_wait_segment(tw, seg, now_ms_, out);
  count_events(out, tcp::State::kTimeWait);
  if (out.has(tcp::event::kClosed)) {
    time_wait_->erase(h);  // RFC 9293 3.10.7.4 step 2 (RFC 5961 3.2: exact RST)
    table_changes_++;
    counters_->time_wait_reset.add();
  } else {
    if (out.timer == tcp::TimerOp::kArm) h = time_wait_->restart(h, now_ms_ + out.timer_ms);
    time_wait_->set_ts_recent(h, tw.ts_recent);  // RFC 7323 4.3
    time_wait_->set_oow_ack_stamp(h, tw.oow_ack_stamp);
  }
  emit(out, m, tcp::Route{p_.mac, f.src_mac, key}, nullptr);
}

}  // namespace synack::runtime
