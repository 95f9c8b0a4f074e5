#include "tcp/listen_decision.h"

#include "tcp/segment.h"

namespace synack::tcp {

namespace {

using A = ListenAction;
using tcpflag::kAck;
using tcpflag::kFin;
using tcpflag::kRst;
using tcpflag::kSyn;

// Index: FIN | SYN << 1 | RST << 2 | ACK << 3, i.e. the flag bits compressed.
constexpr unsigned index_of(uint8_t f) {
  return (f & kFin ? 1u : 0u) | (f & kSyn ? 2u : 0u) | (f & kRst ? 4u : 0u) | (f & kAck ? 8u : 0u);
}

struct Table {
  ListenDecision cell[16];
  constexpr Table() : cell() {
    for (unsigned i = 0; i < 16; i++) {
      const bool fin = i & 1, syn = i & 2, rst = i & 4, ack = i & 8;
      if (rst) {
        // "First, check for a RST: An incoming RST segment could not be valid
        // [...] An incoming RST should be ignored." (RST+ACK included: Linux
        // answers ACK first, but never with a RST to a RST.)
        cell[i] = {A::kDrop, Drop::kListenRst};
      } else if (ack) {
        // "Second, check for an ACK: Any acknowledgment is bad if it arrives
        // on a connection still in the LISTEN state. An acceptable reset
        // segment should be formed [...] <SEQ=SEG.ACK><CTL=RST>". A SYN-ACK
        // is such an ACK; a bare ACK (with or without data or FIN) may be the
        // third segment of a cookie handshake (RFC 4987 3.6).
        cell[i] = syn ? ListenDecision{A::kReset, Drop::kListenAck}
                      : ListenDecision{A::kAckSyn, Drop::kListenAck};
      } else if (syn) {
        // "Third, check for a SYN". SYN+FIN: no legitimate stack sends it and
        // Linux discards it.
        cell[i] = fin ? ListenDecision{A::kDrop, Drop::kListenSynFin}
                      : ListenDecision{A::kSyn, Drop::kNone};
      } else {
        // "Fourth, other data or control: [...] drop the segment and return."
        cell[i] = {A::kDrop, Drop::kListenNoSyn};
      }
    }
  }
};

constexpr Table kTable;

}  // namespace

ListenDecision listen_decision(uint8_t tcp_flags) {
  return kTable.cell[index_of(tcp_flags)];
}

}  // namespace synack::tcp
