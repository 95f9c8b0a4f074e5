#include "tcp/application.h"

namespace synack::tcp {

// RFC 9293 3.10.4 CLOSE: ESTABLISHED enters FIN-WAIT-1 and CLOSE-WAIT enters
// LAST-ACK at once; the FIN itself goes out after the queued data.
void AppContext::close() {
  if (tcb_.has(tcbflag::kFinQueued)) return;
  tcb_.flags |= tcbflag::kFinQueued;
  if (tcb_.state == State::kEstablished) tcb_.state = State::kFinWait1;
  if (tcb_.state == State::kCloseWait) tcb_.state = State::kLastAck;
}

}  // namespace synack::tcp
