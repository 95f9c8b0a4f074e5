// Stateless SYN cookies: the SYN-ACK's ISN (and TSval) carry everything needed
// to rebuild the connection from the final ACK, so a SYN allocates nothing.
//
// Layout (inspired by RFC 4987 section 3.6 and FreeBSD's syncookie in
// sys/netinet/tcp_syncache.c: one SipHash-2-4 MAC over the tuple, the client
// ISN and the parameters, which travel in the clear low bits):
//
//   isn = MAC(28 bits) << 4 | mss_index(2 bits) << 2 | (count mod 4)(2 bits)
//   MAC = top 28 bits of SipHash-2-4(k0; remote_ip:local_ip,
//           remote_port:local_port:client_isn, count << 2 | mss_index)
//
// with `count` = seconds >> kCounterShiftS (64-second steps), hashed in full
// (64 bits), and client_isn the SYN's sequence number. Why:
// - One keyed hash per cookie, on encode and on validate (Linux's layout needs
//   two): the SYN -> SYN-ACK cookie path must stay within 50 ns per packet.
// - The MAC covers the MSS index, the full counter and the client ISN, so no
//   bit of the ISN (or of the ACK's sequence number) is malleable: any change
//   invalidates it, except with probability 2^-28 per forgery.
// - The clear count bits give the cookie's age (mod 4) before any hashing: an
//   ACK older than kMaxAge steps is rejected as kTooOld for the price of a
//   subtraction, which makes a quarter of a random ACK flood free to reject.
// The secret's k1 key is not used (k0 is already a 128-bit SipHash key); the
// runtime still fills it, so the struct keeps its layout.
//
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
  SipKey k0;  // keys the cookie MAC
  SipKey k1;  // unused by the cookie layout (kept: the runtime fills the struct)
};

class SynCookieCodec {
 public:
  static constexpr uint32_t kMaxAge = 2;         // counter steps a cookie stays valid (128-192 s)
  static constexpr uint32_t kCounterShiftS = 6;  // count = seconds >> 6

  // kTooOld: the cookie's 2 count bits put it more than kMaxAge counter steps
  // in the past (decided before hashing, so not authenticated: a random ACK is
  // kTooOld one time in four). kBadHash: a fresh-looking cookie whose MAC does
  // not match (forged, tampered, another tuple or client ISN, a secret no
  // longer kept, or a cookie 4k + 0..2 steps old for some k >= 1).
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
  // Defined inline below (hot path).
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

// Internals of the cookie layout, shared by the inline encode() below and
// syn_cookie.cc.
namespace cookie_detail {

inline constexpr uint32_t kMacShift = 4;  // isn = mac << 4 | idx << 2 | count bits
inline constexpr uint32_t kIdxShift = 2;
inline constexpr uint32_t kCountMask = 0x3;    // 2 count bits: ages 0..3 distinguishable
inline constexpr uint32_t kIdxMask = 0x3;      // 2-bit MSS table index
inline constexpr uint32_t kMacDrop = 64 - 28;  // MAC = top 28 bits of the hash
static_assert(SynCookieCodec::kMaxAge < kCountMask + 1, "ages must fit in the count bits");

// IPv4 MSS table (Alcock & Nelson 2011, as Linux): 2-bit index.
inline constexpr uint16_t kMssTable[] = {536, 1300, 1440, 1460};
inline constexpr uint32_t kMssEntries = sizeof(kMssTable) / sizeof(kMssTable[0]);
static_assert(kMssEntries == kIdxMask + 1);
inline constexpr uint16_t kDefaultMss = 536;  // RFC 9293 3.7.1: no MSS option

// TSval low bits (Linux TS_OPT_*).
inline constexpr uint32_t kTsWscaleMask = 0x0f;
inline constexpr uint32_t kTsSack = 1u << 4;
inline constexpr uint32_t kTsEcn = 1u << 5;
inline constexpr uint32_t kTsOptBits = 6;
inline constexpr uint32_t kTsOptMask = (1u << kTsOptBits) - 1;

inline constexpr uint64_t count_of(uint64_t now_s) {
  return now_s >> SynCookieCodec::kCounterShiftS;
}

// Branch-free mss_index(): the number of table entries above 536 that mss reaches.
inline constexpr uint32_t mss_idx(uint32_t mss) {
  return uint32_t{mss >= kMssTable[1]} + uint32_t{mss >= kMssTable[2]} +
         uint32_t{mss >= kMssTable[3]};
}

// The 28-bit MAC. Words: both addresses; both ports and the client ISN; the
// full counter and the MSS index (count < 2^58 as now_s < 2^64, so count << 2
// loses nothing).
[[gnu::always_inline]] inline uint32_t mac(const SipKey& k, const FourTuple& t, uint32_t client_isn,
                                           uint64_t count, uint32_t idx) {
  const uint64_t ips = (uint64_t{t.remote_ip} << 32) | t.local_ip;
  const uint64_t ports_isn =
      (uint64_t{t.remote_port} << 48) | (uint64_t{t.local_port} << 32) | client_isn;
  return static_cast<uint32_t>(siphash24_3w_inline(k, ips, ports_isn, (count << 2) | idx) >>
                               kMacDrop);
}

}  // namespace cookie_detail

// Inline: once per cookie SYN-ACK on the hot path (13.4 vs 14.6 ns out of line,
// bench_cookie BM_CookieEncode, this machine). validate() gained nothing inline.
inline SynCookieCodec::Cookie SynCookieCodec::encode(const FourTuple& t, Seq client_isn,
                                                     const TcpOptions& syn_opts, bool ecn,
                                                     uint64_t now_s, uint32_t now_ts) const {
  using namespace cookie_detail;
  const uint64_t count = count_of(now_s);
  const uint32_t idx = mss_idx(syn_opts.has_mss ? syn_opts.mss : kDefaultMss);
  const uint32_t isn = (mac(current_.k0, t, client_isn.raw(), count, idx) << kMacShift) |
                       (idx << kIdxShift) | (static_cast<uint32_t>(count) & kCountMask);

  // Computed unconditionally and selected (cmov), no data-dependent branch.
  uint32_t opts = syn_opts.has_wscale
                      ? (syn_opts.wscale < kMaxWscale ? syn_opts.wscale : kMaxWscale)
                      : kTsWscaleMask;
  opts |= (syn_opts.sack_permitted ? kTsSack : 0) | (ecn ? kTsEcn : 0);
  uint32_t ts_opt = (now_ts & ~kTsOptMask) | opts;
  // Rounded down so the TSval never runs ahead of our clock (as Linux).
  ts_opt -= uint32_t{ts_opt > now_ts} << kTsOptBits;
  return {Seq(isn), syn_opts.has_timestamps ? ts_opt : now_ts};
}

}  // namespace synack::tcp
