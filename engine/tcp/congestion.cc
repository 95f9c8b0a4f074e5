#include "tcp/congestion.h"

#include <algorithm>

namespace synack::tcp {

namespace {
constexpr uint32_t kTsOptionBytes = 12;  // NOP, NOP, TS (RFC 7323 appendix A)
constexpr uint32_t kIwBytes = 14600;     // RFC 6928 2
constexpr uint16_t kMaxCwnd = 0xFFFF;
}  // namespace

uint32_t segment_payload(const Tcb& tcb) {
  const uint32_t opts = tcb.has(tcbflag::kTimestamps) ? kTsOptionBytes : 0;
  return std::min<uint32_t>(tcb.snd_mss - opts, 0xFFFF);
}

void cc_init(const EndpointConfig& cfg, Tcb& tcb) {
  const uint32_t mss = std::max<uint32_t>(segment_payload(tcb), 1);
  const uint32_t iw = std::min<uint32_t>(cfg.initial_window, std::max<uint32_t>(2, kIwBytes / mss));
  tcb.cwnd = static_cast<uint16_t>(std::max<uint32_t>(iw, 1));
  tcb.ssthresh = kMaxCwnd;
  tcb.cwnd_acked = 0;
}

uint32_t cwnd_bytes(const Tcb& tcb) {
  return uint32_t{tcb.cwnd} * segment_payload(tcb);
}

void cc_on_ack(Tcb& tcb, uint32_t acked) {
  const uint32_t mss = std::max<uint32_t>(segment_payload(tcb), 1);
  const uint32_t segs = std::max<uint32_t>((acked + mss - 1) / mss, 1);
  if (tcb.cwnd < tcb.ssthresh) {
    tcb.cwnd = static_cast<uint16_t>(std::min<uint32_t>(tcb.cwnd + std::min(segs, 2u), kMaxCwnd));
    return;
  }
  const uint32_t counted = tcb.cwnd_acked + segs;
  if (counted >= tcb.cwnd) {
    tcb.cwnd_acked = static_cast<uint16_t>(counted - tcb.cwnd);
    if (tcb.cwnd < kMaxCwnd) tcb.cwnd++;
  } else {
    tcb.cwnd_acked = static_cast<uint16_t>(counted);
  }
}

void cc_on_timeout(Tcb& tcb, uint32_t flight) {
  const uint32_t mss = std::max<uint32_t>(segment_payload(tcb), 1);
  tcb.ssthresh =
      static_cast<uint16_t>(std::min<uint32_t>(std::max(flight / mss / 2, 2u), kMaxCwnd));
  tcb.cwnd = 1;
  tcb.cwnd_acked = 0;
}

void rtt_sample(Tcb& tcb, uint32_t rtt_ms) {
  const uint32_t r = std::clamp<uint32_t>(rtt_ms, 1, 0xFFFF);
  if (tcb.srtt_ms == 0) {
    tcb.srtt_ms = static_cast<uint16_t>(r);                      // SRTT <- R
    tcb.rttvar_ms = static_cast<uint16_t>(std::max(r / 2, 1u));  // RTTVAR <- R/2
    return;
  }
  // RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, then SRTT <- 7/8 SRTT + 1/8 R'.
  const uint32_t srtt = tcb.srtt_ms;
  const uint32_t diff = srtt > r ? srtt - r : r - srtt;
  tcb.rttvar_ms = static_cast<uint16_t>((3 * uint32_t{tcb.rttvar_ms} + diff + 3) / 4);
  tcb.srtt_ms = static_cast<uint16_t>(std::max<uint32_t>((7 * srtt + r + 7) / 8, 1));
}

uint32_t rto_ms(const EndpointConfig& cfg, const Tcb& tcb) {
  uint64_t rto = cfg.rto_initial_ms;
  if (tcb.srtt_ms != 0) {
    rto = uint64_t{tcb.srtt_ms} + std::max<uint64_t>(1, 4 * uint64_t{tcb.rttvar_ms});
    rto = std::max<uint64_t>(rto, std::min(cfg.rto_min_ms, cfg.rto_initial_ms));
  }
  rto <<= tcb.backoff();
  return static_cast<uint32_t>(std::min<uint64_t>(rto, cfg.rto_max_ms));
}

}  // namespace synack::tcp
