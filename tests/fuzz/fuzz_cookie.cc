// tcp::SynCookieCodec: cookies for SYNs the input describes, the final ACKs
// that carry them back (in and out of their lifetime, across secret
// rotations), tampered copies of them, and ACKs the input makes up.
//
// Input layout (little-endian, see tests/fuzz/make_corpus.py): secrets,
// times, then the SYN and the ACKs; fields past the end read as zero.
//
// Invariants:
//  C1  Round trip: the ACK a client sends back for a cookie (SEG.SEQ = its ISN
//      + 1, SEG.ACK = cookie + 1, TSecr = our TSval when the SYN had TSopt) is
//      kValid whenever it comes back within kMaxAge counter steps under a
//      secret still kept, and then gives back the MSS table entry for the SYN's
//      MSS and, with timestamps, its window scale (clamped to 14), SACK and ECN.
//  C2  No forgery: validate() says kValid for an ACK exactly when SEG.ACK - 1
//      is a cookie encode() gives for that tuple and SEG.SEQ - 1 at one of the
//      counter steps still accepted, under a secret still kept (re-encoded
//      and compared in encodable()). Checked for the round trip, for tampered
//      copies and for ACKs made from the input's bytes: a fuzzer cannot
//      assert how rare a lucky guess is, but it can assert that no accepted
//      ACK is one encode() could not have produced.
//  C3  kTooOld is decided from the cookie's two clear counter bits alone:
//      exactly when (now_count - cookie) mod 4 > kMaxAge.
//  C4  The cookie's clear bits are the MSS index (the largest table entry not
//      above the SYN's MSS, 536 without one) and the counter mod 4; the TSval
//      carries wscale/SACK/ECN in its low 6 bits and is at most 127 ms behind
//      our clock, never ahead of it (RFC 7323 5.4 monotonic TSval).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/syn_cookie.h"

namespace synack::fuzz {
namespace {

using namespace synack::tcp;
using Codec = SynCookieCodec;

constexpr uint16_t kTable[] = {536, 1300, 1440, 1460};  // syn_cookie.h's IPv4 MSS table
constexpr uint64_t kStepS = uint64_t{1} << Codec::kCounterShiftS;

uint64_t count_of(uint64_t s) {
  return s >> Codec::kCounterShiftS;
}

// The secrets the codec under test holds, tracked beside it.
struct Keys {
  CookieSecret current;
  CookieSecret previous;
  bool have_previous = false;
  uint64_t rotated_at_s = 0;
};

CookieSecret secret_from(ByteReader& in) {
  CookieSecret s;
  s.k0.k0 = in.u64();
  s.k0.k1 = in.u64();
  s.k1.k0 = ~s.k0.k0;
  s.k1.k1 = ~s.k0.k1;
  return s;
}

// C2's oracle: is SEG.ACK - 1 a cookie that encode() could have made for
// this tuple and client ISN, at a counter step validate() still accepts
// (kMaxAge back at most, and never before time zero), under a kept secret?
bool encodable(const Keys& k, const FourTuple& t, const Segment& ack, uint64_t now_s) {
  const uint64_t now_count = count_of(now_s);
  const Seq client_isn = ack.seq - 1;
  const Seq cookie = ack.ack - 1;
  const CookieSecret* secrets[2] = {&k.current, nullptr};
  // The previous secret is kept for kMaxAge counter steps after a rotation.
  if (k.have_previous && now_count - count_of(k.rotated_at_s) <= Codec::kMaxAge)
    secrets[1] = &k.previous;
  for (const CookieSecret* s : secrets) {
    if (s == nullptr) continue;
    const Codec c(*s, 0);
    for (uint64_t age = 0; age <= Codec::kMaxAge && age <= now_count; age++) {
      for (uint16_t mss : kTable) {
        TcpOptions o;
        o.has_mss = true;
        o.mss = mss;
        if (c.encode(t, client_isn, o, false, (now_count - age) * kStepS, 0).isn == cookie)
          return true;
      }
    }
  }
  return false;
}

// C2 and C3 for one ACK; returns the verdict.
Codec::Verdict check_validate(const Codec& codec, const Keys& k, const FourTuple& t,
                              const Segment& ack, uint64_t now_s, CookieOptions& out) {
  const Codec::Verdict v = codec.validate(t, ack, now_s, out);
  FUZZ_CHECK(v == Codec::Verdict::kValid || v == Codec::Verdict::kBadHash ||
             v == Codec::Verdict::kTooOld);
  const uint32_t age_bits = static_cast<uint32_t>(count_of(now_s) - (ack.ack - 1).raw()) & 3;
  FUZZ_CHECK((v == Codec::Verdict::kTooOld) == (age_bits > Codec::kMaxAge));
  FUZZ_CHECK((v == Codec::Verdict::kValid) == encodable(k, t, ack, now_s));
  return v;
}

FourTuple tuple_from(ByteReader& in) {
  FourTuple t;
  t.remote_ip = in.u32();
  t.local_ip = in.u32();
  t.remote_port = in.u16();
  t.local_port = in.u16();
  return t;
}

TcpOptions syn_options_from(ByteReader& in) {
  TcpOptions o;
  const uint8_t m = in.u8();
  if (m & 1) {
    o.has_mss = true;
    o.mss = in.u16();
  }
  if (m & 2) {
    o.has_wscale = true;
    o.wscale = in.u8();
  }
  o.sack_permitted = (m & 4) != 0;
  if (m & 8) {
    o.has_timestamps = true;
    o.ts_val = in.u32();
    o.ts_ecr = in.u32();
  }
  return o;
}

// Flips bit `b` of one of the 96 bits an attacker controls in the final ACK
// (SEG.SEQ, SEG.ACK) or that bind the cookie (the remote address and port).
void tamper(uint8_t b, FourTuple& t, Segment& ack) {
  const uint32_t mask = 1u << (b & 31);
  switch ((b >> 5) % 3) {
    case 0:
      ack.seq = Seq(ack.seq.raw() ^ mask);
      break;
    case 1:
      ack.ack = Seq(ack.ack.raw() ^ mask);
      break;
    default:
      if (mask >> 16)
        t.remote_port = static_cast<uint16_t>(t.remote_port ^ (mask >> 16));
      else
        t.remote_ip ^= mask;
  }
}

void run(ByteReader& in) {
  Keys k;
  k.current = secret_from(in);
  const CookieSecret next = secret_from(in);
  const CookieSecret third = secret_from(in);

  // Times in seconds: the codec's start, the SYN, up to two rotations and the
  // ACK, in that order (an optional high offset reaches far counters).
  uint64_t now_s = in.u32();
  if (in.u8() & 1) now_s += in.u64() & ((uint64_t{1} << 56) - 1);
  Codec codec(k.current, now_s);
  now_s += in.u16();
  const uint64_t syn_s = now_s;

  const FourTuple t = tuple_from(in);
  const Seq client_isn(in.u32());
  const TcpOptions syn = syn_options_from(in);
  const bool ecn = in.bit();
  const uint32_t now_ts = in.u32();
  const Codec::Cookie c = codec.encode(t, client_isn, syn, ecn, syn_s, now_ts);

  // C4.
  const uint32_t idx = Codec::mss_index(syn.has_mss ? syn.mss : 536);
  FUZZ_CHECK(idx < 4 && ((c.isn.raw() >> 2) & 3) == idx);
  FUZZ_CHECK(Codec::mss_value(static_cast<uint8_t>(idx)) == kTable[idx]);
  const uint16_t peer_mss = syn.has_mss ? syn.mss : 536;
  FUZZ_CHECK(idx == 0 || kTable[idx] <= peer_mss);
  FUZZ_CHECK(idx == 3 || kTable[idx + 1] > peer_mss);
  FUZZ_CHECK((c.isn.raw() & 3) == (count_of(syn_s) & 3));
  const uint8_t want_ws = syn.has_wscale ? (syn.wscale < 14 ? syn.wscale : 14) : kNoWscale;
  if (syn.has_timestamps) {
    const uint32_t bits = (want_ws & 0xF) | (syn.sack_permitted ? 16u : 0u) | (ecn ? 32u : 0u);
    FUZZ_CHECK((c.ts_val & 63) == bits);
    const int32_t behind = static_cast<int32_t>(now_ts - c.ts_val);
    FUZZ_CHECK(behind >= 0 && behind < 128);
  } else {
    FUZZ_CHECK(c.ts_val == now_ts);
  }

  // Rotations between the SYN and its ACK.
  const uint8_t rot = in.u8();
  for (int r = 0; r < (rot & 3) % 3; r++) {
    now_s += in.u16();
    k.previous = k.current;
    k.current = r == 0 ? next : third;
    k.have_previous = true;
    k.rotated_at_s = now_s;
    codec.rotate(k.current, now_s);
  }
  now_s += in.u16() % (8 * kStepS);
  const uint64_t ack_s = now_s;

  Segment ack;
  ack.flags = tcpflag::kAck;
  ack.seq = client_isn + 1;
  ack.ack = c.isn + 1;
  if (syn.has_timestamps) {  // RFC 7323 3.2: TSopt only when the SYN had it
    ack.opts.has_timestamps = true;
    ack.opts.ts_val = in.u32();
    ack.opts.ts_ecr = c.ts_val;
  }

  // C1: valid within the lifetime under a kept secret.
  const uint64_t age = count_of(ack_s) - count_of(syn_s);
  const int rotations = (rot & 3) % 3;
  bool secret_kept = rotations == 0;
  if (rotations == 1) secret_kept = count_of(ack_s) - count_of(k.rotated_at_s) <= Codec::kMaxAge;
  CookieOptions co;
  const Codec::Verdict v = check_validate(codec, k, t, ack, ack_s, co);
  if (age <= Codec::kMaxAge && secret_kept) {
    FUZZ_CHECK(v == Codec::Verdict::kValid);
    FUZZ_CHECK(co.mss == kTable[idx]);
    FUZZ_CHECK(co.timestamps == syn.has_timestamps);
    if (syn.has_timestamps) {
      FUZZ_CHECK(co.wscale == want_ws && co.sack_permitted == syn.sack_permitted && co.ecn == ecn);
    } else {
      FUZZ_CHECK(co.wscale == kNoWscale && !co.sack_permitted && !co.ecn);
    }
  }

  // C2 for tampered copies of that ACK.
  const uint8_t n_tamper = in.u8() & 7;
  for (uint8_t i = 0; i < n_tamper; i++) {
    FourTuple t2 = t;
    Segment a2 = ack;
    tamper(in.u8(), t2, a2);
    check_validate(codec, k, t2, a2, ack_s, co);
  }

  // C2 for ACKs made up from the rest of the input, each at its own time.
  while (!in.empty()) {
    const FourTuple t3 = (in.u8() & 1) ? tuple_from(in) : t;
    Segment a3;
    a3.flags = tcpflag::kAck;
    a3.seq = Seq(in.u32());
    a3.ack = Seq(in.u32());
    if (in.u8() & 1) {
      a3.opts.has_timestamps = true;
      a3.opts.ts_ecr = in.u32();
    }
    const uint64_t when = ack_s + in.u16() % (8 * kStepS);
    check_validate(codec, k, t3, a3, when, co);
  }
}

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synack::fuzz::ByteReader in(data, size);
  synack::fuzz::run(in);
  return 0;
}
