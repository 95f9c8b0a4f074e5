// Private to engine/tcp: the pieces the Endpoint entry points share.
// tcp_output.cc builds segments and timers, tcp_input.cc runs RFC 9293 3.10.7.3
// and 3.10.7.4 step by step, tcp_timer.cc handles expiries.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tcp/application.h"
#include "tcp/endpoint.h"
#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::tcp::detail {

// Floor of MAX.SND.WND in the RFC 5961 5.2 ACK test.
inline constexpr uint32_t kMinMaxSndWnd = 65535;

// Everything one event needs: the configuration, the connection and the output.
struct Ctx {
  const EndpointConfig& cfg;
  const Application& app;
  void* app_state;
  Tcb& tcb;
  uint64_t now_ms;
  Output& out;

  // Our TSval: the low 32 bits of the millisecond clock (RFC 7323 5.4).
  uint32_t ts_now() const { return static_cast<uint32_t>(now_ms); }
  AppContext app_ctx() { return AppContext(tcb, app_state, now_ms, out); }
};

// States that have seen a SYN both ways (RFC 9293 3.10.7.4 "otherwise").
inline constexpr uint16_t kSynchronized =
    bit(State::kEstablished) | bit(State::kFinWait1) | bit(State::kFinWait2) |
    bit(State::kCloseWait) | bit(State::kClosing) | bit(State::kLastAck) | bit(State::kTimeWait);

// ---- tcp_output.cc: segments -------------------------------------------------

// A free TX slot, or nullptr when Output::kMaxTx are used.
TxSegment* tx_slot(Output& out);

// Window field of a non-SYN segment: min(RCV.WND >> Rcv.Wind.Shift, 65535).
uint16_t window_field(const EndpointConfig& cfg, const Tcb& tcb);
// The receive window we advertise, in bytes: the field above shifted back, or
// the unscaled SYN-ACK window while in SYN-RECEIVED (RFC 7323 2.2). Segments
// are accepted against this window, not the configured one (RFC 9293 3.10.7.4
// step 1, RFC 5961 3).
uint32_t advertised_window(const EndpointConfig& cfg, const Tcb& tcb);

// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with TSopt when negotiated.
void send_ack(Ctx& c);
// An ACK provoked by an unacceptable segment (RFC 5961 7): sent at most once
// per kOowAckIntervalMs per flow, marked for the lcore's budget, counted.
void send_rate_limited_ack(Ctx& c, Drop why);
// RFC 5961 challenge ACK: a rate-limited ACK plus event::kChallengeAck.
void send_challenge_ack(Ctx& c, Drop why);
// Our SYN (active open) and SYN-ACK (from the Tcb's negotiated options).
void send_syn(Ctx& c);
void send_synack(Ctx& c);
// RFC 9293 3.10.7.1 reset for a segment we have no use for:
// <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never for a RST.
void send_reset_for(const Segment& seg, Output& out);
// RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> and event::kResetSent.
void send_abort(const Tcb& tcb, Output& out);
inline void send_abort(Ctx& c) {
  send_abort(c.tcb, c.out);
}

// ---- tcp_output.cc: the send sequence ---------------------------------------

// First sequence number past the queued data: ISS + 1 + SND.QUEUED. Our FIN,
// when queued, sits at this number.
Seq data_end(const Tcb& tcb);
bool fin_acked(const Tcb& tcb);
// Unsent data or an unsent queued FIN.
bool has_unsent(const Tcb& tcb);
// Sends new data (MSS, peer window and congestion window respected) and the
// queued FIN.
void push_pending(Ctx& c);
// Go-back-N: resends [SND.UNA, SND.NXT) (data and FIN) as far as the window
// allows; SND.NXT is unchanged.
void retransmit_outstanding(Ctx& c);
// Zero-window probe: one byte past SND.NXT regardless of the window.
void send_probe(Ctx& c);

// ---- tcp_output.cc: state changes and timers --------------------------------

void arm_timer(Output& out, uint32_t ms);
// Any move to CLOSED: event::kClosed | why, timer cancelled.
void close_tcb(Tcb& tcb, Output& out, uint32_t why);
inline void close_tcb(Ctx& c, uint32_t why) {
  close_tcb(c.tcb, c.out, why);
}
void enter_time_wait(Ctx& c);
// After an accepted segment: RTO while data/FIN is in flight (RFC 6298 5.1/5.3),
// persist while only unsent data waits, FIN-WAIT-2 or idle timer otherwise.
void settle_timer(Ctx& c, bool outstanding_before, bool acked_new);

// ---- tcp_input.cc --------------------------------------------------------------

// "SEGMENT ARRIVES" for a segment that matched `c.tcb`.
void segment_arrives(Ctx& c, const Segment& seg);

}  // namespace synack::tcp::detail
