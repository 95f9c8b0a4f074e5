// What one Endpoint call decided: segments to send, the flow's timer, why a
// segment was dropped and what happened (events the runtime counts and acts on).
#pragma once

#include <cstdint>

#include "tcp/tcp_drops.h"
#include "tcp/tx_segment.h"

namespace synack::tcp {

namespace event {
inline constexpr uint32_t kCreated = 1u << 0;           // on_listen/on_cookie_ack: store the Tcb
inline constexpr uint32_t kEstablished = 1u << 1;       // entered ESTABLISHED (or passed it)
inline constexpr uint32_t kClosed = 1u << 2;            // free the flow now
inline constexpr uint32_t kResetByPeer = 1u << 3;       // a valid RST closed the connection
inline constexpr uint32_t kChallengeAck = 1u << 4;      // a challenge ACK is in tx (RFC 5961)
inline constexpr uint32_t kTimeWait = 1u << 5;          // entered TIME-WAIT
inline constexpr uint32_t kTimeWaitExpired = 1u << 6;   // TIME-WAIT ended (with kClosed)
inline constexpr uint32_t kSynAckRetransmit = 1u << 7;  // tx holds a retransmitted SYN-ACK
inline constexpr uint32_t kRetransmit = 1u << 8;        // tx holds retransmitted data/FIN/SYN
inline constexpr uint32_t kGaveUp = 1u << 9;            // retries exhausted (with kClosed)
inline constexpr uint32_t kIdleTimeout = 1u << 10;      // idle timer fired (with kClosed)
inline constexpr uint32_t kRequest = 1u << 11;          // the application answered a request
inline constexpr uint32_t kResetSent = 1u << 12;        // tx holds a RST that aborts this TCB
// RFC 5961 7: tx[0] is an ACK provoked by an unacceptable segment (challenge
// ACK, out-of-window, PAWS) or a SYN-ACK resent for a duplicate SYN; the
// runtime charges it to the lcore's --challenge_ack_limit budget.
inline constexpr uint32_t kRateLimitedAck = 1u << 13;
// Such an ACK was not sent: this flow sent one less than kOowAckIntervalMs ago.
inline constexpr uint32_t kAckThrottled = 1u << 14;
inline constexpr uint32_t kFinWait2Timeout = 1u << 15;  // FIN-WAIT-2 ended silently (with kClosed)
inline constexpr uint32_t kReopened = 1u << 16;         // a SYN may reopen this TIME-WAIT (RFC 6191)
// The client application (requester.h). One request is outstanding at a time,
// so each is set at most once per call; with both kResponseDone and
// kRequestSent, the response answered the request before the one just sent.
inline constexpr uint32_t kRequestSent = 1u << 17;   // a request was queued (sent as windows allow)
inline constexpr uint32_t kResponseDone = 1u << 18;  // a whole response arrived
// The server's FIN came before the whole response (or before any of it).
inline constexpr uint32_t kResponseTruncated = 1u << 19;
// The response could not be framed (HttpResponseParser::error()), or bytes came
// while no request was outstanding: the connection is aborted (kClosed).
inline constexpr uint32_t kResponseMalformed = 1u << 20;
// The server ended the connection's use (Connection: close, a close-delimited
// body, or its FIN) before the last request: no more requests are sent.
inline constexpr uint32_t kServerEndedEarly = 1u << 21;
}  // namespace event

enum class TimerOp : uint8_t {
  kKeep,    // leave the flow's timer as it is
  kArm,     // (re)arm it to fire after timer_ms
  kCancel,  // disarm it
};

struct Output {
  // One flight: the RFC 6928 initial window of 10 segments plus a FIN and ACKs.
  static constexpr int kMaxTx = 16;
  // Left uninitialised on purpose: add() initialises each slot it hands out.
  // An Output is built per packet, and zeroing every slot stood out in perf on
  // the SYN path (bench_synack_path).
  union {
    TxSegment tx[kMaxTx];
  };
  uint8_t n_tx = 0;
  Drop drop = Drop::kNone;
  TimerOp timer = TimerOp::kKeep;
  uint32_t events = 0;
  uint32_t timer_ms = 0;

  Output() {}
  void reset() {
    n_tx = 0;
    drop = Drop::kNone;
    timer = TimerOp::kKeep;
    events = 0;
    timer_ms = 0;
  }
  TxSegment& add() {
    TxSegment& t = tx[n_tx++];
    t = TxSegment{};
    return t;
  }
  bool has(uint32_t e) const { return (events & e) != 0; }
};

}  // namespace synack::tcp
