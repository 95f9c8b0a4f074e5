// SYN cookies: one SipHash-2-4 MAC per cookie (layout in syn_cookie.h).
//
// Verdicts. validate() first takes the cookie's age from its 3 count bits,
// (now_count - bits) mod 8, with no hashing; then checks the 26-bit MAC at the
// full counter now_count - age, for the current secret and every previous one
// still inside a cookie lifetime of its replacement:
//   kTooOld  age > kMaxAge (7 mod 8): rejected before any hashing;
//   kValid   age <= kMaxAge and the MAC matches;
//   kBadHash age <= kMaxAge and no kept secret gives the MAC.
#include "tcp/syn_cookie.h"

namespace synack::tcp {

using namespace cookie_detail;

namespace {

// The secret's subkey for one local address: cookies for another address (or
// made with a secret of another purpose) never share a key with these.
SipKey subkey(const CookieSecret& s, uint32_t local_ip) {
  return SipKey{siphash24_3w(s.key, local_ip, 0x636f6f6b69650000ull /* "cookie" */, 0),
                siphash24_3w(s.key, local_ip, 0x636f6f6b69650000ull, 1)};
}

}  // namespace

SynCookieCodec::SynCookieCodec(const CookieSecret& secret, uint32_t local_ip, uint64_t now_s)
    : local_ip_(local_ip) {
  (void)now_s;
  keys_[0] = subkey(secret, local_ip);
}

void SynCookieCodec::rotate(const CookieSecret& next, uint64_t now_s) {
  const uint64_t now = count_of(now_s);
  // Shift the history down, dropping what has expired anyway.
  uint32_t kept = kept_ < kSecrets ? kept_ + 1 : kSecrets;
  for (uint32_t i = kept - 1; i > 0; i--) {
    keys_[i] = keys_[i - 1];
    retired_count_[i] = i == 1 ? now : retired_count_[i - 1];
  }
  keys_[0] = subkey(next, local_ip_);
  while (kept > 1 && now - retired_count_[kept - 1] > kMaxAge) kept--;
  kept_ = kept;
}

uint8_t SynCookieCodec::mss_index(uint16_t mss) {
  return static_cast<uint8_t>(mss_idx(mss));  // 0 also for mss < 88: the table's floor
}

uint16_t SynCookieCodec::mss_value(uint8_t index) {
  return kMssTable[index < kMssEntries ? index : 0];
}

bool SynCookieCodec::validate_words(const FourTuple& t, const Segment& seg, uint64_t now_s,
                                    Words* out) {
  const uint64_t now_count = count_of(now_s);
  const uint32_t isn = seg.ack.raw() - 1;
  const uint32_t age = static_cast<uint32_t>(now_count - isn) & kCountMask;
  if (age > kMaxAge) return false;
  const uint32_t idx = (isn >> kIdxShift) & kIdxMask;
  *out = {word0(t), word1(seg.seq.raw() - 1, now_count - age, idx), idx};
  return true;
}

SynCookieCodec::Verdict SynCookieCodec::validate(const FourTuple& t, const Segment& seg,
                                                 uint64_t now_s, CookieOptions& out) const {
  return check(t, seg, now_s, out, nullptr);
}

SynCookieCodec::Verdict SynCookieCodec::validate(const FourTuple& t, const Segment& seg,
                                                 uint64_t now_s, CookieOptions& out,
                                                 uint64_t current_hash) const {
  return check(t, seg, now_s, out, &current_hash);
}

SynCookieCodec::Verdict SynCookieCodec::check(const FourTuple& t, const Segment& seg,
                                              uint64_t now_s, CookieOptions& out,
                                              const uint64_t* current_hash) const {
  const uint64_t now_count = count_of(now_s);
  const uint32_t client_isn = seg.seq.raw() - 1;  // IRS: the SYN took one sequence number
  const uint32_t isn = seg.ack.raw() - 1;         // our ISS

  // Age from the clear count bits, before any hashing.
  const uint32_t age = static_cast<uint32_t>(now_count - isn) & kCountMask;
  if (age > kMaxAge) return Verdict::kTooOld;
  // The local address is in the subkey, not the message: a codec answers for one.
  if (t.local_ip != local_ip_) return Verdict::kBadHash;
  const uint64_t count = now_count - age;  // the counter the cookie was made at
  const uint32_t idx = (isn >> kIdxShift) & kIdxMask;
  const uint32_t got = isn >> kMacShift;
  const uint64_t w0 = word0(t), w1 = word1(client_isn, count, idx);

  bool ok = (current_hash ? static_cast<uint32_t>(*current_hash >> kMacDrop)
                          : mac(keys_[0], w0, w1)) == got;
  // A previous secret made cookies until it was replaced: only those made
  // before its retirement, and still young enough, can be its.
  for (uint32_t i = 1; !ok && i < kept_; i++)
    if (count <= retired_count_[i] && now_count - retired_count_[i] <= kMaxAge)
      ok = mac(keys_[i], w0, w1) == got;
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
