#include "tcp/application.h"

#include "tcp/tcp_internal.h"

namespace synack::tcp {

// RFC 9293 3.10.4 CLOSE: ESTABLISHED enters FIN-WAIT-1 and CLOSE-WAIT enters
// LAST-ACK at once; the FIN itself goes out after the queued data.
void AppContext::close() {
  if (tcb_.has(tcbflag::kFinQueued)) return;
  tcb_.flags |= tcbflag::kFinQueued;
  if (tcb_.state == State::kEstablished) tcb_.state = State::kFinWait1;
  if (tcb_.state == State::kCloseWait) tcb_.state = State::kLastAck;
}

// RFC 9293 3.10.5 ABORT: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and
// CLOSE-WAIT "Send a reset segment: <SEQ=SND.NXT><CTL=RST>"; SYN-SENT,
// CLOSING, LAST-ACK and TIME-WAIT just "delete the TCB". A TIME-WAIT entered
// by this very segment is then not kept either.
void AppContext::abort() {
  if (tcb_.state == State::kClosed) return;
  if (!in_state(tcb_.state, bit(State::kSynSent) | bit(State::kClosing) | bit(State::kLastAck) |
                                bit(State::kTimeWait))) {
    detail::send_abort(tcb_, out_);
  }
  out_.events &= ~event::kTimeWait;
  detail::close_tcb(tcb_, out_, 0);
}

}  // namespace synack::tcp
