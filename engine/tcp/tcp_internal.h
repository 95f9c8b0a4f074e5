// Private to engine/tcp: the pieces the Endpoint entry points share.
// tcp_output.cc builds segments and timers, tcp_input.cc runs RFC 9293 3.10.7.3
// and 3.10.7.4 step by step, tcp_timer.cc handles expiries.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tcp/segment.h"
#include "tcp/state_machine.h"
#include "tcp/tcb.h"

namespace synack::tcp::detail {

// Linux TCP_MIN_MSS: a peer MSS below this would make us send tiny segments.
inline constexpr uint16_t kMinMss = 88;
// RFC 9293 3.7.1: the MSS assumed when the SYN carries no MSS option.
inline constexpr uint16_t kDefaultMss = 536;
// Floor of MAX.SND.WND in the RFC 5961 5.2 ACK test.
inline constexpr uint32_t kMinMaxSndWnd = 65535;

// Everything one event needs: the configuration, the connection and the output.
struct Ctx {
  const EndpointConfig& cfg;
  Tcb& tcb;
  uint32_t now_ms;
  Output& out;
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
// Window field of a SYN or SYN-ACK: never scaled (RFC 7323 2.2).
uint16_t syn_window_field(const EndpointConfig& cfg);

// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with TSopt when negotiated.
void send_ack(Ctx& c);
// RFC 5961 challenge ACK: an ACK plus event::kChallengeAck and the drop reason.
void send_challenge_ack(Ctx& c, Drop why);
// Our SYN (active open) and SYN-ACK (from the Tcb's negotiated options).
void send_syn(Ctx& c);
void send_synack(Ctx& c);
// RFC 9293 3.10.7.1 reset for a segment we have no use for:
// <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never for a RST.
void send_reset_for(const Segment& seg, Output& out);
// RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> and event::kResetSent.
void send_abort(Ctx& c);

// ---- tcp_output.cc: send sequence of the server application ------------------

// First sequence number past the response: ISS + 1 + response_len once the
// request is seen, else ISS + 1. Our FIN, when queued, sits at this number.
Seq data_end(const EndpointConfig& cfg, const Tcb& tcb);
bool fin_acked(const EndpointConfig& cfg, const Tcb& tcb);
// Unsent response bytes or an unsent queued FIN.
bool has_unsent(const EndpointConfig& cfg, const Tcb& tcb);
// Sends new response bytes (MSS and peer window respected) and the queued FIN.
void push_pending(Ctx& c);
// Go-back-N: resends [SND.UNA, SND.NXT) (data and FIN); SND.NXT is unchanged.
void retransmit_outstanding(Ctx& c);
// Zero-window probe: one byte past SND.NXT regardless of the window.
void send_probe(Ctx& c);

// ---- tcp_output.cc: state changes and timers --------------------------------

uint32_t rto_ms(const EndpointConfig& cfg, uint8_t retries);
void arm_timer(Output& out, uint32_t ms);
// Any move to CLOSED: event::kClosed | why, timer cancelled.
void close_tcb(Ctx& c, uint16_t why);
void enter_time_wait(Ctx& c);
// After an accepted segment: RTO while data/FIN is in flight (RFC 6298 5.1/5.3),
// persist while only unsent data waits, idle timer otherwise.
void settle_timer(Ctx& c, bool outstanding_before, bool acked_new);

// ---- tcp_input.cc --------------------------------------------------------------

// RFC 7323 / RFC 9293 3.7.1 negotiation from the peer's SYN or SYN-ACK.
void negotiate_options(const EndpointConfig& cfg, Tcb& tcb, const TcpOptions& o);
// "SEGMENT ARRIVES" for a segment that matched `c.tcb`.
void segment_arrives(Ctx& c, const Segment& seg);

}  // namespace synack::tcp::detail
