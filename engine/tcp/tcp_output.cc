// Segment construction, the send sequence and timer decisions.
#include <algorithm>

#include "tcp/congestion.h"
#include "tcp/synack.h"
#include "tcp/tcp_internal.h"

namespace synack::tcp::detail {

namespace {

// TSopt of a non-SYN segment: TSval = our clock, TSecr = TS.Recent (RFC 7323 3.2).
TcpOptions ts_options(const Ctx& c) {
  TcpOptions o;
  if (c.tcb.has(tcbflag::kTimestamps)) {
    o.has_timestamps = true;
    o.ts_val = c.ts_now();
    o.ts_ecr = c.tcb.ts_recent;
  }
  return o;
}

// An ACK-bearing segment at `seq` carrying RCV.NXT, window and TSopt.
TxSegment* add_acking(Ctx& c, Seq seq, uint8_t flags) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return nullptr;
  t->seq = seq;
  t->ack = c.tcb.rcv_nxt;
  t->flags = static_cast<uint8_t>(tcpflag::kAck | flags);
  t->wnd = window_field(c.cfg, c.tcb);
  t->opts = ts_options(c);
  return t;
}

// One data segment: [seq, seq + len), PSH when it ends the queued data, FIN
// riding on it when asked.
void add_data(Ctx& c, Seq seq, uint32_t len, bool fin) {
  const Seq end = data_end(c.tcb);
  uint8_t flags = (seq + len == end) ? tcpflag::kPsh : 0;
  if (fin) flags |= tcpflag::kFin;
  TxSegment* t = add_acking(c, seq, flags);
  if (t == nullptr) return;
  t->data_off = static_cast<uint32_t>(seq - (c.tcb.iss + 1));
  t->data_len = static_cast<uint16_t>(len);
}

// RFC 6298 3 (Karn): time one segment at a time, never a retransmitted one.
// With timestamps every ACK is a measurement (RFC 7323 4), nothing to time.
void start_timing(Ctx& c, Seq end) {
  Tcb& t = c.tcb;
  if (t.has(tcbflag::kTimestamps) || t.has(tcbflag::kRttTiming) || t.has(tcbflag::kRecovery))
    return;
  t.flags |= tcbflag::kRttTiming;
  t.rtt_seq = end;
  t.rtt_start = static_cast<uint16_t>(c.now_ms);
}

// The 16-bit stamp of the per-flow ACK limit (tcb.h).
uint16_t oow_stamp(uint64_t now_ms) {
  return static_cast<uint16_t>(now_ms >> 3);
}

}  // namespace

TxSegment* tx_slot(Output& out) {
  return out.n_tx < Output::kMaxTx ? &out.add() : nullptr;
}

uint16_t window_field(const EndpointConfig& cfg, const Tcb& tcb) {
  return static_cast<uint16_t>(std::min<uint32_t>(cfg.rcv_wnd >> tcb.rcv_wscale(), 0xFFFF));
}

uint32_t advertised_window(const EndpointConfig& cfg, const Tcb& tcb) {
  if (tcb.state == State::kSynReceived) return std::min<uint32_t>(cfg.rcv_wnd, 0xFFFF);
  return uint32_t{window_field(cfg, tcb)} << tcb.rcv_wscale();
}

void send_ack(Ctx& c) {
  add_acking(c, c.tcb.snd_nxt, 0);
}

void send_rate_limited_ack(Ctx& c, Drop why) {
  c.out.drop = why;
  // RFC 5961 7 with Linux's tcp_oow_rate_limited(): one per flow per interval.
  // The stamp is in 8 ms units, so `since` stamps mean more than
  // (since - 1) * 8 ms: the interval is over once that reaches it, never early.
  constexpr uint16_t kIntervalStamps = (kOowAckIntervalMs - 1) / 8 + 2;
  const uint16_t now = oow_stamp(c.now_ms);
  const auto since = static_cast<uint16_t>(now - c.tcb.oow_ack_stamp);
  if (c.tcb.oow_ack_stamp != 0 && since < kIntervalStamps) {
    c.out.events |= event::kAckThrottled;
    return;
  }
  c.tcb.oow_ack_stamp = now != 0 ? now : 1;  // 0 means "never"
  if (c.tcb.state == State::kSynReceived && why == Drop::kDuplicate) {
    send_synack(c);
    c.out.events |= event::kSynAckRetransmit;
  } else {
    send_ack(c);
  }
  c.out.events |= event::kRateLimitedAck;
}

void send_challenge_ack(Ctx& c, Drop why) {
  send_rate_limited_ack(c, why);
  if (c.out.n_tx != 0) c.out.events |= event::kChallengeAck;
}

void send_syn(Ctx& c) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return;
  t->seq = c.tcb.iss;
  t->flags = tcpflag::kSyn;
  t->wnd = static_cast<uint16_t>(std::min<uint32_t>(c.cfg.rcv_wnd, 0xFFFF));
  // RFC 9293 3.7.1, RFC 7323 2.2/3.2, RFC 2018: offer everything we support.
  t->opts.has_mss = true;
  t->opts.mss = c.cfg.mss;
  t->opts.has_wscale = true;
  t->opts.wscale = std::min(c.cfg.rcv_wscale, kMaxWscale);
  t->opts.sack_permitted = true;
  t->opts.has_timestamps = true;
  t->opts.ts_val = c.ts_now();
  start_timing(c, c.tcb.iss + 1);
}

void send_synack(Ctx& c) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return;
  *t =
      build_synack(promise_of(c.tcb), c.cfg, c.tcb.iss, c.tcb.rcv_nxt, c.ts_now(), c.tcb.ts_recent);
}

void send_reset_for(const Segment& seg, Output& out) {
  if (seg.has(tcpflag::kRst)) return;  // never answer a RST with a RST
  TxSegment* t = tx_slot(out);
  if (t == nullptr) return;
  if (seg.has(tcpflag::kAck)) {
    t->seq = seg.ack;  // <SEQ=SEG.ACK><CTL=RST>
    t->flags = tcpflag::kRst;
  } else {
    t->seq = Seq(0);  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    t->ack = seg.seq + seg.len();
    t->flags = tcpflag::kRst | tcpflag::kAck;
  }
}

void send_abort(const Tcb& tcb, Output& out) {
  TxSegment* t = tx_slot(out);
  if (t == nullptr) return;
  t->seq = tcb.snd_nxt;
  t->ack = tcb.rcv_nxt;
  t->flags = tcpflag::kRst | tcpflag::kAck;
  out.events |= event::kResetSent;
}

Seq data_end(const Tcb& tcb) {
  return tcb.iss + 1 + tcb.snd_queued;
}

bool fin_acked(const Tcb& tcb) {
  return tcb.has(tcbflag::kFinQueued) && tcb.snd_una == data_end(tcb) + 1;
}

bool has_unsent(const Tcb& tcb) {
  const Seq end = data_end(tcb);
  return tcb.snd_nxt < end || (tcb.has(tcbflag::kFinQueued) && tcb.snd_nxt == end);
}

void push_pending(Ctx& c) {
  Tcb& t = c.tcb;
  const Seq end = data_end(t);
  const bool fin = t.has(tcbflag::kFinQueued);
  while (c.out.n_tx < Output::kMaxTx) {
    if (t.snd_nxt < end) {
      // RFC 9293 3.8.6: send only inside SND.UNA + SND.WND; RFC 5681: and
      // inside the congestion window.
      const int64_t window = std::min<int64_t>(t.snd_wnd, cwnd_bytes(t));
      const int64_t usable = window - (t.snd_nxt - t.snd_una);
      if (usable <= 0) return;
      uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(end - t.snd_nxt), segment_payload(t));
      len = static_cast<uint32_t>(std::min<int64_t>(len, usable));
      const bool with_fin = fin && t.snd_nxt + len == end;
      add_data(c, t.snd_nxt, len, with_fin);
      start_timing(c, t.snd_nxt + len);
      t.snd_nxt += len + (with_fin ? 1 : 0);
    } else if (fin && t.snd_nxt == end) {
      // The FIN takes no window space (as in Linux): a zero window never holds it.
      add_acking(c, t.snd_nxt, tcpflag::kFin);
      t.snd_nxt += 1;
    } else {
      return;
    }
  }
}

void retransmit_outstanding(Ctx& c, bool timeout) {
  Tcb& t = c.tcb;
  if (timeout) {
    t.flags &= static_cast<uint8_t>(~tcbflag::kRttTiming);  // Karn: no sample from a resend
    t.flags |= tcbflag::kRecovery;
    t.rtt_seq = t.snd_una;
  }
  const Seq end = data_end(t);
  const bool fin_sent = t.has(tcbflag::kFinQueued) && t.snd_nxt == end + 1;
  // The window the resending may fill: the congestion window (one segment
  // right after the timeout, RFC 5681 3.1) and the peer's.
  const uint32_t seg = std::max<uint32_t>(segment_payload(t), 1);
  int64_t window = std::min<int64_t>(t.snd_wnd, cwnd_bytes(t));
  if (timeout) window = std::max<int64_t>(window, seg);
  Seq p = std::max(t.rtt_seq, t.snd_una);
  while (p < t.snd_nxt && c.out.n_tx < Output::kMaxTx) {
    if (p < end) {
      const int64_t room = window - (p - t.snd_una);
      if (room <= 0) break;
      const Seq stop = std::min(end, t.snd_nxt);
      uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(stop - p), seg);
      len = static_cast<uint32_t>(std::min<int64_t>(len, room));
      const bool with_fin = fin_sent && p + len == end;
      add_data(c, p, len, with_fin);
      p += len + (with_fin ? 1 : 0);
    } else {
      add_acking(c, p, tcpflag::kFin);  // only the FIN is left: it takes no window
      p += 1;
    }
  }
  t.rtt_seq = p;
  if (p >= t.snd_nxt) t.flags &= static_cast<uint8_t>(~tcbflag::kRecovery);
}

void send_probe(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.snd_nxt < data_end(t)) {
    add_acking(c, t.snd_una - 1, 0);
  } else {
    push_pending(c);  // only the FIN is left, and it ignores the window
  }
}

void arm_timer(Output& out, uint32_t ms) {
  out.timer = TimerOp::kArm;
  out.timer_ms = ms;
}

void close_tcb(Tcb& tcb, Output& out, uint32_t why) {
  tcb.state = State::kClosed;
  out.events |= event::kClosed | why;
  out.timer = TimerOp::kCancel;
  out.timer_ms = 0;
}

void enter_time_wait(Ctx& c) {
  // RFC 9293 3.10.7.4 step 8: "Start the time-wait timer, turn off the other timers."
  c.tcb.state = State::kTimeWait;
  c.out.events |= event::kTimeWait;
  arm_timer(c.out, c.cfg.time_wait_ms);
}

void settle_timer(Ctx& c, bool outstanding_before, bool acked_new) {
  const Tcb& t = c.tcb;
  if (!in_state(t.state, kSynchronized) || t.state == State::kTimeWait) return;
  if (t.snd_una < t.snd_nxt) {
    // RFC 6298 5.1: start the timer when sending into an idle pipe;
    // 5.3: restart it when new data is acknowledged.
    if (acked_new || !outstanding_before) arm_timer(c.out, rto_ms(c.cfg, t));
  } else if (has_unsent(t)) {
    arm_timer(c.out, rto_ms(c.cfg, t));  // zero window: the persist timer (RFC 9293 3.8.6.1)
  } else if (t.state == State::kFinWait2 && c.cfg.fin_timeout_ms != 0) {
    arm_timer(c.out, c.cfg.fin_timeout_ms);  // a silent peer cannot hold the record forever
  } else if (c.cfg.idle_timeout_ms != 0) {
    arm_timer(c.out, c.cfg.idle_timeout_ms);
  } else {
    c.out.timer = TimerOp::kCancel;
  }
}

}  // namespace synack::tcp::detail
