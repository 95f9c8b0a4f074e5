// Endpoint entry points: LISTEN (3.10.7.2), no TCB (3.10.7.1), OPEN (3.10.1),
// SYN cookies, TIME-WAIT kept compactly, and the state/drop names. The
// per-state work is in tcp_input.cc.
#include "tcp/endpoint.h"

#include <algorithm>

#include "tcp/congestion.h"
#include "tcp/listen_decision.h"
#include "tcp/synack.h"
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
  static constexpr const char* kNames[kNumDrops] = {"none",
#define SYNACK_TCP_DROP_NAME(e, name) #name,
                                                    SYNACK_TCP_DROPS(SYNACK_TCP_DROP_NAME)
#undef SYNACK_TCP_DROP_NAME
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

void Endpoint::on_listen(const Segment& seg, Seq iss, uint64_t now_ms, Tcb& tcb,
                         Output& out) const {
  out.reset();
  const ListenDecision d = listen_decision(seg.flags);
  switch (d.action) {
    case ListenAction::kDrop:
      out.drop = d.drop;
      return;
    case ListenAction::kReset:
    case ListenAction::kAckSyn:  // no cookie here: the stateful listener has none to check
      detail::send_reset_for(seg, out);
      out.drop = d.drop;
      return;
    case ListenAction::kSyn:
      break;
  }
  // "Third, check for a SYN": "Set RCV.NXT to SEG.SEQ+1, IRS is set to
  // SEG.SEQ [...] ISS should be selected and a SYN segment sent of the form
  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and SND.UNA
  // to ISS." Text on the SYN is not taken (RCV.NXT = SEG.SEQ+1).
  tcb = Tcb{};
  tcb.iss = iss;
  tcb.rcv_nxt = seg.seq + 1;
  tcb.snd_una = iss;
  tcb.snd_nxt = iss + 1;
  tcb.snd_wnd = seg.wnd;  // unscaled in a SYN (RFC 7323 2.2)
  tcb.snd_wl1 = seg.seq;
  tcb.state = State::kSynReceived;
  apply_promise(promise_synack(seg.opts, cfg_, false), tcb);
  if (tcb.has(tcbflag::kTimestamps)) tcb.ts_recent = seg.opts.ts_val;
  // The SYN-ACK is timed (RFC 6298 3): its ACK gives the first RTT sample.
  if (!tcb.has(tcbflag::kTimestamps)) {
    tcb.flags |= tcbflag::kRttTiming;
    tcb.rtt_seq = iss + 1;
    tcb.rtt_start = static_cast<uint16_t>(now_ms);
  }
  Ctx c{cfg_, *app_, nullptr, tcb, now_ms, out};
  detail::send_synack(c);
  detail::arm_timer(out, rto_ms(cfg_, tcb));
  out.events |= event::kCreated;
}

void Endpoint::on_segment(Tcb& tcb, const Segment& seg, uint64_t now_ms, Output& out,
                          void* app_state) const {
  out.reset();
  Ctx c{cfg_, *app_, app_state, tcb, now_ms, out};
  detail::segment_arrives(c, seg);
}

void Endpoint::open(Tcb& tcb, Seq iss, uint64_t now_ms, Output& out) const {
  out.reset();
  // RFC 9293 3.10.1 OPEN, active: "A SYN segment of the form <SEQ=ISS><CTL=SYN>
  // is sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
  tcb = Tcb{};
  tcb.iss = iss;
  tcb.snd_una = iss;
  tcb.snd_nxt = iss + 1;
  tcb.snd_mss = std::min<uint16_t>(536, cfg_.mss);
  tcb.set_wscales(0, std::min(cfg_.rcv_wscale, kMaxWscale));
  tcb.state = State::kSynSent;
  tcb.flags = tcbflag::kActiveOpen;
  Ctx c{cfg_, *app_, nullptr, tcb, now_ms, out};
  detail::send_syn(c);
  detail::arm_timer(out, rto_ms(cfg_, tcb));
}

TxSegment Endpoint::cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts) const {
  return build_synack(promise_synack(syn.opts, cfg_, true), cfg_, cookie_isn, syn.seq + 1,
                      cookie_ts, syn.opts.ts_val);
}

void Endpoint::on_cookie_ack(const Segment& ack, const CookieOptions& opts, uint64_t now_ms,
                             Tcb& tcb, Output& out, void* app_state) const {
  out.reset();
  tcb = Tcb{};
  tcb.iss = ack.ack - 1;
  tcb.snd_una = ack.ack;
  tcb.snd_nxt = ack.ack;
  tcb.rcv_nxt = ack.seq;
  // What the cookie remembers is what its SYN-ACK promised (promise_synack
  // with stateless = true), the MSS rounded down to the cookie's table.
  SynAckPromise p;
  p.peer_mss = std::min(opts.mss, cfg_.mss);
  p.timestamps = opts.timestamps;
  if (opts.wscale != kNoWscale) {
    p.wscale = true;
    p.peer_wscale = std::min(opts.wscale, kMaxWscale);
    p.our_wscale = std::min(cfg_.rcv_wscale, kMaxWscale);
  }
  p.sack = opts.sack_permitted;
  apply_promise(p, tcb);
  if (opts.timestamps && ack.opts.has_timestamps) tcb.ts_recent = ack.opts.ts_val;
  tcb.snd_wnd = uint32_t{ack.wnd} << tcb.snd_wscale();
  tcb.snd_wl1 = ack.seq;
  tcb.state = State::kEstablished;
  Ctx c{cfg_, *app_, app_state, tcb, now_ms, out};
  out.events |= event::kCreated | event::kEstablished;
  cc_init(cfg_, tcb);
  {
    AppContext a = c.app_ctx();
    app_->on_established(a);
  }
  // The rest of the segment (data, FIN) as on_segment would process it.
  detail::segment_arrives(c, ack);
}

TimeWaitState Endpoint::time_wait_state(const Tcb& tcb) {
  TimeWaitState tw;
  tw.snd_nxt = tcb.snd_nxt;
  tw.rcv_nxt = tcb.rcv_nxt;
  tw.ts_recent = tcb.ts_recent;
  tw.timestamps = tcb.has(tcbflag::kTimestamps);
  tw.rcv_wscale = tcb.has(tcbflag::kWscale) ? tcb.rcv_wscale() : 0;
  tw.oow_ack_stamp = tcb.oow_ack_stamp;
  return tw;
}

void Endpoint::on_time_wait_segment(TimeWaitState& tw, const Segment& seg, uint64_t now_ms,
                                    Output& out) const {
  out.reset();
  // A TCB that says exactly what TIME-WAIT knows: everything we sent, our FIN
  // included, is acknowledged (SND.UNA = SND.NXT, the FIN at SND.NXT - 1 with
  // nothing queued before it), the peer's FIN is taken. The RFC 9293 3.10.7.4
  // steps then treat the segment as they would with the full record.
  Tcb t;
  t.state = State::kTimeWait;
  t.snd_nxt = tw.snd_nxt;
  t.snd_una = tw.snd_nxt;
  t.iss = tw.snd_nxt - 2;
  t.snd_wl1 = tw.rcv_nxt;
  t.rcv_nxt = tw.rcv_nxt;
  t.ts_recent = tw.ts_recent;
  t.flags = tcbflag::kFinQueued | tcbflag::kFinReceived;
  if (tw.timestamps) t.flags |= tcbflag::kTimestamps;
  if (tw.rcv_wscale != 0) t.flags |= tcbflag::kWscale;
  t.set_wscales(0, tw.rcv_wscale);
  t.oow_ack_stamp = tw.oow_ack_stamp;
  Ctx c{cfg_, *app_, nullptr, t, now_ms, out};
  detail::segment_arrives(c, seg);
  tw.ts_recent = t.ts_recent;
  tw.oow_ack_stamp = t.oow_ack_stamp;
}

bool Endpoint::syn_reopens_time_wait(const TimeWaitState& tw, const Segment& seg) {
  if ((seg.flags & (tcpflag::kSyn | tcpflag::kAck | tcpflag::kRst)) != tcpflag::kSyn) return false;
  if (tw.timestamps && seg.opts.has_timestamps) {
    const auto d = static_cast<int32_t>(seg.opts.ts_val - tw.ts_recent);
    return d > 0 || (d == 0 && seg.seq > tw.rcv_nxt);
  }
  return seg.seq > tw.rcv_nxt;
}

}  // namespace synack::tcp
