// RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (other states) "SEGMENT ARRIVES",
// with RFC 5961 and RFC 7323 checks, then the application step.
#include <algorithm>

#include "tcp/congestion.h"
#include "tcp/synack.h"
#include "tcp/tcp_internal.h"

namespace synack::tcp::detail {

namespace {

// The connection reached ESTABLISHED: congestion state from the negotiated
// MSS, then the application (a client queues its request here).
void established(Ctx& c) {
  c.out.events |= event::kEstablished;
  cc_init(c.cfg, c.tcb);
  AppContext a = c.app_ctx();
  c.app.on_established(a);
}

// RFC 7323 4 and RFC 6298: an ACK that took new data off the flight measures
// the RTT, from its TSecr when timestamps are on, else from the timed segment.
void measure_rtt(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  if (t.has(tcbflag::kTimestamps)) {
    if (seg.opts.has_timestamps && seg.opts.ts_ecr != 0) {
      const auto rtt = static_cast<int32_t>(c.ts_now() - seg.opts.ts_ecr);
      if (rtt >= 0) rtt_sample(t, static_cast<uint32_t>(rtt));
    }
    return;
  }
  if (t.has(tcbflag::kRttTiming) && seg.ack >= t.rtt_seq) {
    t.flags &= static_cast<uint8_t>(~tcbflag::kRttTiming);
    rtt_sample(t, static_cast<uint16_t>(static_cast<uint16_t>(c.now_ms) - t.rtt_start));
  }
}

// ---- SYN-SENT (3.10.7.3) -----------------------------------------------------

void syn_sent(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
  // reset (unless the RST bit is set, if so drop the segment and return)".
  const bool ack = seg.has(tcpflag::kAck);
  if (ack && (seg.ack <= t.iss || seg.ack > t.snd_nxt)) {
    send_reset_for(seg, c.out);
    c.out.drop = Drop::kAckInSynSent;
    return;
  }
  // Second, check the RST bit: with an acceptable ACK, "error: connection reset"
  // and CLOSED; otherwise drop it (RFC 5961 3.2: the ACK must cover our SYN).
  if (seg.has(tcpflag::kRst)) {
    if (ack) {
      close_tcb(c, event::kResetByPeer);
    } else {
      c.out.drop = Drop::kRstOutOfWindow;
    }
    return;
  }
  // Fifth, "if neither of the SYN or RST bits is set, then drop the segment".
  if (!seg.has(tcpflag::kSyn)) {
    c.out.drop = Drop::kSynSentNoSyn;
    return;
  }
  // Fourth, check the SYN bit: RCV.NXT <- SEG.SEQ+1, IRS <- SEG.SEQ, and
  // SND.UNA <- SEG.ACK when there is an ACK. Data or a FIN riding on the
  // SYN-ACK are not taken (the peer retransmits them). Our SYN offered every
  // option, so what the peer's SYN carries is what is in force.
  t.rcv_nxt = seg.seq + 1;
  apply_promise(promise_synack(seg.opts, c.cfg, false), t);
  if (t.has(tcbflag::kTimestamps)) t.ts_recent = seg.opts.ts_val;
  t.snd_wnd = seg.wnd;  // the window of a SYN is never scaled (RFC 7323 2.2)
  t.snd_wl1 = seg.seq;
  t.set_retries(0);
  if (ack) {
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state
    // to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
    measure_rtt(c, seg);
    t.set_backoff(0);
    t.snd_una = seg.ack;
    t.state = State::kEstablished;
    established(c);
    const uint8_t n_before = c.out.n_tx;
    push_pending(c);
    if (c.out.n_tx == n_before) send_ack(c);
    settle_timer(c, true, true);
    return;
  }
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it" (simultaneous open).
  t.state = State::kSynReceived;
  send_synack(c);
  arm_timer(c.out, rto_ms(c.cfg, t));
}

// ---- Synchronized states (3.10.7.4), one function per step ---------------------

// SYN-RECEIVED special cases that the sequence test would reject:
//  - the peer retransmitted its SYN (SEG.SEQ = IRS = RCV.NXT - 1): resend the
//    SYN-ACK, at most once per kOowAckIntervalMs (RFC 5961 7);
//  - simultaneous open, the peer's SYN-ACK (SEG.SEQ = IRS, SEG.ACK = SND.NXT)
//    acknowledges our SYN: ESTABLISHED (as Linux tcp_validate_incoming does).
bool syn_received_resyn(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  if (t.state != State::kSynReceived) return false;
  if ((seg.flags & (tcpflag::kSyn | tcpflag::kRst)) != tcpflag::kSyn) return false;
  if (seg.seq != t.rcv_nxt - 1) {
    // A SYN with another sequence number: "If this connection was initiated
    // with a passive OPEN, then return this connection to the LISTEN state and
    // return" (RFC 9293 3.10.7.4, fourth). The listener then answers it as a
    // new SYN, as the cookie path (which has no record) does.
    if (t.has(tcbflag::kActiveOpen) || seg.has(tcpflag::kAck)) return false;
    close_tcb(c, event::kReturnedToListen);
    return true;
  }
  if (!seg.has(tcpflag::kAck)) {
    send_rate_limited_ack(c, Drop::kDuplicate);
    return true;
  }
  // The peer's SYN-ACK in a simultaneous open (we sent a SYN too); a passive
  // record takes it as an old duplicate (RFC 9293 step 1), as Linux does.
  if (!t.has(tcbflag::kActiveOpen) || seg.ack != t.snd_nxt || seg.payload_len != 0) return false;
  t.snd_una = seg.ack;
  t.snd_wnd = seg.wnd;  // a SYN's window is unscaled
  t.snd_wl1 = seg.seq;
  t.set_retries(0);
  t.set_backoff(0);
  t.state = State::kEstablished;
  established(c);
  push_pending(c);
  settle_timer(c, true, true);
  return true;
}

// RFC 7323 5.3 R1 (PAWS): "If there is a Timestamps option in the arriving
// segment, SEG.TSval < TS.Recent, [...] and the RST bit is not set, then treat
// the arriving segment as not acceptable: Send an acknowledgment [...] Drop".
bool paws_ok(Ctx& c, const Segment& seg) {
  const Tcb& t = c.tcb;
  if (!t.has(tcbflag::kTimestamps) || !seg.opts.has_timestamps || seg.has(tcpflag::kRst)) {
    return true;
  }
  if (static_cast<int32_t>(seg.opts.ts_val - t.ts_recent) >= 0) return true;
  send_rate_limited_ack(c, Drop::kPaws);
  return false;
}

// RFC 9293 3.10.7.4 step 1, the four cases, RCV.WND being the window we
// advertised (a RST beyond it is dropped silently, RFC 5961 3.2):
//   LEN=0 WND=0: SEG.SEQ = RCV.NXT
//   LEN=0 WND>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   LEN>0 WND=0: not acceptable
//   LEN>0 WND>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//             or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
bool seq_acceptable(const Ctx& c, const Segment& seg) {
  const Seq nxt = c.tcb.rcv_nxt;
  const uint32_t wnd = advertised_window(c.cfg, c.tcb);
  const uint32_t len = seg.len();
  if (wnd == 0) return len == 0 && seg.seq == nxt;
  const Seq hi = nxt + wnd;
  if (in_window(seg.seq, nxt, hi)) return true;
  return len > 0 && in_window(seg.seq + (len - 1), nxt, hi);
}

// Step 1: "If a segment's contents straddle the boundary between old and new,
// only the new parts are processed"; an unacceptable segment gets an ACK
// (unless it is a RST, RFC 5961 3.2: silently dropped) and is dropped.
bool sequence_ok(Ctx& c, const Segment& seg) {
  if (seq_acceptable(c, seg)) return true;
  const Tcb& t = c.tcb;
  if (seg.has(tcpflag::kRst)) {
    c.out.drop = Drop::kRstOutOfWindow;
  } else if (seg.has(tcpflag::kSyn)) {
    send_challenge_ack(c, Drop::kSynChallenged);  // RFC 5961 4.2, any sequence number
  } else if (seg.len() > 0 && seg.seq + seg.len() <= t.rcv_nxt) {
    // Wholly old: a retransmitted request or FIN, whose ACK was lost. Re-ACK
    // it at once (not rate-limited: the peer needs it); in TIME-WAIT
    // "Acknowledge it, and restart the 2 MSL timeout" (step 8).
    send_ack(c);
    c.out.drop = Drop::kDuplicate;
    if (t.state == State::kTimeWait && seg.has(tcpflag::kFin)) {
      arm_timer(c.out, c.cfg.time_wait_ms);
    }
  } else {
    send_rate_limited_ack(c, Drop::kOutOfWindow);
  }
  return false;
}

// Step 2 with RFC 5961 3.2: "If the RST bit is set and the sequence number
// exactly matches the next expected sequence number (RCV.NXT), then TCP MUST
// reset the connection"; in window but not exact: send a challenge ACK.
void rst_step(Ctx& c, const Segment& seg) {
  if (seg.seq == c.tcb.rcv_nxt) {
    close_tcb(c, event::kResetByPeer);
  } else if (c.tcb.state == State::kSynReceived && !c.tcb.has(tcbflag::kActiveOpen)) {
    // A half-open record has nothing a blind RST could harm, and the cookie
    // path, which keeps no record, cannot send a challenge ACK: both drop it
    // (Linux drops the request socket on any in-window RST).
    c.out.drop = Drop::kRstInexact;
  } else {
    send_challenge_ack(c, Drop::kRstChallenged);
  }
}

// RFC 7323 4.3 (R3 of 5.3): "If SEG.TSval >= TS.Recent and SEG.SEQ =<
// Last.ACK.sent then SEG.TSval is copied to TS.Recent". Called only once the
// segment's ACK was accepted (step 5), so a segment with an unacceptable ACK
// never moves it. We ACK every segment at once, so Last.ACK.sent is RCV.NXT
// before this segment.
void update_ts_recent(Ctx& c, const Segment& seg, Seq rcv_nxt_before) {
  Tcb& t = c.tcb;
  if (!t.has(tcbflag::kTimestamps) || !seg.opts.has_timestamps) return;
  if (static_cast<int32_t>(seg.opts.ts_val - t.ts_recent) >= 0 && seg.seq <= rcv_nxt_before) {
    t.ts_recent = seg.opts.ts_val;
  }
}

// Step 5, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
// state and continue processing with the variables below set to:
// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment
// acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
bool ack_syn_received(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  if (!(t.snd_una < seg.ack && seg.ack <= t.snd_nxt)) {
    send_reset_for(seg, c.out);
    c.out.drop = Drop::kAckUnacceptable;
    return false;
  }
  t.state = State::kEstablished;
  t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale();
  t.snd_wl1 = seg.seq;
  established(c);
  return true;
}

enum class Next : uint8_t { kContinue, kStop };

// Step 5 for ESTABLISHED and later states. Returns kStop when the segment is
// done with (dropped, or the connection closed).
Next ack_step(Ctx& c, const Segment& seg, bool& acked_new) {
  Tcb& t = c.tcb;
  if (t.state == State::kSynReceived && !ack_syn_received(c, seg)) return Next::kStop;
  // RFC 5961 5.2: acceptable iff (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT;
  // otherwise "send an ACK, drop the segment, and return". In TIME-WAIT all
  // we sent is acknowledged and the compact record keeps no window: the
  // largest window RFC 7323 allows stands in (Linux checks no ACK there).
  const uint32_t max_snd_wnd =
      t.state == State::kTimeWait ? kMaxScaledWindow : std::max(t.snd_wnd, kMinMaxSndWnd);
  if (seg.ack > t.snd_nxt || seg.ack < t.snd_una - max_snd_wnd) {
    send_rate_limited_ack(c, Drop::kAckUnacceptable);
    return Next::kStop;
  }
  // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK."
  const Seq una_before = t.snd_una;
  if (t.snd_una < seg.ack) {
    measure_rtt(c, seg);
    // Our SYN takes a sequence number but is not data: its ACK does not
    // grow the congestion window (RFC 5681 3.1 counts acknowledged data).
    const uint32_t acked =
        static_cast<uint32_t>(seg.ack - t.snd_una) - (t.snd_una == t.iss ? 1 : 0);
    t.snd_una = seg.ack;
    t.set_retries(0);
    t.set_backoff(0);
    if (acked > 0) cc_on_ack(t, acked);
    acked_new = true;
  }
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If
  // (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))": with
  // SND.UNA before this ACK standing in for SND.WL2 (every acceptable ACK
  // moved it there), which keeps a reordered older ACK from moving the window.
  if (una_before <= seg.ack && t.snd_wl1 <= seg.seq) {
    t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale();
    t.snd_wl1 = seg.seq;
  }
  // RFC 9293 3.8.6.1: a peer that keeps acknowledging while its
  // window is zero is alive, so unanswered probes are counted from zero again.
  if (t.snd_wnd == 0 && has_unsent(t)) t.set_retries(0);
  const bool our_fin_acked = fin_acked(t);
  switch (t.state) {
    case State::kFinWait1:
      // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
      if (our_fin_acked) t.state = State::kFinWait2;
      return Next::kContinue;
    case State::kClosing:
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state;
      // otherwise, ignore the segment". Text and FIN are ignored in CLOSING
      // anyway; continuing lets a window update release unsent bytes.
      if (our_fin_acked) {
        enter_time_wait(c);
        return Next::kStop;
      }
      return Next::kContinue;
    case State::kLastAck:
      // "If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".
      if (our_fin_acked) {
        close_tcb(c, 0);
        return Next::kStop;
      }
      return Next::kContinue;
    default:
      return Next::kContinue;
  }
}

struct TextResult {
  uint32_t accepted = 0;          // new in-order bytes taken
  const uint8_t* data = nullptr;  // where they are (null when the caller has no bytes)
  bool need_ack = false;
  bool fin_reachable = false;  // nothing left between RCV.NXT and the FIN
};

// Step 7: only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take text. We keep no
// receive buffer: in-order bytes advance RCV.NXT and go to the application,
// later ones are dropped and RCV.NXT is ACKed again so the peer retransmits.
TextResult text_step(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  TextResult r;
  const Seq end = seg.seq + seg.payload_len;
  if (seg.payload_len == 0 || !in_state(t.state, bit(State::kEstablished) | bit(State::kFinWait1) |
                                                     bit(State::kFinWait2))) {
    r.fin_reachable = end == t.rcv_nxt;
    return r;
  }
  r.need_ack = true;
  if (seg.seq > t.rcv_nxt) return r;  // a hole before it: out of order
  const Seq limit = t.rcv_nxt + advertised_window(c.cfg, t);
  const Seq take = std::min(end, limit);  // trim to the window
  if (take > t.rcv_nxt) {
    r.accepted = static_cast<uint32_t>(take - t.rcv_nxt);
    if (seg.payload) r.data = seg.payload + static_cast<uint32_t>(t.rcv_nxt - seg.seq);
    t.rcv_nxt = take;
  }
  r.fin_reachable = take == end;
  return r;
}

// Step 8: the FIN, when it is next in sequence. "Advance RCV.NXT over the FIN
// [...] and return an acknowledgment for the FIN".
bool fin_step(Ctx& c, const Segment& seg, const TextResult& text) {
  Tcb& t = c.tcb;
  if (!seg.has(tcpflag::kFin) || !text.fin_reachable || t.has(tcbflag::kFinReceived)) {
    return false;
  }
  t.rcv_nxt += 1;
  t.flags |= tcbflag::kFinReceived;
  switch (t.state) {
    case State::kSynReceived:
    case State::kEstablished:
      t.state = State::kCloseWait;  // "Enter the CLOSE-WAIT state"
      break;
    case State::kFinWait1:
      // "If our FIN has been ACKed (perhaps in this segment), then enter
      // TIME-WAIT [...]; otherwise, enter the CLOSING state."
      if (fin_acked(t)) {
        enter_time_wait(c);
      } else {
        t.state = State::kClosing;
      }
      break;
    case State::kFinWait2:
      enter_time_wait(c);  // "Enter the TIME-WAIT state. Start the time-wait timer"
      break;
    case State::kTimeWait:
      arm_timer(c.out, c.cfg.time_wait_ms);  // "restart the 2 MSL time-wait timeout"
      break;
    default:
      break;  // CLOSE-WAIT, CLOSING, LAST-ACK: "Remain in the ... state"
  }
  return true;
}

void synchronized(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  const bool outstanding_before = t.snd_una < t.snd_nxt;
  if (syn_received_resyn(c, seg)) return;
  if (!paws_ok(c, seg)) return;
  if (!sequence_ok(c, seg)) return;  // step 1
  if (seg.has(tcpflag::kRst)) {      // step 2 (step 3, security, is not used)
    rst_step(c, seg);
    return;
  }
  if (seg.has(tcpflag::kSyn)) {  // step 4, RFC 5961 4.2
    send_challenge_ack(c, Drop::kSynChallenged);
    return;
  }
  if (!seg.has(tcpflag::kAck)) {  // step 5: "if the ACK bit is off, drop the segment"
    c.out.drop = Drop::kNoAck;
    return;
  }
  const Seq rcv_nxt_before = t.rcv_nxt;
  bool acked_new = false;
  if (ack_step(c, seg, acked_new) == Next::kStop) return;
  update_ts_recent(c, seg, rcv_nxt_before);
  // Step 6 (URG) is ignored.
  const uint8_t n_before = c.out.n_tx;
  const TextResult text = text_step(c, seg);  // step 7
  const bool fin = fin_step(c, seg, text);    // step 8
  if (text.accepted > 0) {
    AppContext a = c.app_ctx();
    c.app.on_data(a, text.data, text.accepted);
    if (t.state == State::kClosed) return;  // the application aborted (AppContext::abort)
  }
  if (fin) {
    AppContext a = c.app_ctx();
    c.app.on_peer_fin(a);
    if (t.state == State::kClosed) return;
  }
  // After a timeout, every ACK that takes data off the flight lets the
  // resending go on as far as the congestion window has opened (RFC 5681
  // 3.1: go-back-N from SND.UNA), before any new data.
  if (acked_new && t.has(tcbflag::kRecovery)) retransmit_outstanding(c, false);
  push_pending(c);
  // Every segment we send carries RCV.NXT; a pure ACK only when none went out.
  // A FIN not yet in sequence is ACKed too, so the peer learns about the hole.
  const bool need_ack = text.need_ack || fin || seg.has(tcpflag::kFin);
  if (need_ack && c.out.n_tx == n_before) send_ack(c);
  settle_timer(c, outstanding_before, acked_new);
}

}  // namespace

void segment_arrives(Ctx& c, const Segment& seg) {
  switch (c.tcb.state) {
    case State::kClosed:
    case State::kListen:
      send_reset_for(seg, c.out);  // 3.10.7.1: no usable TCB
      c.out.drop = Drop::kClosedPort;
      return;
    case State::kSynSent:
      syn_sent(c, seg);
      return;
    default:
      synchronized(c, seg);
      return;
  }
}

}  // namespace synack::tcp::detail
