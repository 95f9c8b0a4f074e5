// Endpoint entry points: LISTEN (3.10.7.2), no TCB (3.10.7.1), OPEN (3.10.1),
// SYN cookies, and the state/drop names. The per-state work is in tcp_input.cc.
#include "tcp/state_machine.h"

#include <algorithm>

#include "tcp/tcp_internal.h"

namespace synack::tcp {

using detail::Ctx;

const char* state_name(State s) {
  static constexpr const char* kNames[kNumStates] = {
      "closed",     "listen",     "syn_sent", "syn_received", "established", "fin_wait_1",
      "fin_wait_2", "close_wait", "closing",  "last_ack",     "time_wait",
  };
  const auto i = static_cast<unsigned>(s);
  return i < kNumStates ? kNames[i] : "unknown";
}

const char* drop_name(Drop d) {
  static constexpr const char* kNames[kNumDrops] = {
      "none",           "out_of_window",    "paws",        "rst_out_of_window", "rst_challenged",
      "syn_challenged", "ack_unacceptable", "no_ack",      "ack_in_syn_sent",   "listen_rst",
      "listen_ack",     "listen_no_syn",    "closed_port", "duplicate",         "syn_sent_no_syn",
  };
  const auto i = static_cast<unsigned>(d);
  return i < kNumDrops ? kNames[i] : "unknown";
}

void Endpoint::on_closed(const Segment& seg, Output& out) {
  out.reset();
  // RFC 9293 3.10.7.1: "If the state is CLOSED [...] An incoming segment
  // containing a RST is discarded. An incoming segment not containing a RST
  // causes a RST to be sent in response."
  detail::send_reset_for(seg, out);
  out.drop = Drop::kClosedPort;
}

void Endpoint::on_listen(const Segment& seg, Seq iss, uint32_t now_ms, Tcb& tcb,
                         Output& out) const {
  out.reset();
  // RFC 9293 3.10.7.2 first: "check for a RST [...] should be ignored".
  if (seg.has(tcpflag::kRst)) {
    out.drop = Drop::kListenRst;
    return;
  }
  // Second: "Any acknowledgment is bad if it arrives on a connection still in
  // the LISTEN state. An acceptable reset segment should be formed [...]
  // <SEQ=SEG.ACK><CTL=RST>".
  if (seg.has(tcpflag::kAck)) {
    detail::send_reset_for(seg, out);
    out.drop = Drop::kListenAck;
    return;
  }
  // Fourth: "Any other control or text-bearing segment (not containing SYN)
  // must have an ACK and thus would be discarded". SYN+FIN is dropped too
  // (as Linux does): no legitimate stack sends it.
  if (!seg.has(tcpflag::kSyn) || seg.has(tcpflag::kFin)) {
    out.drop = Drop::kListenNoSyn;
    return;
  }
  // Third, check for a SYN: "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ
  // [...] ISS should be selected and a SYN segment sent of the form
  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and SND.UNA
  // to ISS." Text on the SYN is not taken (RCV.NXT = SEG.SEQ+1).
  tcb = Tcb{};
  tcb.iss = iss;
  tcb.irs = seg.seq;
  tcb.rcv_nxt = seg.seq + 1;
  tcb.snd_una = iss;
  tcb.snd_nxt = iss + 1;
  tcb.snd_wnd = seg.wnd;  // unscaled in a SYN (RFC 7323 2.2)
  tcb.snd_wl1 = seg.seq;
  tcb.snd_wl2 = iss;
  tcb.state = State::kSynReceived;
  detail::negotiate_options(cfg_, tcb, seg.opts);
  // RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR.
  if (seg.has(tcpflag::kEce) && seg.has(tcpflag::kCwr)) tcb.flags |= tcbflag::kEcn;
  Ctx c{cfg_, tcb, now_ms, out};
  detail::send_synack(c);
  detail::arm_timer(out, detail::rto_ms(cfg_, 0));
  out.events |= event::kCreated;
}

void Endpoint::on_segment(Tcb& tcb, const Segment& seg, uint32_t now_ms, Output& out) const {
  out.reset();
  Ctx c{cfg_, tcb, now_ms, out};
  detail::segment_arrives(c, seg);
}

void Endpoint::open(Tcb& tcb, Seq iss, uint32_t now_ms, Output& out) const {
  out.reset();
  // RFC 9293 3.10.1 OPEN, active: "A SYN segment of the form <SEQ=ISS><CTL=SYN>
  // is sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
  tcb = Tcb{};
  tcb.iss = iss;
  tcb.snd_una = iss;
  tcb.snd_nxt = iss + 1;
  tcb.snd_mss = std::min(detail::kDefaultMss, cfg_.mss);
  tcb.rcv_wscale = std::min(cfg_.rcv_wscale, kMaxWscale);
  tcb.state = State::kSynSent;
  tcb.flags = tcbflag::kActiveOpen;
  Ctx c{cfg_, tcb, now_ms, out};
  detail::send_syn(c);
  detail::arm_timer(out, detail::rto_ms(cfg_, 0));
}

bool Endpoint::syn_reopens_time_wait(const Tcb& tcb, const Segment& seg) {
  if (tcb.state != State::kTimeWait) return false;
  if ((seg.flags & (tcpflag::kSyn | tcpflag::kAck | tcpflag::kRst)) != tcpflag::kSyn) return false;
  if (tcb.has(tcbflag::kTimestamps) && seg.opts.has_timestamps)
    return static_cast<int32_t>(seg.opts.ts_val - tcb.ts_recent) > 0;
  return seg.seq > tcb.rcv_nxt;
}

void Endpoint::cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts,
                             Output& out) const {
  out.reset();
  cookie_synack(syn, cookie_isn, cookie_ts, out.add());
}

void Endpoint::cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts,
                             TxSegment& t) const {
  t.seq = cookie_isn;
  t.ack = syn.seq + 1;
  t.flags = tcpflag::kSyn | tcpflag::kAck;
  t.wnd = detail::syn_window_field(cfg_);
  t.opts.has_mss = true;
  t.opts.mss = cfg_.mss;
  // RFC 7323 / RFC 2018: echo only what the SYN offered.
  if (syn.opts.has_wscale) {
    t.opts.has_wscale = true;
    t.opts.wscale = std::min(cfg_.rcv_wscale, kMaxWscale);
  }
  t.opts.sack_permitted = syn.opts.sack_permitted;
  if (syn.opts.has_timestamps) {
    t.opts.has_timestamps = true;
    t.opts.ts_val = cookie_ts;
    t.opts.ts_ecr = syn.opts.ts_val;
  }
}

void Endpoint::on_cookie_ack(const Segment& ack, const CookieOptions& opts, uint32_t now_ms,
                             Tcb& tcb, Output& out) const {
  out.reset();
  tcb = Tcb{};
  tcb.iss = ack.ack - 1;
  tcb.irs = ack.seq - 1;
  tcb.snd_una = ack.ack;
  tcb.snd_nxt = ack.ack;
  tcb.rcv_nxt = ack.seq;
  tcb.snd_mss = std::min(std::max(opts.mss, detail::kMinMss), cfg_.mss);
  if (opts.wscale != kNoWscale) {
    tcb.flags |= tcbflag::kWscale;
    tcb.snd_wscale = std::min(opts.wscale, kMaxWscale);
    tcb.rcv_wscale = std::min(cfg_.rcv_wscale, kMaxWscale);
  }
  if (opts.sack_permitted) tcb.flags |= tcbflag::kSackOk;
  if (opts.ecn) tcb.flags |= tcbflag::kEcn;
  if (opts.timestamps) {
    tcb.flags |= tcbflag::kTimestamps;
    if (ack.opts.has_timestamps) tcb.ts_recent = ack.opts.ts_val;
  }
  tcb.snd_wnd = uint32_t{ack.wnd} << tcb.snd_wscale;
  tcb.snd_wl1 = ack.seq;
  tcb.snd_wl2 = ack.ack;
  tcb.state = State::kEstablished;
  out.events |= event::kCreated | event::kEstablished;
  // The rest of the segment (data, FIN) as on_segment would process it.
  Ctx c{cfg_, tcb, now_ms, out};
  detail::segment_arrives(c, ack);
}

}  // namespace synack::tcp
