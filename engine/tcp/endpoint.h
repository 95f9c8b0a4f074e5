// RFC 9293 section 3.10 event processing, with RFC 5961 (blind in-window
// attacks), RFC 7323 (window scale, timestamps, PAWS), RFC 5681/6298/6928
// (congestion window, retransmission timer), as pure functions over a Tcb.
//
// The Endpoint never touches packet memory: it reads a parsed Segment and says
// what to transmit (TxSegment descriptors), which timer to arm and what
// happened (events). The runtime turns those into mbufs and counters. What the
// connection sends and does with what it receives is the Application's
// (application.h): the server's responder, the client's requester.
#pragma once

#include <cstdint>

#include "tcp/application.h"
#include "tcp/endpoint_config.h"
#include "tcp/options.h"
#include "tcp/output.h"
#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::tcp {

// Options recovered from a validated SYN cookie (see syn_cookie.h).
struct CookieOptions {
  uint16_t mss = 536;
  uint8_t wscale = kNoWscale;  // peer's shift, kNoWscale when it sent none
  bool sack_permitted = false;
  bool timestamps = false;
};

// What TIME-WAIT needs of a connection (the compact record of time_wait_store).
struct TimeWaitState {
  Seq snd_nxt;
  Seq rcv_nxt;
  uint32_t ts_recent = 0;
  bool timestamps = false;
  uint8_t rcv_wscale = 0;
  uint16_t oow_ack_stamp = 0;  // Tcb::oow_ack_stamp: RFC 5961 7 holds in TIME-WAIT too
  friend bool operator==(const TimeWaitState&, const TimeWaitState&) = default;
};

class Endpoint {
 public:
  Endpoint(const EndpointConfig& cfg, const Application& app) : cfg_(cfg), app_(&app) {}
  const EndpointConfig& config() const { return cfg_; }
  const Application& application() const { return *app_; }

  // RFC 9293 3.10.7.2, a segment for a listening port with no TCB, answered
  // as listen_decision() says. On a SYN fills `tcb` in SYN-RECEIVED with what
  // promise_synack() offers, adds the SYN-ACK, arms the retransmission timer
  // and sets event::kCreated.
  void on_listen(const Segment& seg, Seq iss, uint64_t now_ms, Tcb& tcb, Output& out) const;

  // RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (all other states) for a segment
  // that matched `tcb`, followed by the application step. `app_state` is the
  // application's per-flow state, if it keeps one.
  void on_segment(Tcb& tcb, const Segment& seg, uint64_t now_ms, Output& out,
                  void* app_state = nullptr) const;

  // RFC 9293 3.10.7.1: no TCB and no listener. RST unless the segment was one.
  static void on_closed(const Segment& seg, Output& out);

  // The flow's timer fired: retransmit (with exponential backoff), probe a
  // zero window, give up, end FIN-WAIT-2, TIME-WAIT or an idle connection.
  void on_timer(Tcb& tcb, uint64_t now_ms, Output& out, void* app_state = nullptr) const;

  // Active open (RFC 9293 3.10.1): SYN-SENT, SYN in tx, timer armed.
  void open(Tcb& tcb, Seq iss, uint64_t now_ms, Output& out) const;

  // The SYN-ACK for a SYN answered with a cookie: nothing is stored.
  // `cookie_isn` is our ISN, `cookie_ts` the TSval carrying the options.
  TxSegment cookie_synack(const Segment& syn, Seq cookie_isn, uint32_t cookie_ts) const;

  // The final ACK of a cookie handshake validated: build the Tcb directly in
  // ESTABLISHED (ISS = SEG.ACK - 1, IRS = SEG.SEQ - 1) and process the rest of
  // the segment (data, FIN) as on_segment would. Sets event::kCreated.
  void on_cookie_ack(const Segment& ack, const CookieOptions& opts, uint64_t now_ms, Tcb& tcb,
                     Output& out, void* app_state = nullptr) const;

  // TIME-WAIT kept compactly: the state to keep when a TCB enters it, and a
  // segment that meets it, processed by the same RFC 9293 3.10.7.4 steps as a
  // full TCB. On return, event::kClosed (a valid RST) drops the entry and a
  // timer arm restarts its 2 MSL (a retransmitted FIN).
  static TimeWaitState time_wait_state(const Tcb& tcb);
  void on_time_wait_segment(TimeWaitState& tw, const Segment& seg, uint64_t now_ms,
                            Output& out) const;

  // RFC 6191 (and RFC 1122 4.2.2.13): a SYN (no ACK, no RST) may reopen a
  // connection in TIME-WAIT when it is clearly newer: with timestamps on both
  // sides a later TSval, or an equal one and a sequence number past RCV.NXT;
  // otherwise a sequence number past RCV.NXT. The caller admits the new
  // connection first, then drops the entry, and picks an ISN above SND.NXT.
  static bool syn_reopens_time_wait(const TimeWaitState& tw, const Segment& seg);

 private:
  EndpointConfig cfg_;
  const Application* app_;
};

}  // namespace synack::tcp
