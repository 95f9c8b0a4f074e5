// Segment construction, the server's send sequence and timer decisions.
#include <algorithm>

#include "tcp/tcp_internal.h"

namespace synack::tcp::detail {

namespace {

// TSopt of a non-SYN segment: TSval = our clock, TSecr = TS.Recent (RFC 7323 3.2).
TcpOptions ts_options(const Tcb& tcb, uint32_t now_ms) {
  TcpOptions o;
  if (tcb.has(tcbflag::kTimestamps)) {
    o.has_timestamps = true;
    o.ts_val = now_ms;
    o.ts_ecr = tcb.ts_recent;
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
  t->opts = ts_options(c.tcb, c.now_ms);
  return t;
}

// One data segment of the response: [seq, seq + len), PSH when it ends the
// response, FIN riding on it when asked.
void add_data(Ctx& c, Seq seq, uint32_t len, bool fin) {
  const Seq end = data_end(c.cfg, c.tcb);
  uint8_t flags = (seq + len == end) ? tcpflag::kPsh : 0;
  if (fin) flags |= tcpflag::kFin;
  TxSegment* t = add_acking(c, seq, flags);
  if (t == nullptr) return;
  t->data_off = static_cast<uint32_t>(seq - (c.tcb.iss + 1));
  t->data_len = static_cast<uint16_t>(len);
}

// RFC 9293 3.7.1: the MSS counts data only when the header carries no
// options, so the timestamp option (RFC 7323, 12 bytes with its NOPs) comes
// out of every segment's payload; otherwise a full segment overruns the MTU.
uint32_t segment_cap(const Tcb& tcb) {
  uint32_t opts = tcb.has(tcbflag::kTimestamps) ? 12 : 0;
  return std::min<uint32_t>(tcb.snd_mss - opts, 0xFFFF);
}

}  // namespace

TxSegment* tx_slot(Output& out) {
  return out.n_tx < Output::kMaxTx ? &out.add() : nullptr;
}

uint16_t window_field(const EndpointConfig& cfg, const Tcb& tcb) {
  return static_cast<uint16_t>(std::min<uint32_t>(cfg.rcv_wnd >> tcb.rcv_wscale, 0xFFFF));
}

uint16_t syn_window_field(const EndpointConfig& cfg) {
  return static_cast<uint16_t>(std::min<uint32_t>(cfg.rcv_wnd, 0xFFFF));
}

void send_ack(Ctx& c) {
  add_acking(c, c.tcb.snd_nxt, 0);
}

void send_challenge_ack(Ctx& c, Drop why) {
  send_ack(c);
  c.out.events |= event::kChallengeAck;
  c.out.drop = why;
}

void send_syn(Ctx& c) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return;
  t->seq = c.tcb.iss;
  t->flags = tcpflag::kSyn;
  t->wnd = syn_window_field(c.cfg);
  // RFC 9293 3.7.1, RFC 7323 2.2/3.2, RFC 2018: offer everything we support.
  t->opts.has_mss = true;
  t->opts.mss = c.cfg.mss;
  t->opts.has_wscale = true;
  t->opts.wscale = std::min(c.cfg.rcv_wscale, kMaxWscale);
  t->opts.sack_permitted = true;
  t->opts.has_timestamps = true;
  t->opts.ts_val = c.now_ms;
}

void send_synack(Ctx& c) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return;
  t->seq = c.tcb.iss;
  t->ack = c.tcb.rcv_nxt;
  t->flags = tcpflag::kSyn | tcpflag::kAck;
  t->wnd = syn_window_field(c.cfg);
  t->opts = ts_options(c.tcb, c.now_ms);
  t->opts.has_mss = true;
  t->opts.mss = c.cfg.mss;
  // RFC 7323 1.3/2.2 and RFC 2018: only what the peer's SYN offered.
  if (c.tcb.has(tcbflag::kWscale)) {
    t->opts.has_wscale = true;
    t->opts.wscale = c.tcb.rcv_wscale;
  }
  t->opts.sack_permitted = c.tcb.has(tcbflag::kSackOk);
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

void send_abort(Ctx& c) {
  TxSegment* t = tx_slot(c.out);
  if (t == nullptr) return;
  t->seq = c.tcb.snd_nxt;
  t->ack = c.tcb.rcv_nxt;
  t->flags = tcpflag::kRst | tcpflag::kAck;
  c.out.events |= event::kResetSent;
}

Seq data_end(const EndpointConfig& cfg, const Tcb& tcb) {
  return tcb.iss + 1 + (tcb.has(tcbflag::kRequestSeen) ? cfg.response_len : 0);
}

bool fin_acked(const EndpointConfig& cfg, const Tcb& tcb) {
  return tcb.has(tcbflag::kFinQueued) && tcb.snd_una == data_end(cfg, tcb) + 1;
}

bool has_unsent(const EndpointConfig& cfg, const Tcb& tcb) {
  const Seq end = data_end(cfg, tcb);
  return tcb.snd_nxt < end || (tcb.has(tcbflag::kFinQueued) && tcb.snd_nxt == end);
}

void push_pending(Ctx& c) {
  Tcb& t = c.tcb;
  const Seq end = data_end(c.cfg, t);
  const bool fin = t.has(tcbflag::kFinQueued);
  while (c.out.n_tx < Output::kMaxTx) {
    if (t.snd_nxt < end) {
      // RFC 9293 3.8.6: send only inside SND.UNA + SND.WND.
      const int64_t usable = int64_t{t.snd_wnd} - (t.snd_nxt - t.snd_una);
      if (usable <= 0) return;
      uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(end - t.snd_nxt), segment_cap(t));
      len = static_cast<uint32_t>(std::min<int64_t>(len, usable));
      const bool with_fin = fin && t.snd_nxt + len == end;
      add_data(c, t.snd_nxt, len, with_fin);
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

void retransmit_outstanding(Ctx& c) {
  const Tcb& t = c.tcb;
  const Seq end = data_end(c.cfg, t);
  const bool fin_sent = t.has(tcbflag::kFinQueued) && t.snd_nxt == end + 1;
  Seq p = t.snd_una;
  while (p < t.snd_nxt && c.out.n_tx < Output::kMaxTx) {
    if (p < end) {
      const Seq stop = std::min(end, t.snd_nxt);
      const uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(stop - p), segment_cap(t));
      const bool with_fin = fin_sent && p + len == end;
      add_data(c, p, len, with_fin);
      p += len + (with_fin ? 1 : 0);
    } else {
      add_acking(c, p, tcpflag::kFin);
      p += 1;
    }
  }
}

void send_probe(Ctx& c) {
  Tcb& t = c.tcb;
  const Seq end = data_end(c.cfg, t);
  if (t.snd_nxt < end) {
    const bool with_fin = t.has(tcbflag::kFinQueued) && t.snd_nxt + 1 == end;
    add_data(c, t.snd_nxt, 1, with_fin);
    t.snd_nxt += with_fin ? 2 : 1;
  } else {
    push_pending(c);  // only the FIN is left, and it ignores the window
  }
}

uint32_t rto_ms(const EndpointConfig& cfg, uint8_t retries) {
  // RFC 6298 5.5: back off by doubling, bounded by RFC 6298 2.5's maximum.
  const uint64_t rto = uint64_t{cfg.rto_initial_ms} << std::min<uint8_t>(retries, 31);
  return static_cast<uint32_t>(std::min<uint64_t>(rto, cfg.rto_max_ms));
}

void arm_timer(Output& out, uint32_t ms) {
  out.timer = TimerOp::kArm;
  out.timer_ms = ms;
}

void close_tcb(Ctx& c, uint16_t why) {
  c.tcb.state = State::kClosed;
  c.out.events |= event::kClosed | why;
  c.out.timer = TimerOp::kCancel;
  c.out.timer_ms = 0;
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
    if (acked_new || !outstanding_before) arm_timer(c.out, rto_ms(c.cfg, t.retries));
  } else if (has_unsent(c.cfg, t)) {
    arm_timer(c.out, rto_ms(c.cfg, t.retries));  // zero window: persist timer
  } else if (c.cfg.idle_timeout_ms != 0) {
    arm_timer(c.out, c.cfg.idle_timeout_ms);
  } else {
    c.out.timer = TimerOp::kCancel;
  }
}

}  // namespace synack::tcp::detail
