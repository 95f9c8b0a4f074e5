// How much a connection may have in flight and how long it waits before it
// retransmits: RFC 5681 slow start and congestion avoidance from the RFC 6928
// initial window, and the RFC 6298 retransmission timer from measured RTTs
// (RFC 7323 4 with timestamps, one timed segment at a time by Karn's rule
// without). No fast retransmit (RFC 5681 3.2 is a SHOULD): a loss costs an RTO.
#pragma once

#include <cstdint>

#include "tcp/endpoint_config.h"
#include "tcp/tcb.h"

namespace synack::tcp {

// Largest payload per segment: the peer's MSS less the timestamp option, which
// RFC 9293 3.7.1 counts against it (options come out of the MSS).
uint32_t segment_payload(const Tcb& tcb);

// RFC 6928 IW = min(10 * MSS, max(2 * MSS, 14600)) bytes, as segments; and
// ssthresh "arbitrarily high" (RFC 5681 3.1).
void cc_init(const EndpointConfig& cfg, Tcb& tcb);

// The congestion window in bytes.
uint32_t cwnd_bytes(const Tcb& tcb);

// An ACK took `acked` new bytes off the flight: slow start below ssthresh
// (one segment per segment acked, at most two per ACK: RFC 3465 L = 2),
// congestion avoidance above (one segment per window's worth acked).
void cc_on_ack(Tcb& tcb, uint32_t acked);

// RFC 5681 (4): after an RTO, ssthresh = max(FlightSize / 2, 2 segments) and
// the loss window of one segment.
void cc_on_timeout(Tcb& tcb, uint32_t flight);

// RFC 6298 2.2/2.3: a new RTT measurement (milliseconds; the 1 ms clock is the
// granularity G, so a sub-millisecond path counts as 1 ms).
void rtt_sample(Tcb& tcb, uint32_t rtt_ms);

// The retransmission timeout in force: RFC 6298 2.1 before any measurement,
// else SRTT + max(G, 4 RTTVAR) floored at rto_min_ms (or at rto_initial_ms
// when that is lower: a configured initial RTO below the floor is kept),
// doubled per backoff (5.5) and capped at rto_max_ms (2.5).
uint32_t rto_ms(const EndpointConfig& cfg, const Tcb& tcb);

}  // namespace synack::tcp
