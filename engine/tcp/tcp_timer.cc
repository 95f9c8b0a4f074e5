// The flow's single timer: SYN/SYN-ACK retransmission, data/FIN RTO with
// go-back-N, zero-window probe, TIME-WAIT end and idle close.
#include "tcp/state_machine.h"
#include "tcp/tcp_internal.h"

namespace synack::tcp {

namespace {

using detail::Ctx;

// SYN-SENT and SYN-RECEIVED: resend our SYN (or SYN-ACK) with exponential
// backoff; after `synack_retries` resends give up quietly (no RST: the peer
// never completed the handshake, as Linux does).
void handshake_timeout(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.retries >= c.cfg.synack_retries) {
    detail::close_tcb(c, event::kGaveUp);
    return;
  }
  ++t.retries;
  if (t.state == State::kSynSent) {
    detail::send_syn(c);
    c.out.events |= event::kRetransmit;
  } else {
    detail::send_synack(c);
    c.out.events |= event::kSynAckRetransmit;
  }
  detail::arm_timer(c.out, detail::rto_ms(c.cfg, t.retries));
}

// RFC 6298 5.4-5.6: retransmit the earliest unacknowledged segment(s), back
// off, restart the timer. After `data_retries` abort with a RST (RFC 9293 3.8.3
// R2). With nothing in flight but unsent data, the peer's window is zero:
// send a one-byte probe (RFC 9293 3.8.6.1).
void data_timeout(Ctx& c) {
  Tcb& t = c.tcb;
  if (t.retries >= c.cfg.data_retries) {
    detail::send_abort(c);
    detail::close_tcb(c, event::kGaveUp);
    return;
  }
  ++t.retries;
  if (t.snd_una < t.snd_nxt) {
    detail::retransmit_outstanding(c);
  } else {
    detail::send_probe(c);
  }
  c.out.events |= event::kRetransmit;
  detail::arm_timer(c.out, detail::rto_ms(c.cfg, t.retries));
}

}  // namespace

void Endpoint::on_timer(Tcb& tcb, uint32_t now_ms, Output& out) const {
  out.reset();
  Ctx c{cfg_, tcb, now_ms, out};
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
      if (tcb.snd_una < tcb.snd_nxt || detail::has_unsent(cfg_, tcb)) {
        data_timeout(c);
      } else {
        detail::send_abort(c);  // idle: everything acked and nothing heard
        detail::close_tcb(c, event::kIdleTimeout);
      }
      return;
  }
}

}  // namespace synack::tcp
