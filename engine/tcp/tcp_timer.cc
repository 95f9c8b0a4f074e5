// The flow's single timer: SYN/SYN-ACK retransmission, data/FIN RTO with
// go-back-N, zero-window probe, FIN-WAIT-2, TIME-WAIT end and idle close.
#include "tcp/congestion.h"
#include "tcp/endpoint.h"
#include "tcp/tcp_internal.h"

namespace synack::tcp {

namespace {

using detail::Ctx;

void back_off(Tcb& t) {
  t.set_retries(static_cast<uint8_t>(t.retries() + 1));
  t.set_backoff(static_cast<uint8_t>(t.backoff() + 1));
}

// SYN-SENT and SYN-RECEIVED: resend our SYN (or SYN-ACK) with exponential
// backoff; after `synack_retries` resends give up quietly (no RST: the peer
// never completed the handshake, as Linux does).
void handshake_timeout(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.retries() >= c.cfg.synack_retries) {
    detail::close_tcb(c, event::kGaveUp);
    return;
  }
  back_off(t);
  t.flags &= static_cast<uint8_t>(~tcbflag::kRttTiming);  // Karn: no sample from a resend
  if (t.state == State::kSynSent) {
    detail::send_syn(c);
    t.flags &= static_cast<uint8_t>(~tcbflag::kRttTiming);
    c.out.events |= event::kRetransmit;
  } else {
    detail::send_synack(c);
    c.out.events |= event::kSynAckRetransmit;
  }
  detail::arm_timer(c.out, rto_ms(c.cfg, t));
}

// RFC 6298 5.4-5.6: retransmit the earliest unacknowledged segment(s), back
// off, restart the timer; RFC 5681 (4): collapse the congestion window. After
// `data_retries` abort with a RST (RFC 9293 3.8.3 R2). With nothing in flight
// but unsent data, the peer's window is zero: probe it (RFC 9293 3.8.6.1, an
// ACK below the window as Linux sends); retries then count unanswered probes.
void data_timeout(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.retries() >= c.cfg.data_retries) {
    detail::send_abort(c);
    detail::close_tcb(c, event::kGaveUp);
    return;
  }
  back_off(t);
  if (t.snd_una < t.snd_nxt) {
    cc_on_timeout(t, static_cast<uint32_t>(t.snd_nxt - t.snd_una));
    detail::retransmit_outstanding(c, true);
  } else {
    detail::send_probe(c);
  }
  c.out.events |= event::kRetransmit;
  detail::arm_timer(c.out, rto_ms(c.cfg, t));
}

}  // namespace

void Endpoint::on_timer(Tcb& tcb, uint64_t now_ms, Output& out, void* app_state) const {
  out.reset();
  Ctx c{cfg_, *app_, app_state, tcb, now_ms, out};
  switch (tcb.state) {
    case State::kClosed:
    case State::kListen:
      out.timer = TimerOp::kCancel;
      return;
    case State::kSynSent:
    case State::kSynReceived:
      handshake_timeout(c);
      return;
    case State::kTimeWait:
      // RFC 9293 3.10.8: "If the time-wait timeout expires on a connection
      // delete the TCB, enter the CLOSED state and return."
      detail::close_tcb(c, event::kTimeWaitExpired);
      return;
    default:
      if (tcb.snd_una < tcb.snd_nxt || detail::has_unsent(tcb)) {
        data_timeout(c);
      } else if (tcb.state == State::kFinWait2 && c.cfg.fin_timeout_ms != 0) {
        // Our FIN is acknowledged and the peer never sends its own: end the
        // connection without a RST, as Linux does after tcp_fin_timeout.
        // (With no FIN-WAIT-2 bound, only the idle timeout ends it, below.)
        detail::close_tcb(c, event::kFinWait2Timeout);
      } else {
        detail::send_abort(c);  // idle: everything acked and nothing heard
        detail::close_tcb(c, event::kIdleTimeout);
      }
      return;
  }
}

}  // namespace synack::tcp
