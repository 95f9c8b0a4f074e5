// Stateless SYN cookies: the SYN-ACK's ISN (and TSval) carry everything needed
// to rebuild the connection from the final ACK, so a SYN allocates nothing.
//
// Layout follows Linux (net/ipv4/syncookies.c):
//   isn = H(k0, tuple) + client_isn + (count << 24)
//         + ((H(k1, tuple, count) + mss_index) mod 2^24)
// with H = SipHash-2-4 under the current secret, `count` a 64-second counter.
// When the SYN carried timestamps, the low 6 bits of our TSval carry window scale
// (bits 0-3, 0xF = none), SACK-permitted (bit 4) and ECN (bit 5); without
// timestamps those options are given up (RFC 4987 section 3.6).
#pragma once

#include <cstdint>

#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/seq.h"
#include "tcp/siphash.h"
#include "tcp/state_machine.h"

namespace synack::tcp {

struct CookieSecret {
  SipKey k0;  // keys the per-tuple offset
  SipKey k1;  // keys the per-(tuple, count) MAC
};

class SynCookieCodec {
 public:
  static constexpr uint32_t kMaxAge = 2;         // counter steps a cookie stays valid (128-192 s)
  static constexpr uint32_t kCounterShiftS = 6;  // count = seconds >> 6

  // kTooOld: the MAC matches (the cookie is ours) but it is more than kMaxAge
  // counter steps old. kBadHash: everything else that is not kValid (forged,
  // tampered, another tuple, a secret no longer kept, or > 255 steps old).
  enum class Verdict : uint8_t { kValid, kBadHash, kTooOld };

  struct Cookie {
    Seq isn;          // our ISN for the SYN-ACK
    uint32_t ts_val;  // our TSval (only meaningful when the SYN had timestamps)
  };

  // `now_s` is a monotonic seconds clock shared by encode/validate/rotate.
  SynCookieCodec(const CookieSecret& secret, uint64_t now_s);

  // New secret; the previous one stays valid for kMaxAge counter steps so a
  // rotation never breaks a handshake in flight.
  void rotate(const CookieSecret& next, uint64_t now_s);

  // MSS table index for a peer MSS: the largest table entry <= mss.
  static uint8_t mss_index(uint16_t mss);
  static uint16_t mss_value(uint8_t index);

  // `now_ts` is our timestamp clock (ms); the TSval returned never runs ahead of it.
  Cookie encode(const FourTuple& t, Seq client_isn, const TcpOptions& syn_opts, bool ecn,
                uint64_t now_s, uint32_t now_ts) const;

  // `seg` is the third segment (ACK set, SYN/RST clear). On kValid fills `out`.
  Verdict validate(const FourTuple& t, const Segment& seg, uint64_t now_s,
                   CookieOptions& out) const;

 private:
  CookieSecret current_;
  CookieSecret previous_;
  uint64_t rotated_at_count_ = 0;
  bool have_previous_ = false;
};

const char* verdict_name(SynCookieCodec::Verdict v);

}  // namespace synack::tcp
