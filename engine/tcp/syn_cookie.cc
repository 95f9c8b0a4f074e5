// SYN cookies: one SipHash-2-4 MAC per cookie (layout in syn_cookie.h).
//
// Verdicts. validate() first takes the cookie's age from its 2 count bits,
// (now_count - bits) mod 4, with no hashing; then checks the 28-bit MAC at the
// full counter now_count - age, for the current secret and, within kMaxAge
// steps of a rotation, the previous one:
//   kTooOld  age > kMaxAge (3 mod 4): rejected before any hashing, so a quarter
//            of a flood of random ACKs costs a subtraction;
//   kValid   age <= kMaxAge and the MAC matches;
//   kBadHash age <= kMaxAge and no kept secret gives the MAC: forged, tampered,
//            another tuple or client ISN, an expired secret, or a cookie
//            4k + age steps old (its MAC was over another full counter).
#include "tcp/syn_cookie.h"

namespace synack::tcp {

using namespace cookie_detail;

SynCookieCodec::SynCookieCodec(const CookieSecret& secret, uint64_t now_s)
    : current_(secret), previous_(), rotated_at_count_(count_of(now_s)) {}

void SynCookieCodec::rotate(const CookieSecret& next, uint64_t now_s) {
  previous_ = current_;
  current_ = next;
  rotated_at_count_ = count_of(now_s);
  have_previous_ = true;
}

uint8_t SynCookieCodec::mss_index(uint16_t mss) {
  return static_cast<uint8_t>(mss_idx(mss));  // 0 also for mss < 536: the table's floor
}

uint16_t SynCookieCodec::mss_value(uint8_t index) {
  return kMssTable[index < kMssEntries ? index : 0];
}

SynCookieCodec::Verdict SynCookieCodec::validate(const FourTuple& t, const Segment& seg,
                                                 uint64_t now_s, CookieOptions& out) const {
  const uint64_t now_count = count_of(now_s);
  const uint32_t client_isn = seg.seq.raw() - 1;  // IRS: the SYN took one sequence number
  const uint32_t isn = seg.ack.raw() - 1;         // our ISS

  // Age from the clear count bits, before any hashing.
  const uint32_t age = static_cast<uint32_t>(now_count - isn) & kCountMask;
  if (age > kMaxAge) return Verdict::kTooOld;
  const uint64_t count = now_count - age;  // the full counter the cookie was made at
  const uint32_t idx = (isn >> kIdxShift) & kIdxMask;
  const uint32_t got = isn >> kMacShift;

  bool ok = mac(current_.k0, t, client_isn, count, idx) == got;
  // The previous secret stays in use for kMaxAge steps after a rotation; any
  // cookie it made later than that would be too old anyway.
  if (!ok && have_previous_ && now_count - rotated_at_count_ <= kMaxAge)
    ok = mac(previous_.k0, t, client_isn, count, idx) == got;
  if (!ok) return Verdict::kBadHash;

  out = CookieOptions{};
  out.mss = kMssTable[idx];
  if (seg.opts.has_timestamps) {
    // Our TSval came back as TSecr, options in its low bits.
    const uint32_t bits = seg.opts.ts_ecr & kTsOptMask;
    const uint32_t ws = bits & kTsWscaleMask;
    out.timestamps = true;
    out.wscale = ws <= kMaxWscale ? static_cast<uint8_t>(ws) : kNoWscale;
    out.sack_permitted = (bits & kTsSack) != 0;
    out.ecn = (bits & kTsEcn) != 0;
  } else {
    out.timestamps = false;
    out.wscale = kNoWscale;
    out.sack_permitted = false;
    out.ecn = false;
  }
  return Verdict::kValid;
}

const char* verdict_name(SynCookieCodec::Verdict v) {
  switch (v) {
    case SynCookieCodec::Verdict::kValid:
      return "valid";
    case SynCookieCodec::Verdict::kBadHash:
      return "bad_hash";
    case SynCookieCodec::Verdict::kTooOld:
      return "too_old";
  }
  return "unknown";
}

}  // namespace synack::tcp
