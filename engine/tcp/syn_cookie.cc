// SYN cookies in the layout of Linux net/ipv4/syncookies.c (see syn_cookie.h).
//
// Verdicts. validate() rebuilds the full counter from the 8 bits in the cookie
// (the one within 255 steps before now), then checks the 24-bit MAC at that
// counter, for the current secret and, within kMaxAge steps of a rotation, the
// previous one:
//   kValid   the MAC matches and the counter is at most kMaxAge steps old;
//   kTooOld  the MAC matches (so the cookie is ours) but it is older than that;
//   kBadHash anything else: forged, tampered, for another tuple, or made with a
//            secret that is no longer kept.
// Unlike Linux (which rejects on age before computing the MAC, so a random
// forgery mostly looks "too old"), kTooOld here means an authentic but expired
// cookie and kBadHash a forgery; the price is the second hash on expired input.
#include "tcp/syn_cookie.h"

#include <algorithm>

namespace synack::tcp {

namespace {

constexpr uint32_t kCookieBits = 24;
constexpr uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr uint32_t kCountMask = 0xff;  // the counter keeps 32 - 24 bits in the cookie

// IPv4 MSS table (Alcock & Nelson 2011, as Linux): 2-bit index.
constexpr uint16_t kMssTable[] = {536, 1300, 1440, 1460};
constexpr uint32_t kMssEntries = sizeof(kMssTable) / sizeof(kMssTable[0]);
constexpr uint16_t kDefaultMss = 536;  // RFC 9293 3.7.1: no MSS option

// TSval low bits (Linux TS_OPT_*).
constexpr uint32_t kTsWscaleMask = 0x0f;
constexpr uint32_t kTsSack = 1u << 4;
constexpr uint32_t kTsEcn = 1u << 5;
constexpr uint32_t kTsOptBits = 6;
constexpr uint32_t kTsOptMask = (1u << kTsOptBits) - 1;

constexpr uint64_t count_of(uint64_t now_s) {
  return now_s >> SynCookieCodec::kCounterShiftS;
}

struct TupleWords {
  uint64_t ips;
  uint64_t ports;
};

constexpr TupleWords pack(const FourTuple& t) {
  return {(uint64_t{t.remote_ip} << 32) | t.local_ip,
          (uint64_t{t.remote_port} << 16) | t.local_port};
}

// H0: per-tuple offset. The third word is all ones, a value no live counter has.
inline uint32_t h0(const CookieSecret& s, const TupleWords& w) {
  return static_cast<uint32_t>(siphash24_3w_inline(s.k0, w.ips, w.ports, ~uint64_t{0}));
}

// H1: per-(tuple, full counter) MAC.
inline uint32_t h1(const CookieSecret& s, const TupleWords& w, uint64_t count) {
  return static_cast<uint32_t>(siphash24_3w_inline(s.k1, w.ips, w.ports, count));
}

enum class Check : uint8_t { kValid, kBadHash, kTooOld };

// Reverses the cookie formula under one secret. On kValid sets *mss_idx.
inline Check check(const CookieSecret& s, const TupleWords& w, uint32_t cookie, uint32_t client_isn,
                   uint64_t now_count, uint32_t* mss_idx) {
  const uint32_t c = cookie - h0(s, w) - client_isn;
  const uint32_t diff = static_cast<uint32_t>(now_count - (c >> kCookieBits)) & kCountMask;
  const uint64_t count = now_count - diff;  // the full counter the cookie was made at
  const uint32_t idx = (c - h1(s, w, count)) & kCookieMask;
  if (idx >= kMssEntries) return Check::kBadHash;
  if (diff > SynCookieCodec::kMaxAge) return Check::kTooOld;
  *mss_idx = idx;
  return Check::kValid;
}

}  // namespace

SynCookieCodec::SynCookieCodec(const CookieSecret& secret, uint64_t now_s)
    : current_(secret), previous_(), rotated_at_count_(count_of(now_s)) {}

void SynCookieCodec::rotate(const CookieSecret& next, uint64_t now_s) {
  previous_ = current_;
  current_ = next;
  rotated_at_count_ = count_of(now_s);
  have_previous_ = true;
}

uint8_t SynCookieCodec::mss_index(uint16_t mss) {
  uint8_t i = kMssEntries - 1;
  while (i > 0 && mss < kMssTable[i]) --i;
  return i;  // 0 also for mss < 536: the table's floor
}

uint16_t SynCookieCodec::mss_value(uint8_t index) {
  return kMssTable[index < kMssEntries ? index : 0];
}

SynCookieCodec::Cookie SynCookieCodec::encode(const FourTuple& t, Seq client_isn,
                                              const TcpOptions& syn_opts, bool ecn, uint64_t now_s,
                                              uint32_t now_ts) const {
  const uint64_t count = count_of(now_s);
  const TupleWords w = pack(t);
  const uint32_t idx = mss_index(syn_opts.has_mss ? syn_opts.mss : kDefaultMss);
  const uint32_t isn = h0(current_, w) + client_isn.raw() +
                       (static_cast<uint32_t>(count) << kCookieBits) +
                       ((h1(current_, w, count) + idx) & kCookieMask);

  uint32_t ts_val = now_ts;
  if (syn_opts.has_timestamps) {
    uint32_t opts =
        syn_opts.has_wscale ? std::min<uint32_t>(syn_opts.wscale, kMaxWscale) : kTsWscaleMask;
    if (syn_opts.sack_permitted) opts |= kTsSack;
    if (ecn) opts |= kTsEcn;
    ts_val = (now_ts & ~kTsOptMask) | opts;
    // Rounded down so the TSval never runs ahead of our clock (as Linux).
    if (ts_val > now_ts) ts_val -= kTsOptMask + 1;
  }
  return {Seq(isn), ts_val};
}

SynCookieCodec::Verdict SynCookieCodec::validate(const FourTuple& t, const Segment& seg,
                                                 uint64_t now_s, CookieOptions& out) const {
  const uint64_t now_count = count_of(now_s);
  const TupleWords w = pack(t);
  const uint32_t client_isn = seg.seq.raw() - 1;  // IRS: the SYN took one sequence number
  const uint32_t cookie = seg.ack.raw() - 1;      // our ISS

  uint32_t idx = 0;
  Check r = check(current_, w, cookie, client_isn, now_count, &idx);
  // The previous secret stays in use for kMaxAge steps after a rotation; any
  // cookie it made later than that would be too old anyway.
  if (r != Check::kValid && have_previous_ && now_count - rotated_at_count_ <= kMaxAge) {
    const Check p = check(previous_, w, cookie, client_isn, now_count, &idx);
    if (p != Check::kBadHash) r = p;  // valid beats too old beats bad hash
  }
  if (r == Check::kBadHash) return Verdict::kBadHash;
  if (r == Check::kTooOld) return Verdict::kTooOld;

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
