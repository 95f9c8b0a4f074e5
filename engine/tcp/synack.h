// What a SYN-ACK promises, and the SYN-ACK itself: one decision and one
// builder for the stateful path, its retransmissions and the cookie path.
#pragma once

#include <cstdint>

#include "tcp/endpoint_config.h"
#include "tcp/options.h"
#include "tcp/tcb.h"
#include "tcp/tx_segment.h"

namespace synack::tcp {

// The options a SYN-ACK offers, which are then in force for the connection.
struct SynAckPromise {
  uint16_t peer_mss = 536;  // the MSS we will send with (RFC 9293 3.7.1), before the cookie table
  bool wscale = false;      // RFC 7323 2.2: both shifts in effect
  uint8_t peer_wscale = 0;  // shift applied to the peer's window (<= 14)
  uint8_t our_wscale = 0;   // shift we announce
  bool sack = false;        // RFC 2018 SACK-permitted echoed
  bool timestamps = false;  // RFC 7323 3.2 TSopt in every segment
};

// RFC 7323 1.3/2.2/3.2, RFC 2018, RFC 9293 3.7.1: offer only what the SYN
// offered. An MSS option of 0 is no MSS at all (536, as Linux ignores it); a
// window-scale shift above 14 is taken as 14 (RFC 7323 2.3). A stateless
// (cookie) SYN-ACK can remember window scale and SACK-permitted only in the
// low bits of its TSval, so without timestamps it offers neither (as Linux).
// ECN (RFC 3168) is never offered: we set no ECT and could not echo CE.
// Inline below: once per SYN on the hot path.
SynAckPromise promise_synack(const TcpOptions& syn, const EndpointConfig& cfg, bool stateless);

// The promise a TCB in SYN-RECEIVED was created with (for retransmissions).
SynAckPromise promise_of(const Tcb& tcb);

// <SEQ=iss><ACK=ack><CTL=SYN,ACK>, the unscaled window (RFC 7323 2.2) and the
// promised options, TSval/TSecr when timestamps are promised.
TxSegment build_synack(const SynAckPromise& p, const EndpointConfig& cfg, Seq iss, Seq ack,
                       uint32_t ts_val, uint32_t ts_ecr);

// The TCB's negotiated options from a promise (flags, shifts, send MSS).
void apply_promise(const SynAckPromise& p, Tcb& tcb);

inline SynAckPromise promise_synack(const TcpOptions& syn, const EndpointConfig& cfg,
                                    bool stateless) {
  // Linux TCP_MIN_MSS: a peer MSS below this would make us send tiny segments.
  constexpr uint16_t kMinPeerMss = 88;
  // RFC 9293 3.7.1: the MSS assumed when the SYN carries no MSS option.
  constexpr uint16_t kDefaultPeerMss = 536;
  SynAckPromise p;
  const uint16_t peer = syn.has_mss && syn.mss != 0
                            ? (syn.mss > kMinPeerMss ? syn.mss : kMinPeerMss)
                            : kDefaultPeerMss;
  p.peer_mss = peer < cfg.mss ? peer : cfg.mss;
  p.timestamps = syn.has_timestamps;
  const bool carried = !stateless || p.timestamps;
  if (syn.has_wscale && carried) {
    p.wscale = true;
    p.peer_wscale = syn.wscale < kMaxWscale ? syn.wscale : kMaxWscale;
    p.our_wscale = cfg.rcv_wscale < kMaxWscale ? cfg.rcv_wscale : kMaxWscale;
  }
  p.sack = syn.sack_permitted && carried;
  return p;
}

}  // namespace synack::tcp
