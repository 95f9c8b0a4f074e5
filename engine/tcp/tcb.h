// Transmission control block (RFC 9293 3.3.1), trimmed to what a handshake
// engine needs so that a whole connection record (TCB + the peer's MAC) fits
// one cache line; the 4-tuple lives in the flow table's key store.
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
constexpr uint16_t bit(State s) {
  return static_cast<uint16_t>(1u << static_cast<unsigned>(s));
}
constexpr bool in_state(State s, uint16_t mask) {
  return (bit(s) & mask) != 0;
}

namespace tcbflag {
inline constexpr uint8_t kTimestamps = 0x01;  // RFC 7323 TSopt negotiated
inline constexpr uint8_t kSackOk = 0x02;      // peer sent SACK-permitted
inline constexpr uint8_t kWscale = 0x04;      // RFC 7323 window scaling in effect
inline constexpr uint8_t kRecovery =
    0x08;  // resending after a timeout: rtt_seq is the resend point
inline constexpr uint8_t kFinQueued = 0x10;    // our FIN is part of the send sequence
inline constexpr uint8_t kFinReceived = 0x20;  // peer's FIN consumed (rcv_nxt past it)
inline constexpr uint8_t kRttTiming = 0x40;    // rtt_seq/rtt_start time a segment (RFC 6298 3)
inline constexpr uint8_t kActiveOpen = 0x80;   // we sent the first SYN (open()): client role
}  // namespace tcbflag

struct Tcb {
  Seq iss;      // our initial sequence number
  Seq snd_una;  // oldest unacknowledged
  Seq snd_nxt;  // next to send
  // SEG.SEQ of the last window update. RFC 9293 also keeps SND.WL2 (the ACK
  // of that update); SND.UNA stands in for it, which saves 4 bytes.
  Seq snd_wl1;
  Seq rcv_nxt;              // next expected from the peer
  uint32_t snd_wnd = 0;     // peer's window in bytes, already scaled
  uint32_t ts_recent = 0;   // RFC 7323 TS.Recent
  uint32_t snd_queued = 0;  // bytes the application queued after ISS+1
  // RFC 6298 / Karn: the timed segment ends here (kRttTiming); after a
  // timeout, where go-back-N resending has got to (kRecovery). Karn's rule
  // keeps the two apart: nothing is timed while segments are resent.
  Seq rtt_seq;
  uint16_t rtt_start = 0;   // low 16 bits of the ms clock when it was sent
  uint16_t srtt_ms = 0;     // RFC 6298 SRTT (0: no measurement yet)
  uint16_t rttvar_ms = 0;   // RFC 6298 RTTVAR
  uint16_t snd_mss = 536;   // largest payload we send (peer's MSS, RFC 9293 3.7.1 default 536)
  uint16_t cwnd = 0;        // RFC 5681 congestion window, in segments
  uint16_t ssthresh = 0;    // RFC 5681 slow-start threshold, in segments
  uint16_t cwnd_acked = 0;  // RFC 5681 3.1 congestion avoidance: segments acked this round
  // Last throttled ACK (RFC 5961 7), ms clock >> 3, low 16 bits: one such ACK
  // per kOowAckIntervalMs per flow. Wraps after 524 s, so an ACK can be wrongly
  // suppressed (once) when a flow was silent for a multiple of that.
  uint16_t oow_ack_stamp = 0;
  State state = State::kClosed;
  uint8_t wscales = 0;  // peer's shift in the low nibble, ours in the high one
  // Retransmissions of the current flight, or unanswered zero-window probes,
  // in the low nibble (the give-up count, <= 15); RTO doublings in force
  // (RFC 6298 5.5) in the high nibble.
  uint8_t retry_backoff = 0;
  uint8_t flags = 0;  // tcbflag bits

  bool has(uint8_t f) const { return (flags & f) != 0; }
  uint8_t snd_wscale() const { return wscales & 0xf; }
  uint8_t rcv_wscale() const { return wscales >> 4; }
  void set_wscales(uint8_t snd, uint8_t rcv) {
    wscales = static_cast<uint8_t>((snd & 0xf) | (rcv << 4));
  }
  uint8_t retries() const { return retry_backoff & 0xf; }
  uint8_t backoff() const { return retry_backoff >> 4; }
  void set_retries(uint8_t r) {
    retry_backoff = static_cast<uint8_t>((retry_backoff & 0xf0) | (r & 0xf));
  }
  void set_backoff(uint8_t b) {
    retry_backoff = static_cast<uint8_t>((retry_backoff & 0x0f) | ((b < 15 ? b : 15) << 4));
  }
};
static_assert(sizeof(Tcb) == 56, "Tcb must stay small: a flow record is one cache line");

}  // namespace synack::tcp
