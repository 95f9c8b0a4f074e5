// tcp::SynCookieCodec: cookies for a burst of SYNs the input describes, the
// final ACKs that carry them back (in and out of their lifetime, across secret
// rotations), tampered copies of them, and ACKs the input makes up; each one
// also through the batch API (encode_words / encode_from_hash, validate_words /
// validate with the hash) under every SipHash batch variant this CPU runs.
//
// Input layout (little-endian, see tests/fuzz/make_corpus.py): three secrets,
// the codec's local address, times, the SYNs, rotations, then the ACKs; fields
// past the end read as zero.
//
// Invariants:
//  C1  Round trip: the ACK a client sends back for a cookie (SEG.SEQ = its ISN
//      + 1, SEG.ACK = cookie + 1, TSecr = our TSval when the SYN had TSopt) is
//      kValid whenever it comes back within kMaxAge counter steps under a
//      secret still kept, and then gives back the MSS table entry for the SYN's
//      MSS and, with timestamps, its window scale (clamped to 14) and SACK.
//  C2  No forgery: validate() says kValid for an ACK exactly when SEG.ACK - 1
//      is the cookie encode() gives for that tuple, SEG.SEQ - 1 and the MSS
//      index in its clear bits, at the counter step its clear count bits name,
//      under the current secret or a previous one that was current then and
//      whose replacement is at most kMaxAge steps old (kSecrets - 1 of them at
//      most): the model in Keys tracks that history beside the codec. Checked
//      for the round trip, for tampered copies and for ACKs made from the
//      input's bytes: a fuzzer cannot assert how rare a lucky guess is, but it
//      can assert that no accepted ACK is one encode() could not have produced.
//      Another local address than the codec's is never valid.
//  C3  kTooOld is decided from the cookie's three clear count bits alone:
//      exactly when (now_count - cookie) mod 8 > kMaxAge; validate_words says
//      false exactly then.
//  C4  The cookie's clear bits are the MSS index (the largest table entry not
//      above the SYN's MSS, floored at 88; 536 without one or with MSS 0) and
//      the counter mod 8; the TSval carries wscale and SACK in its low 5 bits
//      and is less than 32 ms behind our clock, never ahead of it (RFC 7323
//      5.4: TSval is monotonic); without timestamps it is the clock itself.
//  C5  The batch API gives the same cookies and the same verdicts and options
//      as encode() and validate(), under every runnable SipHash variant, with
//      the hashes written beside the words or over them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fuzz_input.h"
#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/siphash_batch.h"
#include "tcp/syn_cookie.h"

namespace synack::fuzz {
namespace {

using namespace synack::tcp;
using Codec = SynCookieCodec;

// syn_cookie.h's IPv4 MSS table, written out.
constexpr uint16_t kTable[] = {88, 536, 1200, 1360, 1400, 1440, 1452, 1460};
constexpr uint64_t kStepS = uint64_t{1} << Codec::kCounterShiftS;
constexpr int kMaxSyns = 8;

uint64_t count_of(uint64_t s) {
  return s >> Codec::kCounterShiftS;
}

// The secrets the codec under test holds, tracked beside it: the current one
// and the previous ones with the counter step at which each was replaced.
struct Keys {
  CookieSecret current;
  struct Retired {
    CookieSecret secret;
    uint64_t count;
  };
  std::vector<Retired> previous;  // newest first

  void rotate(const CookieSecret& next, uint64_t now_s) {
    previous.insert(previous.begin(), Retired{current, count_of(now_s)});
    if (previous.size() > Codec::kSecrets - 1) previous.resize(Codec::kSecrets - 1);
    current = next;
  }
};

CookieSecret secret_from(ByteReader& in) {
  CookieSecret s;
  s.key.k0 = in.u64();
  s.key.k1 = in.u64();
  return s;
}

// C2's oracle. `local_ip` is the codec's address.
bool encodable(const Keys& k, uint32_t local_ip, const FourTuple& t, const Segment& ack,
               uint64_t now_s) {
  if (t.local_ip != local_ip) return false;
  const uint64_t now_count = count_of(now_s);
  const Seq client_isn = ack.seq - 1;
  const Seq cookie = ack.ack - 1;
  const uint64_t age = (now_count - cookie.raw()) & 7;
  if (age > Codec::kMaxAge || age > now_count) return false;
  const uint64_t count = now_count - age;
  TcpOptions o;
  o.has_mss = true;
  o.mss = kTable[(cookie.raw() >> 3) & 7];
  auto made_by = [&](const CookieSecret& s) {
    const Codec c(s, local_ip, 0);
    return c.encode(t, client_isn, o, count * kStepS, 0).isn == cookie;
  };
  if (made_by(k.current)) return true;
  for (const Keys::Retired& r : k.previous) {
    if (count <= r.count && now_count - r.count <= Codec::kMaxAge && made_by(r.secret)) return true;
  }
  return false;
}

// What a valid cookie gives back: the MSS of its index, and with timestamps the
// options in the low bits of the TSecr (our TSval).
void check_options(const Segment& ack, const CookieOptions& co) {
  FUZZ_CHECK(co.mss == kTable[((ack.ack - 1).raw() >> 3) & 7]);
  FUZZ_CHECK(co.timestamps == ack.opts.has_timestamps);
  if (!ack.opts.has_timestamps) {
    FUZZ_CHECK(co.wscale == kNoWscale && !co.sack_permitted);
    return;
  }
  const uint8_t ws = ack.opts.ts_ecr & 0xf;
  FUZZ_CHECK(co.wscale == (ws <= kMaxWscale ? ws : kNoWscale));
  FUZZ_CHECK(co.sack_permitted == ((ack.opts.ts_ecr & 16) != 0));
}

bool same_options(const CookieOptions& a, const CookieOptions& b) {
  return a.mss == b.mss && a.wscale == b.wscale && a.sack_permitted == b.sack_permitted &&
         a.timestamps == b.timestamps;
}

// C2, C3 and C5 for ACKs all checked at `now_s`; returns validate()'s verdicts.
std::vector<Codec::Verdict> check_validate(const Codec& codec, const Keys& k, uint32_t local_ip,
                                           const std::vector<FourTuple>& tuples,
                                           const std::vector<Segment>& acks, uint64_t now_s,
                                           std::vector<CookieOptions>* opts_out = nullptr) {
  const size_t n = acks.size();
  std::vector<Codec::Verdict> verdicts(n);
  std::vector<CookieOptions> opts(n);
  for (size_t i = 0; i < n; i++) {
    const Codec::Verdict v = codec.validate(tuples[i], acks[i], now_s, opts[i]);
    verdicts[i] = v;
    static const bool trace = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (trace)
      std::fprintf(stderr, "t=%lu s: ack seq=%u ack=%u from %08x:%u to %08x:%u: %s\n",
                   static_cast<unsigned long>(now_s), acks[i].seq.raw(), acks[i].ack.raw(),
                   tuples[i].remote_ip, tuples[i].remote_port, tuples[i].local_ip,
                   tuples[i].local_port, verdict_name(v));
    FUZZ_CHECK(v == Codec::Verdict::kValid || v == Codec::Verdict::kBadHash ||
               v == Codec::Verdict::kTooOld);
    const uint32_t age_bits = static_cast<uint32_t>(count_of(now_s) - (acks[i].ack - 1).raw()) & 7;
    FUZZ_CHECK((v == Codec::Verdict::kTooOld) == (age_bits > Codec::kMaxAge));  // C3
    FUZZ_CHECK((v == Codec::Verdict::kValid) ==
               encodable(k, local_ip, tuples[i], acks[i], now_s));  // C2
    if (v == Codec::Verdict::kValid) check_options(acks[i], opts[i]);
  }
  // C5: the words of the ACKs worth hashing, one batch per variant.
  std::vector<Codec::Words> words(n);
  std::vector<size_t> which;
  std::vector<uint64_t> w0, w1;
  for (size_t i = 0; i < n; i++) {
    const bool fresh = Codec::validate_words(tuples[i], acks[i], now_s, &words[i]);
    FUZZ_CHECK(fresh == (verdicts[i] != Codec::Verdict::kTooOld));  // C3
    if (!fresh) continue;
    which.push_back(i);
    w0.push_back(words[i].w0);
    w1.push_back(words[i].w1);
  }
  for (const SipBatch& b : sip_batch_variants()) {
    if (!sip_lanes_runnable(b.lanes)) continue;
    std::vector<uint64_t> hash(which.size());
    b.hash24(codec.current_key(), w0.data(), w1.data(), hash.data(),
             static_cast<uint32_t>(which.size()));
    for (size_t j = 0; j < which.size(); j++) {
      const size_t i = which[j];
      CookieOptions co;
      const Codec::Verdict v = codec.validate(tuples[i], acks[i], now_s, co, hash[j]);
      FUZZ_CHECK(v == verdicts[i]);
      if (v == Codec::Verdict::kValid) FUZZ_CHECK(same_options(co, opts[i]));
    }
  }
  if (opts_out) *opts_out = opts;
  return verdicts;
}

FourTuple tuple_from(ByteReader& in, uint32_t local_ip) {
  FourTuple t;
  t.remote_ip = in.u32();
  // Mostly the codec's own address; sometimes another (never valid).
  const uint8_t sel = in.u8();
  t.local_ip = (sel & 0x80) ? in.u32() : local_ip;
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

// C4's expectation of the MSS index.
uint32_t expected_index(const TcpOptions& syn) {
  uint32_t mss = syn.has_mss && syn.mss != 0 ? syn.mss : 536;
  if (mss < 88) mss = 88;
  uint32_t idx = 0;
  for (uint32_t i = 0; i < 8; i++)
    if (kTable[i] <= mss) idx = i;
  return idx;
}

// C4 for one cookie.
void check_cookie(const Codec::Cookie& c, const TcpOptions& syn, uint64_t syn_s, uint32_t now_ts) {
  const uint32_t idx = expected_index(syn);
  FUZZ_CHECK(((c.isn.raw() >> 3) & 7) == idx);
  FUZZ_CHECK(Codec::mss_index(syn.has_mss && syn.mss != 0 ? syn.mss : 536) == idx);
  FUZZ_CHECK(Codec::mss_value(static_cast<uint8_t>(idx)) == kTable[idx]);
  FUZZ_CHECK((c.isn.raw() & 7) == (count_of(syn_s) & 7));
  if (syn.has_timestamps) {
    const uint32_t ws = syn.has_wscale ? (syn.wscale < 14 ? syn.wscale : 14) : 0xf;
    FUZZ_CHECK((c.ts_val & 31) == (ws | (syn.sack_permitted ? 16u : 0u)));
    const int32_t behind = static_cast<int32_t>(now_ts - c.ts_val);
    FUZZ_CHECK(behind >= 0 && behind < 32);
  } else {
    FUZZ_CHECK(c.ts_val == now_ts);
  }
}

// Flips bit `b` of one of the bits an attacker controls in the final ACK
// (SEG.SEQ, SEG.ACK) or that bind the cookie (the remote address and ports).
void tamper(uint8_t b, FourTuple& t, Segment& ack) {
  const uint32_t mask = 1u << (b & 31);
  switch ((b >> 5) % 4) {
    case 0:
      ack.seq = Seq(ack.seq.raw() ^ mask);
      break;
    case 1:
      ack.ack = Seq(ack.ack.raw() ^ mask);
      break;
    case 2:
      t.remote_ip ^= mask;
      break;
    default:
      if (mask >> 16)
        t.remote_port = static_cast<uint16_t>(t.remote_port ^ (mask >> 16));
      else
        t.local_port = static_cast<uint16_t>(t.local_port ^ mask);
  }
}

struct Syn {
  FourTuple t;
  Seq isn;
  TcpOptions opts;
  Codec::Cookie cookie;
};

void run(ByteReader& in) {
  Keys k;
  k.current = secret_from(in);
  const CookieSecret next = secret_from(in);
  const CookieSecret third = secret_from(in);
  const uint32_t local_ip = in.u32();

  // Times in seconds: the codec's start, the SYNs, up to three rotations and
  // the ACKs, in that order (an optional high offset reaches far counters).
  uint64_t now_s = in.u32();
  if (in.u8() & 1) now_s += in.u64() & ((uint64_t{1} << 56) - 1);
  Codec codec(k.current, local_ip, now_s);
  now_s += in.u16();
  const uint64_t syn_s = now_s;
  const uint32_t now_ts = in.u32();

  // A burst of SYNs: cookies one by one, and in one batch per variant (C5).
  std::vector<Syn> syns(1 + in.u8() % kMaxSyns);
  std::vector<Codec::Words> words(syns.size());
  std::vector<uint64_t> w0(syns.size()), w1(syns.size());
  for (size_t i = 0; i < syns.size(); i++) {
    Syn& s = syns[i];
    s.t = tuple_from(in, local_ip);
    s.isn = Seq(in.u32());
    s.opts = syn_options_from(in);
    s.cookie = codec.encode(s.t, s.isn, s.opts, syn_s, now_ts);
    check_cookie(s.cookie, s.opts, syn_s, now_ts);  // C4
    words[i] = Codec::encode_words(s.t, s.isn, s.opts, syn_s);
    w0[i] = words[i].w0;
    w1[i] = words[i].w1;
  }
  for (const SipBatch& b : sip_batch_variants()) {
    if (!sip_lanes_runnable(b.lanes)) continue;
    for (int in_place = 0; in_place < 2; in_place++) {
      std::vector<uint64_t> a = w0, hash(syns.size());
      uint64_t* out = in_place ? a.data() : hash.data();
      b.hash24(codec.current_key(), a.data(), w1.data(), out, static_cast<uint32_t>(syns.size()));
      for (size_t i = 0; i < syns.size(); i++) {
        const Codec::Cookie c =
            Codec::encode_from_hash(out[i], words[i], syns[i].opts, syn_s, now_ts);
        FUZZ_CHECK(c.isn == syns[i].cookie.isn && c.ts_val == syns[i].cookie.ts_val);
      }
    }
  }

  // Rotations between the SYNs and their ACKs.
  const uint8_t rot = in.u8();
  const CookieSecret* const nexts[] = {&next, &third, &next};
  for (int r = 0; r < (rot & 3); r++) {
    now_s += in.u16();
    k.rotate(*nexts[r], now_s);
    codec.rotate(*nexts[r], now_s);
  }
  now_s += in.u16() % (10 * kStepS);
  const uint64_t ack_s = now_s;

  // The ACKs of the SYNs, then tampered copies, all at ack_s.
  std::vector<FourTuple> tuples;
  std::vector<Segment> acks;
  for (const Syn& s : syns) {
    Segment ack;
    ack.flags = tcpflag::kAck;
    ack.seq = s.isn + 1;
    ack.ack = s.cookie.isn + 1;
    if (s.opts.has_timestamps) {  // RFC 7323 3.2: TSopt only when the SYN had it
      ack.opts.has_timestamps = true;
      ack.opts.ts_val = in.u32();
      ack.opts.ts_ecr = s.cookie.ts_val;
    }
    tuples.push_back(s.t);
    acks.push_back(ack);
  }
  const uint8_t n_tamper = in.u8() & 15;
  for (uint8_t i = 0; i < n_tamper; i++) {
    const uint8_t which = in.u8();
    FourTuple t2 = tuples[which % syns.size()];
    Segment a2 = acks[which % syns.size()];
    tamper(in.u8(), t2, a2);
    tuples.push_back(t2);
    acks.push_back(a2);
  }
  std::vector<CookieOptions> co;
  const std::vector<Codec::Verdict> v =
      check_validate(codec, k, local_ip, tuples, acks, ack_s, &co);

  // C1: valid within the lifetime under a kept secret.
  const uint64_t age = count_of(ack_s) - count_of(syn_s);
  bool secret_kept = true;  // the SYNs' secret is still current, or kept
  const int rotations = rot & 3;
  if (rotations > 0) {
    // The SYNs' secret retired at the first rotation, kMaxAge steps ago at most,
    // and was not pushed out of the history by the later ones.
    secret_kept = count_of(ack_s) - k.previous[rotations - 1].count <= Codec::kMaxAge &&
                  rotations <= static_cast<int>(Codec::kSecrets - 1);
  }
  for (size_t i = 0; i < syns.size(); i++) {
    if (age > Codec::kMaxAge || !secret_kept || syns[i].t.local_ip != local_ip) continue;
    FUZZ_CHECK(v[i] == Codec::Verdict::kValid);
    const Syn& s = syns[i];
    FUZZ_CHECK(co[i].mss == kTable[expected_index(s.opts)]);
    FUZZ_CHECK(co[i].timestamps == s.opts.has_timestamps);
    if (s.opts.has_timestamps) {
      const uint8_t ws = s.opts.has_wscale ? (s.opts.wscale < 14 ? s.opts.wscale : 14) : kNoWscale;
      FUZZ_CHECK(co[i].wscale == ws && co[i].sack_permitted == s.opts.sack_permitted);
    } else {
      FUZZ_CHECK(co[i].wscale == kNoWscale && !co[i].sack_permitted);
    }
  }

  // C2 for ACKs made up from the rest of the input, each at its own time.
  while (!in.empty()) {
    const bool own = (in.u8() & 1) != 0;
    const FourTuple t3 = own ? tuples[in.u8() % syns.size()] : tuple_from(in, local_ip);
    Segment a3;
    a3.flags = tcpflag::kAck;
    a3.seq = Seq(in.u32());
    a3.ack = Seq(in.u32());
    if (in.u8() & 1) {
      a3.opts.has_timestamps = true;
      a3.opts.ts_ecr = in.u32();
    }
    const uint64_t when = ack_s + in.u16() % (10 * kStepS);
    check_validate(codec, k, local_ip, {t3}, {a3}, when);
  }
}

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synack::fuzz::ByteReader in(data, size);
  synack::fuzz::run(in);
  return 0;
}
