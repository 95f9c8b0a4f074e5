// What a segment to a listening port with no connection gets (RFC 9293
// 3.10.7.2), decided in one table for every path that answers it: the
// stateful listener, the SYN-cookie path and the runtime's admission. As in
// VPP's tcp_input dispatch, the control bits index the table; every cell
// names its RFC step.
#pragma once

#include <cstdint>

#include "tcp/tcp_drops.h"

namespace synack::tcp {

enum class ListenAction : uint8_t {
  kDrop,    // discard, counted under `drop`
  kReset,   // <SEQ=SEG.ACK><CTL=RST>, counted under `drop`
  kSyn,     // a connection request: admission, then a SYN-ACK (stateful or cookie)
  kAckSyn,  // an ACK that may complete a cookie handshake; otherwise as kReset
};

struct ListenDecision {
  ListenAction action;
  Drop drop;  // the reason counted when the segment is not taken
};

// By SYN, ACK, RST and FIN alone: URG, PSH, ECE, CWR and payload do not
// change the answer (text on a SYN is not taken, RFC 9293 3.10.7.2).
ListenDecision listen_decision(uint8_t tcp_flags);

}  // namespace synack::tcp
