// Stateless SYN cookies: the SYN-ACK's ISN (and TSval) carry everything needed
// to rebuild the connection from the final ACK, so a SYN allocates nothing.
//
// Layout (after RFC 4987 section 3.6 and FreeBSD's syncookie in
// sys/netinet/tcp_syncache.c: one SipHash-2-4 MAC over the tuple, the client
// ISN and the parameters, which travel in the clear low bits):
//
//   isn = MAC(26 bits) << 6 | mss_index(3 bits) << 3 | (count mod 8)(3 bits)
//   MAC = top 26 bits of SipHash-2-4(K_local; w0, w1)
//     w0 = remote_ip << 32 | remote_port << 16 | local_port
//     w1 = client_isn << 32 | (count << 3 | mss_index) mod 2^32
//
// with `count` = seconds >> kCounterShiftS (16-second steps) and K_local a
// subkey of the secret for our local address (derived once per secret), so a
// MAC hashes 16 bytes, not 24. Why:
// - One keyed hash per cookie, on encode and on validate (Linux's layout needs
//   two), and all of a burst's MACs can be computed at once (siphash lanes).
// - The MAC covers the MSS index, the counter and the client ISN, so no bit of
//   the ISN (or of the ACK's sequence number) is malleable: any change
//   invalidates it, except with probability 2^-26 per forgery (Linux's MAC has
//   24 bits).
// - The clear count bits give the cookie's age (mod 8) before any hashing. A
//   cookie is accepted while its age is at most kMaxAge steps: for less than
//   (kMaxAge + 1) * 16 = 112 s after its SYN-ACK, and never less than 96 s
//   (Linux: up to 120 s).
// - Eight MSS values (FreeBSD's table starts at 216, Linux's four at 536):
//   a peer's MSS is rounded down to the table, never up, so we never send more
//   than it asked for; 88 is the smallest MSS the engine accepts at all.
//
// When the SYN carried timestamps, the low 5 bits of our TSval carry window
// scale (bits 0-3, 0xF = none) and SACK-permitted (bit 4), as Linux's TS_OPT_*;
// without timestamps those options are given up (RFC 4987 section 3.6), and the
// SYN-ACK does not offer them (synack.h).
//
// Secret rotation keeps up to kSecrets - 1 previous secrets, each valid for a
// cookie lifetime after it was replaced, so a cookie in flight survives two
// rotations; the control plane refuses rotations that would evict a secret
// still in its lifetime (runtime/control.h).
#pragma once

#include <cstdint>

#include "tcp/endpoint.h"
#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/seq.h"
#include "tcp/siphash.h"

namespace synack::tcp {

// A cookie secret as the CSPRNG gives it.
struct CookieSecret {
  SipKey key;
};

class SynCookieCodec {
 public:
  static constexpr uint32_t kMaxAge = 6;         // counter steps a cookie stays valid
  static constexpr uint32_t kCounterShiftS = 4;  // count = seconds >> 4
  static constexpr uint32_t kSecrets = 4;        // current + previous ones kept
  // Seconds a cookie is accepted at the most (and rotations must keep secrets).
  static constexpr uint32_t kLifetimeS = (kMaxAge + 1) << kCounterShiftS;

  // kTooOld: the cookie's 3 count bits put it more than kMaxAge counter steps
  // in the past (decided before hashing, so not authenticated: a random ACK is
  // kTooOld one time in eight). kBadHash: a fresh-looking cookie whose MAC does
  // not match (forged, tampered, another tuple or client ISN, a secret no
  // longer kept, or a cookie 8k + 0..6 steps old for some k >= 1).
  enum class Verdict : uint8_t { kValid, kBadHash, kTooOld };

  struct Cookie {
    Seq isn;          // our ISN for the SYN-ACK
    uint32_t ts_val;  // our TSval (only meaningful when the SYN had timestamps)
  };

  // `now_s` is a monotonic seconds clock shared by encode/validate/rotate;
  // `local_ip` the address cookies are made for (the subkey's input).
  SynCookieCodec(const CookieSecret& secret, uint32_t local_ip, uint64_t now_s);

  // A new current secret; the previous ones stay valid for a cookie lifetime.
  void rotate(const CookieSecret& next, uint64_t now_s);

  // MSS table index for a peer MSS: the largest table entry <= mss.
  static uint8_t mss_index(uint16_t mss);
  static uint16_t mss_value(uint8_t index);

  // `now_ts` is our timestamp clock (ms); the TSval returned never runs ahead of it.
  // Defined inline below (hot path).
  Cookie encode(const FourTuple& t, Seq client_isn, const TcpOptions& syn_opts, uint64_t now_s,
                uint32_t now_ts) const;

  // `seg` is the third segment (ACK set, SYN/RST clear). On kValid fills `out`.
  Verdict validate(const FourTuple& t, const Segment& seg, uint64_t now_s,
                   CookieOptions& out) const;

  // A burst's cookies at once (siphash lanes): the MAC message words of the
  // cookie a SYN gets (encode_words), its ISN and TSval from the hash of those
  // words under current_key() (encode_from_hash); and for a final ACK, the
  // words its cookie would have under the current secret (validate_words),
  // whose hash validate() then takes instead of computing it. encode() and
  // validate() alone are the same with one hash each.
  struct Words {
    uint64_t w0;
    uint64_t w1;
    uint32_t mss_index;
  };
  static Words encode_words(const FourTuple& t, Seq client_isn, const TcpOptions& syn_opts,
                            uint64_t now_s);
  static Cookie encode_from_hash(uint64_t hash, const Words& w, const TcpOptions& syn_opts,
                                 uint64_t now_s, uint32_t now_ts);
  // The same in pieces, for a SYN kept reduced to its ISN and a few option
  // bits (the burst's fast path): the MSS index of its options, the option
  // bits its TSval carries (meaningful only with timestamps), the two MAC
  // words, then from the hash our ISN, and our TSval from the option bits.
  static uint32_t mss_index_of(const TcpOptions& syn_opts);
  static uint64_t word0_of(const FourTuple& t);
  static uint32_t ts_bits_of(const TcpOptions& syn_opts);
  static uint64_t word1_of(Seq client_isn, uint32_t mss_index, uint64_t now_s);
  static Seq isn_from_hash(uint64_t hash, uint32_t mss_index, uint64_t now_s);
  static uint32_t ts_val_of(uint32_t ts_bits, uint32_t now_ts);
  // ts_val_of() for a burst of SYNs at one clock: the clock's part once
  // (ts_clock), then a compare and a select per SYN (ts_val_at).
  struct TsClock {
    uint32_t base;  // now_ts without its option bits
    uint32_t back;  // base one step earlier: for bits above the clock's own
    uint32_t low;   // now_ts's option bits
  };
  static TsClock ts_clock(uint32_t now_ts);
  static uint32_t ts_val_at(uint32_t ts_bits, const TsClock& c);
  // False when the ACK's cookie is too old to be worth hashing.
  static bool validate_words(const FourTuple& t, const Segment& seg, uint64_t now_s, Words* out);
  Verdict validate(const FourTuple& t, const Segment& seg, uint64_t now_s, CookieOptions& out,
                   uint64_t current_hash) const;
  const SipKey& current_key() const { return keys_[0]; }
  static uint64_t count_of(uint64_t now_s) { return now_s >> kCounterShiftS; }

 private:
  // keys_[0] is the current subkey; keys_[i] (i >= 1) was replaced at
  // retired_count_[i] and is valid until that plus kMaxAge.
  Verdict check(const FourTuple& t, const Segment& seg, uint64_t now_s, CookieOptions& out,
                const uint64_t* current_hash) const;
  static uint32_t ts_options(const TcpOptions& syn_opts, uint32_t now_ts);

  SipKey keys_[kSecrets];
  uint64_t retired_count_[kSecrets] = {};
  uint32_t kept_ = 1;  // how many of keys_ hold a secret
  uint32_t local_ip_;
};

const char* verdict_name(SynCookieCodec::Verdict v);

// Internals of the cookie layout, shared by the inline encode() below and
// syn_cookie.cc.
namespace cookie_detail {

inline constexpr uint32_t kMacBits = 26;
inline constexpr uint32_t kMacShift = 6;  // isn = mac << 6 | idx << 3 | count bits
inline constexpr uint32_t kIdxShift = 3;
inline constexpr uint32_t kCountMask = 0x7;  // 3 count bits: ages 0..7 distinguishable
inline constexpr uint32_t kIdxMask = 0x7;    // 3-bit MSS table index
inline constexpr uint32_t kMacDrop = 64 - kMacBits;
static_assert(SynCookieCodec::kMaxAge < kCountMask + 1, "ages must fit in the count bits");

// IPv4 MSS table: the engine's floor (88, Linux's TCP_MIN_MSS), RFC 9293's
// default 536, then the values common on the Internet (FreeBSD's table).
inline constexpr uint16_t kMssTable[] = {88, 536, 1200, 1360, 1400, 1440, 1452, 1460};
inline constexpr uint32_t kMssEntries = sizeof(kMssTable) / sizeof(kMssTable[0]);
static_assert(kMssEntries == kIdxMask + 1);
inline constexpr uint16_t kDefaultMss = 536;  // RFC 9293 3.7.1: no MSS option (or MSS 0)

// TSval low bits (Linux TS_OPT_WSCALE_MASK and TS_OPT_SACK).
inline constexpr uint32_t kTsWscaleMask = 0x0f;
inline constexpr uint32_t kTsSack = 1u << 4;
inline constexpr uint32_t kTsOptBits = 5;
inline constexpr uint32_t kTsOptMask = (1u << kTsOptBits) - 1;

// Branch-free mss_index(): the largest i with mss >= kMssTable[i] (0 below
// the table too), by a binary search of three compares on the sorted table.
// The loop form was not unrolled at -O2 (43 instructions per SYN by
// callgrind); seven compares written out took 28, this 12.
inline constexpr uint32_t mss_idx(uint32_t mss) {
  static_assert(kMssEntries == 8);
  uint32_t i = mss >= kMssTable[4] ? 4 : 0;
  i += mss >= kMssTable[i + 2] ? 2 : 0;
  i += mss >= kMssTable[i + 1] ? 1 : 0;
  return i;
}

// The peer MSS a SYN announces, as the stateful path reads it (synack.h).
inline constexpr uint32_t syn_mss(const TcpOptions& o) {
  return o.has_mss && o.mss != 0 ? o.mss : kDefaultMss;
}

[[gnu::always_inline]] inline uint32_t mac(const SipKey& k, uint64_t w0, uint64_t w1) {
  return static_cast<uint32_t>(siphash24_2w(k, w0, w1) >> kMacDrop);
}

inline uint64_t word0(const FourTuple& t) {
  // The ports joined in 32 bits: from ports split off one wire word (the
  // burst's fast path), GCC then sees the word again.
  return (uint64_t{t.remote_ip} << 32) | (uint32_t{t.remote_port} << 16 | t.local_port);
}

inline uint64_t word1(uint32_t client_isn, uint64_t count, uint32_t idx) {
  return (uint64_t{client_isn} << 32) | static_cast<uint32_t>((count << 3) | idx);
}

inline uint32_t isn_of(uint64_t hash, uint32_t idx, uint64_t count) {
  return (static_cast<uint32_t>(hash >> kMacDrop) << kMacShift) | (idx << kIdxShift) |
         (static_cast<uint32_t>(count) & kCountMask);
}

}  // namespace cookie_detail

inline uint32_t SynCookieCodec::mss_index_of(const TcpOptions& syn_opts) {
  return cookie_detail::mss_idx(cookie_detail::syn_mss(syn_opts));
}

inline uint64_t SynCookieCodec::word0_of(const FourTuple& t) {
  return cookie_detail::word0(t);
}

inline uint64_t SynCookieCodec::word1_of(Seq client_isn, uint32_t mss_index, uint64_t now_s) {
  return cookie_detail::word1(client_isn.raw(), count_of(now_s), mss_index);
}

inline Seq SynCookieCodec::isn_from_hash(uint64_t hash, uint32_t mss_index, uint64_t now_s) {
  return Seq(cookie_detail::isn_of(hash, mss_index, count_of(now_s)));
}

inline uint32_t SynCookieCodec::ts_bits_of(const TcpOptions& syn_opts) {
  using namespace cookie_detail;
  // Computed unconditionally and selected (cmov), no data-dependent branch.
  const uint32_t opts = syn_opts.has_wscale
                            ? (syn_opts.wscale < kMaxWscale ? syn_opts.wscale : kMaxWscale)
                            : kTsWscaleMask;
  return opts | (syn_opts.sack_permitted ? kTsSack : 0);
}

inline uint32_t SynCookieCodec::ts_val_of(uint32_t ts_bits, uint32_t now_ts) {
  using namespace cookie_detail;
  uint32_t ts_opt = (now_ts & ~kTsOptMask) | ts_bits;
  // Rounded down so the TSval never runs ahead of our clock (as Linux).
  ts_opt -= uint32_t{ts_opt > now_ts} << kTsOptBits;
  return ts_opt;
}

inline SynCookieCodec::TsClock SynCookieCodec::ts_clock(uint32_t now_ts) {
  using namespace cookie_detail;
  const uint32_t base = now_ts & ~kTsOptMask;
  return {base, base - (1u << kTsOptBits), now_ts & kTsOptMask};
}

// (base | bits) runs ahead of the clock exactly when bits > low.
inline uint32_t SynCookieCodec::ts_val_at(uint32_t ts_bits, const TsClock& c) {
  return (ts_bits > c.low ? c.back : c.base) | ts_bits;
}

inline uint32_t SynCookieCodec::ts_options(const TcpOptions& syn_opts, uint32_t now_ts) {
  return syn_opts.has_timestamps ? ts_val_of(ts_bits_of(syn_opts), now_ts) : now_ts;
}

inline SynCookieCodec::Words SynCookieCodec::encode_words(const FourTuple& t, Seq client_isn,
                                                          const TcpOptions& syn_opts,
                                                          uint64_t now_s) {
  const uint32_t idx = mss_index_of(syn_opts);
  return {word0_of(t), word1_of(client_isn, idx, now_s), idx};
}

inline SynCookieCodec::Cookie SynCookieCodec::encode_from_hash(uint64_t hash, const Words& w,
                                                               const TcpOptions& syn_opts,
                                                               uint64_t now_s, uint32_t now_ts) {
  return {isn_from_hash(hash, w.mss_index, now_s), ts_options(syn_opts, now_ts)};
}

// Inline: once per cookie SYN-ACK on the general path.
inline SynCookieCodec::Cookie SynCookieCodec::encode(const FourTuple& t, Seq client_isn,
                                                     const TcpOptions& syn_opts, uint64_t now_s,
                                                     uint32_t now_ts) const {
  const Words w = encode_words(t, client_isn, syn_opts, now_s);
  return encode_from_hash(siphash24_2w(keys_[0], w.w0, w.w1), w, syn_opts, now_s, now_ts);
}

}  // namespace synack::tcp
