// RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (other states) "SEGMENT ARRIVES",
// with RFC 5961 and RFC 7323 checks, then the server application step.
#include <algorithm>

#include "tcp/tcp_internal.h"

namespace synack::tcp::detail {

namespace {

// RCV.WND of the acceptability test (RFC 9293 3.10.7.4 step 1).
uint32_t rcv_wnd(const Ctx& c) {
  return c.cfg.rcv_wnd;
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
  // SYN-ACK are not taken (the peer retransmits them).
  t.irs = seg.seq;
  t.rcv_nxt = seg.seq + 1;
  negotiate_options(c.cfg, t, seg.opts);
  t.snd_wnd = seg.wnd;  // the window of a SYN is never scaled (RFC 7323 2.2)
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = seg.ack;
  t.retries = 0;
  if (ack) {
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state
    // to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
    t.snd_una = seg.ack;
    t.state = State::kEstablished;
    c.out.events |= event::kEstablished;
    send_ack(c);
    settle_timer(c, true, true);
    return;
  }
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it" (simultaneous open).
  t.state = State::kSynReceived;
  send_synack(c);
  arm_timer(c.out, rto_ms(c.cfg, 0));
}

// ---- Synchronized states (3.10.7.4), one function per step ---------------------

// SYN-RECEIVED special cases that the sequence test would reject:
//  - the peer retransmitted its SYN (SEG.SEQ = IRS): resend the SYN-ACK;
//  - simultaneous open, the peer's SYN-ACK (SEG.SEQ = IRS, SEG.ACK = SND.NXT)
//    acknowledges our SYN: ESTABLISHED (as Linux tcp_validate_incoming does).
bool syn_received_resyn(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  if (t.state != State::kSynReceived || seg.seq != t.irs) return false;
  if ((seg.flags & (tcpflag::kSyn | tcpflag::kRst)) != tcpflag::kSyn) return false;
  if (!seg.has(tcpflag::kAck)) {
    send_synack(c);
    c.out.drop = Drop::kDuplicate;
    return true;
  }
  if (seg.ack != t.snd_nxt || seg.payload_len != 0) return false;
  t.snd_una = seg.ack;
  t.snd_wnd = seg.wnd;  // a SYN's window is unscaled
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = seg.ack;
  t.retries = 0;
  t.state = State::kEstablished;
  c.out.events |= event::kEstablished;
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
  send_ack(c);
  c.out.drop = Drop::kPaws;
  return false;
}

// RFC 9293 3.10.7.4 step 1, the four cases:
//   LEN=0 WND=0: SEG.SEQ = RCV.NXT
//   LEN=0 WND>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   LEN>0 WND=0: not acceptable
//   LEN>0 WND>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//             or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
bool seq_acceptable(const Ctx& c, const Segment& seg) {
  const Seq nxt = c.tcb.rcv_nxt;
  const uint32_t wnd = rcv_wnd(c);
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
    // Wholly old: a retransmitted request or FIN. Re-ACK it; in TIME-WAIT
    // "Acknowledge it, and restart the 2 MSL timeout" (step 8).
    send_ack(c);
    c.out.drop = Drop::kDuplicate;
    if (t.state == State::kTimeWait && seg.has(tcpflag::kFin)) {
      arm_timer(c.out, c.cfg.time_wait_ms);
    }
  } else {
    send_ack(c);
    c.out.drop = Drop::kOutOfWindow;
  }
  return false;
}

// Step 2 with RFC 5961 3.2: "If the RST bit is set and the sequence number
// exactly matches the next expected sequence number (RCV.NXT), then TCP MUST
// reset the connection"; in window but not exact: send a challenge ACK.
void rst_step(Ctx& c, const Segment& seg) {
  if (seg.seq == c.tcb.rcv_nxt) {
    close_tcb(c, event::kResetByPeer);
  } else {
    send_challenge_ack(c, Drop::kRstChallenged);
  }
}

// RFC 7323 4.3 (R3 of 5.3): "If SEG.TSval >= TS.Recent and SEG.SEQ =<
// Last.ACK.sent then SEG.TSval is copied to TS.Recent". We ACK every segment
// at once, so Last.ACK.sent is RCV.NXT before this segment.
void update_ts_recent(Ctx& c, const Segment& seg) {
  Tcb& t = c.tcb;
  if (!t.has(tcbflag::kTimestamps) || !seg.opts.has_timestamps) return;
  if (static_cast<int32_t>(seg.opts.ts_val - t.ts_recent) >= 0 && seg.seq <= t.rcv_nxt) {
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
  c.out.events |= event::kEstablished;
  t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale;
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = seg.ack;
  return true;
}

enum class Next : uint8_t { kContinue, kStop };

// Step 5 for ESTABLISHED and later states. Returns kStop when the segment is
// done with (dropped, or the connection closed).
Next ack_step(Ctx& c, const Segment& seg, bool& acked_new) {
  Tcb& t = c.tcb;
  if (t.state == State::kSynReceived && !ack_syn_received(c, seg)) return Next::kStop;
  // RFC 5961 5.2: acceptable iff (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT;
  // otherwise "send an ACK, drop the segment, and return".
  const uint32_t max_snd_wnd = std::max(t.snd_wnd, kMinMaxSndWnd);
  if (seg.ack > t.snd_nxt || seg.ack < t.snd_una - max_snd_wnd) {
    send_ack(c);
    c.out.drop = Drop::kAckUnacceptable;
    return Next::kStop;
  }
  // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK."
  if (t.snd_una < seg.ack) {
    t.snd_una = seg.ack;
    t.retries = 0;
    acked_new = true;
  }
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If
  // (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))".
  if (t.snd_una <= seg.ack &&
      (t.snd_wl1 < seg.seq || (t.snd_wl1 == seg.seq && t.snd_wl2 <= seg.ack))) {
    t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale;
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = seg.ack;
  }
  const bool our_fin_acked = fin_acked(c.cfg, t);
  switch (t.state) {
    case State::kFinWait1:
      // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
      if (our_fin_acked) t.state = State::kFinWait2;
      return Next::kContinue;
    case State::kClosing:
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state;
      // otherwise, ignore the segment". Text and FIN are ignored in CLOSING
      // anyway; continuing lets a window update release unsent response bytes.
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
  uint32_t accepted = 0;  // new in-order bytes taken
  bool need_ack = false;
  bool fin_reachable = false;  // nothing left between RCV.NXT and the FIN
};

// Step 7: only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take text. We keep no
// receive buffer: in-order bytes advance RCV.NXT, later ones are dropped and
// RCV.NXT is ACKed again so the peer retransmits.
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
  const Seq limit = t.rcv_nxt + rcv_wnd(c);
  const Seq take = std::min(end, limit);  // trim to the window
  if (take > t.rcv_nxt) {
    r.accepted = static_cast<uint32_t>(take - t.rcv_nxt);
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
      if (fin_acked(c.cfg, t)) {
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

// CLOSE call (RFC 9293 3.10.4): queue our FIN after the response; ESTABLISHED
// enters FIN-WAIT-1 and CLOSE-WAIT enters LAST-ACK at once.
void app_close(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.has(tcbflag::kFinQueued)) return;
  t.flags |= tcbflag::kFinQueued;
  if (t.state == State::kEstablished) t.state = State::kFinWait1;
  if (t.state == State::kCloseWait) t.state = State::kLastAck;
}

// The server application: the first request queues the response (and the FIN
// on an active close); the peer's FIN makes it close too. Clients (kActiveOpen)
// do nothing here yet.
void app_step(Ctx& c, uint32_t accepted) {
  Tcb& t = c.tcb;
  if (t.has(tcbflag::kActiveOpen)) return;
  const uint16_t open = bit(State::kEstablished) | bit(State::kCloseWait);
  if (accepted > 0 && !t.has(tcbflag::kRequestSeen) && in_state(t.state, open)) {
    t.flags |= tcbflag::kRequestSeen;
    c.out.events |= event::kRequest;
    if (c.cfg.active_close) app_close(c);
  }
  if (t.state == State::kCloseWait) app_close(c);
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
  update_ts_recent(c, seg);
  bool acked_new = false;
  if (ack_step(c, seg, acked_new) == Next::kStop) return;
  // Step 6 (URG) is ignored.
  const uint8_t n_before = c.out.n_tx;
  const TextResult text = text_step(c, seg);  // step 7
  const bool fin = fin_step(c, seg, text);    // step 8
  app_step(c, text.accepted);
  push_pending(c);
  // Every segment we send carries RCV.NXT; a pure ACK only when none went out.
  // A FIN not yet in sequence is ACKed too, so the peer learns about the hole.
  const bool need_ack = text.need_ack || fin || seg.has(tcpflag::kFin);
  if (need_ack && c.out.n_tx == n_before) send_ack(c);
  settle_timer(c, outstanding_before, acked_new);
}

}  // namespace

void negotiate_options(const EndpointConfig& cfg, Tcb& tcb, const TcpOptions& o) {
  // RFC 9293 3.7.1: the peer's MSS, 536 when absent; never above ours.
  const uint16_t peer_mss = o.has_mss ? std::max(o.mss, kMinMss) : kDefaultMss;
  tcb.snd_mss = std::min(peer_mss, cfg.mss);
  // RFC 7323 2.2: scaling in both directions only when both SYNs carry WS.
  if (o.has_wscale) {
    tcb.flags |= tcbflag::kWscale;
    tcb.snd_wscale = std::min(o.wscale, kMaxWscale);
    tcb.rcv_wscale = std::min(cfg.rcv_wscale, kMaxWscale);
  } else {
    tcb.flags &= static_cast<uint8_t>(~tcbflag::kWscale);
    tcb.snd_wscale = 0;
    tcb.rcv_wscale = 0;
  }
  if (o.sack_permitted) tcb.flags |= tcbflag::kSackOk;
  // RFC 7323 3.2: timestamps only when the SYN carried TSopt.
  if (o.has_timestamps) {
    tcb.flags |= tcbflag::kTimestamps;
    tcb.ts_recent = o.ts_val;
  }
}

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
