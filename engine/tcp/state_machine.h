// RFC 9293 section 3.10 event processing, with RFC 5961 (blind in-window attacks)
// and RFC 7323 (window scale, timestamps, PAWS), as pure functions over a Tcb.
//
// The Endpoint never touches packet memory: it reads a parsed Segment and says
// what to transmit (TxSegment descriptors), which timer to arm and what happened
// (events). The runtime turns those into mbufs and counters. The application
// behaviour of a handshake server is folded in: the first request on a
// connection is answered with `response_len` bytes of a response buffer owned by
// the caller (TxSegment::data_off/data_len index it), then the connection is
// closed actively (our FIN right after the response) or passively (wait for the
// peer's FIN).
#pragma once

#include <cstdint>

#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::tcp {

struct EndpointConfig {
  uint16_t mss = 1460;                // MSS we announce (port MTU - 40)
  uint8_t rcv_wscale = 7;             // shift we announce when the peer offers one
  uint32_t rcv_wnd = 65535u << 7;     // our receive window in bytes
  uint32_t response_len = 0;          // bytes sent once, after the first request
  bool active_close = true;           // FIN right after the response
  uint32_t rto_initial_ms = 1000;     // RFC 6298 2.1
  uint32_t rto_max_ms = 60000;        // RFC 6298 2.5
  uint8_t synack_retries = 5;         // SYN-ACK retransmissions before giving up
  uint8_t data_retries = 8;           // data/FIN retransmissions before a RST
  uint32_t time_wait_ms = 60000;      // 2*MSL (RFC 9293 3.10.7.4, TIME-WAIT)
  uint32_t idle_timeout_ms = 300000;  // 0 = connections never idle out
};

// One segment to put on the wire. The runtime writes the headers; the payload
// (if data_len > 0) is response[data_off, data_off + data_len).
struct TxSegment {
  Seq seq;
  Seq ack;
  uint32_t data_off = 0;
  uint16_t data_len = 0;
  uint16_t wnd = 0;  // header window field, already shifted right by rcv_wscale
  uint8_t flags = 0;
  TcpOptions opts;  // exactly the options to write (MSS/WS/SACK only on SYNs)
};

// Why a segment was dropped. Appending is fine; the runtime names each one.
enum class Drop : uint8_t {
  kNone,
  kOutOfWindow,      // unacceptable sequence number (ACK sent, RFC 9293 3.10.7.4 step 1)
  kPaws,             // RFC 7323 5.3: timestamp older than TS.Recent
  kRstOutOfWindow,   // RST outside the window, silently dropped (RFC 5961 3.2)
  kRstChallenged,    // RST in window but not exact: challenge ACK (RFC 5961 3.2)
  kSynChallenged,    // SYN on a synchronized connection: challenge ACK (RFC 5961 4.2)
  kAckUnacceptable,  // ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] (RFC 5961 5.2)
  kNoAck,            // no ACK bit in a synchronized state (RFC 9293 step 5)
  kAckInSynSent,     // unacceptable ACK in SYN-SENT (RST sent)
  kListenRst,        // RST to a listener
  kListenAck,        // ACK to a listener (RST sent)
  kListenNoSyn,      // neither SYN, ACK nor RST to a listener
  kClosedPort,       // no TCB (RST sent unless the segment was a RST)
  kDuplicate,        // retransmitted segment already processed (ACK sent)
  kSynSentNoSyn,     // SYN-SENT: acceptable or no ACK, but neither SYN nor RST (3.10.7.3 step 5)
};
inline constexpr int kNumDrops = 15;
const char* drop_name(Drop d);

namespace event {
inline constexpr uint16_t kCreated = 1u << 0;           // on_listen: store the Tcb it filled
inline constexpr uint16_t kEstablished = 1u << 1;       // entered ESTABLISHED (or passed it)
inline constexpr uint16_t kClosed = 1u << 2;            // free the flow now
inline constexpr uint16_t kResetByPeer = 1u << 3;       // a valid RST closed the connection
inline constexpr uint16_t kChallengeAck = 1u << 4;      // a challenge ACK is in tx
inline constexpr uint16_t kTimeWait = 1u << 5;          // entered TIME-WAIT
inline constexpr uint16_t kTimeWaitExpired = 1u << 6;   // TIME-WAIT ended (with kClosed)
inline constexpr uint16_t kSynAckRetransmit = 1u << 7;  // tx holds a retransmitted SYN-ACK
inline constexpr uint16_t kRetransmit = 1u << 8;        // tx holds retransmitted data/FIN/SYN
inline constexpr uint16_t kGaveUp = 1u << 9;            // retries exhausted (with kClosed)
inline constexpr uint16_t kIdleTimeout = 1u << 10;      // idle timer fired (with kClosed)
inline constexpr uint16_t kRequest = 1u << 11;          // first request seen, response in tx
inline constexpr uint16_t kResetSent = 1u << 12;        // tx holds a RST that aborts this TCB
}  // namespace event

enum class TimerOp : uint8_t {
  kKeep,    // leave the flow's timer as it is
  kArm,     // (re)arm it to fire after timer_ms
  kCancel,  // disarm it
};

struct Output {
  static constexpr int kMaxTx = 8;
  // Left uninitialised on purpose: add() initialises each slot it hands out.
  // An Output is built per packet, and zeroing all eight slots (~400 bytes)
  // every time stood out in perf on the SYN path (bench_synack_path).
  union {
    TxSegment tx[kMaxTx];
  };
  uint8_t n_tx = 0;
  Drop drop = Drop::kNone;
  TimerOp timer = TimerOp::kKeep;
  uint16_t events = 0;
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
  bool has(uint16_t e) const { return (events & e) != 0; }
};

// Options recovered from a validated SYN cookie (see syn_cookie.h).
struct CookieOptions {
  uint16_t mss = 536;
  uint8_t wscale = kNoWscale;  // peer's shift, kNoWscale when it sent none
  bool sack_permitted = false;
  bool timestamps = false;
  bool ecn = false;
};

class Endpoint {
 public:
  explicit Endpoint(const EndpointConfig& cfg) : cfg_(cfg) {}
  const EndpointConfig& config() const { return cfg_; }

  // RFC 9293 3.10.7.2, a segment for a listening port with no TCB. On a good SYN
  // fills `tcb` in SYN-RECEIVED, adds the SYN-ACK, arms the retransmission timer
  // and sets event::kCreated. A RST is dropped, an ACK answered with a RST.
  void on_listen(const Segment& seg, Seq iss, uint32_t now_ms, Tcb& tcb, Output& out) const;

  // RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (all other states) for a segment
  // that matched `tcb`, followed by the server application step.
  void on_segment(Tcb& tcb, const Segment& seg, uint32_t now_ms, Output& out) const;

  // RFC 9293 3.10.7.1: no TCB and no listener. RST unless the segment was one.
  static void on_closed(const Segment& seg, Output& out);

  // RFC 1122 4.2.2.13 / RFC 6191: a SYN (no ACK, no RST) may reopen a
  // connection held in TIME-WAIT when it is clearly newer: a later timestamp
  // when both sides use them, else a sequence number past RCV.NXT. The caller
  // then frees the record and treats the SYN as new, with an ISN above the old
  // incarnation's sequence space.
  static bool syn_reopens_time_wait(const Tcb& tcb, const Segment& seg);

  // The flow's timer fired: retransmit (with exponential backoff), give up,
  // end TIME-WAIT or close an idle connection, depending on the state.
  void on_timer(Tcb& tcb, uint32_t now_ms, Output& out) const;

  // Active open (RFC 9293 3.10.1): SYN-SENT, SYN in tx, timer armed.
  void open(Tcb& tcb, Seq iss, uint32_t now_ms, Output& out) const;

  // Stateless SYN-ACK for a SYN answered with a cookie: nothing is stored.
  // `cookie_isn` is our ISN, `cookie_ts` the TSval carrying the options.
  void cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts, Output& out) const;
  // The same SYN-ACK as one segment, for the hot path that answers in place.
  void cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts, TxSegment& t) const;

  // The final ACK of a cookie handshake validated: build the Tcb directly in
  // ESTABLISHED (ISS = SEG.ACK - 1, IRS = SEG.SEQ - 1) and process the rest of
  // the segment (data, FIN) as on_segment would. Sets event::kCreated.
  void on_cookie_ack(const Segment& ack, const CookieOptions& opts, uint32_t now_ms, Tcb& tcb,
                     Output& out) const;

 private:
  EndpointConfig cfg_;
};

}  // namespace synack::tcp
