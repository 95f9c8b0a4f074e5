// Transmission control block (RFC 9293 3.3.1), trimmed to what a handshake
// engine needs so that a whole connection record fits one cache line.
#pragma once

#include <cstdint>

#include "tcp/seq.h"

namespace synack::tcp {

enum class State : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
inline constexpr int kNumStates = 11;

const char* state_name(State s);

// States as bits so checks read like the RFC: in_state(s, kSynSent | kSynReceived).
constexpr uint16_t bit(State s) { return static_cast<uint16_t>(1u << static_cast<unsigned>(s)); }
constexpr bool in_state(State s, uint16_t mask) { return (bit(s) & mask) != 0; }

namespace tcbflag {
inline constexpr uint8_t kTimestamps = 0x01;   // RFC 7323 TSopt negotiated
inline constexpr uint8_t kSackOk = 0x02;       // peer sent SACK-permitted
inline constexpr uint8_t kWscale = 0x04;       // RFC 7323 window scaling in effect
inline constexpr uint8_t kRequestSeen = 0x08;  // first request received, response queued
inline constexpr uint8_t kFinQueued = 0x10;    // our FIN is part of the send sequence
inline constexpr uint8_t kFinReceived = 0x20;  // peer's FIN consumed (rcv_nxt past it)
inline constexpr uint8_t kEcn = 0x40;          // peer asked for ECN (RFC 3168), unused for now
inline constexpr uint8_t kActiveOpen = 0x80;   // we sent the first SYN (open()): client role
}  // namespace tcbflag

struct Tcb {
  Seq iss;         // our initial sequence number
  Seq irs;         // peer's initial sequence number
  Seq snd_una;     // oldest unacknowledged
  Seq snd_nxt;     // next to send
  Seq snd_wl1;     // SEG.SEQ of the last window update (RFC 9293 3.10.7.4)
  Seq snd_wl2;     // SEG.ACK of the last window update
  Seq rcv_nxt;     // next expected from the peer
  uint32_t snd_wnd = 0;    // peer's window in bytes, already scaled
  uint32_t ts_recent = 0;  // RFC 7323 TS.Recent
  uint16_t snd_mss = 536;  // largest payload we send (peer's MSS, RFC 9293 3.7.1 default 536)
  State state = State::kClosed;
  uint8_t snd_wscale = 0;  // shift applied to the peer's window field
  uint8_t rcv_wscale = 0;  // shift we announced for our window
  uint8_t retries = 0;     // retransmissions of the current flight so far
  uint8_t flags = 0;       // tcbflag bits
  uint8_t reserved = 0;

  bool has(uint8_t f) const { return (flags & f) != 0; }
};
static_assert(sizeof(Tcb) == 44, "Tcb must stay small: a flow record is one cache line");

}  // namespace synack::tcp
