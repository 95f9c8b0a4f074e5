// wire::parse_frame, tcp::parse_segment and the runtime's fast classifier
// (runtime/rx_classifier.h) over arbitrary bytes, under many ParseContexts.
//
// The whole input is the frame. The contexts are derived from it, so that a
// mutated frame keeps reaching the deep checks: our MAC is the frame's
// destination MAC or another one; our addresses are its destination IP, a
// range from its source to its destination, a fixed address or its source IP
// (a land attack, an ARP conflict); the directed broadcast is 0 or its source;
// frames to other MACs are refused or accepted (replays); and each checksum is
// left to parse_frame or taken as verified by the NIC.
//
// Invariants (each one a FUZZ_CHECK below):
//  F1  No crash and no sanitizer report, whatever the bytes (libFuzzer hands
//      the harness an exactly sized heap copy, so ASan sees any over-read).
//  F2  parse_frame accepts exactly what reference_parse accepts, written from
//      IEEE 802.3 3.2.3, RFC 826, RFC 5227 2.4, RFC 791 3.1 (options as Linux's
//      ip_options_compile checks them), RFC 792, RFC 1122 3.2.1.3/3.3.6 and
//      Linux's martian-source rules, RFC 9293 3.1; a rejection names one of the
//      reasons that apply to the frame (the order in which a parser meets two
//      faults is its own), except where an RFC decides (an ARP conflict,
//      RFC 5227 2.4, is reported whatever the ARP's target); on kOk the frame's
//      fields are the reference's.
//  F3  tcp::parse_segment of an accepted TCP frame agrees with a reference
//      reading of RFC 9293 3.1 (data offset, option list, RFC 2385 MD5 refused):
//      same verdict and, on kNone, the same fields and payload pointer.
//  F4  A checksum the NIC verified is not checked again, so each verified flag
//      can only turn a rejection into kOk, never the reverse, and never changes
//      the fields of an accepted frame.
//  F5  RxClassifier::parse takes a frame only when parse_frame and
//      parse_segment take it too, with the same fields; and it takes every
//      frame of its class (option-less IPv4 carrying TCP) that they take.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_input.h"
#include "ref_tcp_options.h"
#include "rfc1071.h"
#include "runtime/rx_classifier.h"
#include "tcp/segment.h"
#include "tcp/segment_parse.h"
#include "wire/byteorder.h"
#include "wire/frame.h"

namespace synack::fuzz {
namespace {

using wire::Frame;
using wire::FrameKind;
using wire::MacAddr;
using wire::ParseContext;
using wire::ParseError;

// ---- the reference ---------------------------------------------------------------

// The reasons that apply to a frame, as a set of ParseError bits.
struct RefVerdict {
  uint32_t reasons = 0;
  ParseError decided = ParseError::kOk;  // kOk, or the one reason an RFC requires
  Frame f;
  void add(ParseError e) { reasons |= 1u << static_cast<unsigned>(e); }
  bool has(ParseError e) const { return (reasons >> static_cast<unsigned>(e)) & 1; }
  bool ok() const { return reasons == 0; }
};
static_assert(wire::kNumParseErrors <= 32);

bool group(const MacAddr& m) {
  return (m.b[0] & 1) != 0;
}

bool ours(uint32_t ip, const ParseContext& pc) {
  if (pc.our_ip_last <= pc.our_ip) return ip == pc.our_ip;
  return ip >= pc.our_ip && ip <= pc.our_ip_last;
}

// RFC 1122 3.2.1.3: {0, 0} and {0, host} only while a host learns its own
// address, {127, any} never outside a host, a broadcast (limited or directed)
// never as a source; RFC 1112 4: a group address never as a source; frame.h
// also refuses the reserved 240/4 (Linux takes it, all but 255.255.255.255).
// Linux's fib_validate_source: our own address as the source is a martian.
bool martian(uint32_t src, const ParseContext& pc) {
  const uint32_t top = src >> 24;
  if (top == 0 || top == 127) return true;
  if (src >= 0xE0000000u) return true;  // 224/4 multicast, 240/4 reserved, 255.255.255.255
  if (ours(src, pc)) return true;
  return pc.our_broadcast != 0 && src == pc.our_broadcast;
}

// RFC 791 3.1 options as Linux's __ip_options_compile checks a received header
// (net/ipv4/ip_options.c), then ip_rcv_options: every option inside the header
// with a length of at least 2; one LSRR/SSRR, one RR and one TS at most; route
// pointers at least 4, an RR pointer inside the option leaving room for a whole
// address; a TS of length >= 4, pointer >= 5, room for the next entry (8 bytes
// with an address), and an overflow count short of 15 once full; router alert
// of length >= 4; CIPSO refused (CONFIG_NETLABEL without a DOI, as Debian
// ships: cipso_v4_validate finds no DOI). A well-formed list with a source
// route is then dropped (accept_source_route = 0, a host's default).
// `*srr_seen` says whether the walk met a source route with a sane length: a
// parser that refuses it there has a true reason too, whatever follows.
ParseError linux_ip_options(const uint8_t* o, size_t len, bool* srr_seen) {
  constexpr uint8_t kEol = 0, kNop = 1, kRr = 7, kTs = 68, kLsrr = 131, kSsrr = 137;
  constexpr uint8_t kCipso = 134, kRa = 148;
  bool srr = false, rr = false, ts = false;
  size_t i = 0;
  while (i < len) {
    const uint8_t* p = o + i;
    if (p[0] == kEol) break;
    if (p[0] == kNop) {
      i++;
      continue;
    }
    const size_t left = len - i;
    if (left < 2) return ParseError::kBadIpOptions;
    const size_t olen = p[1];
    if (olen < 2 || olen > left) return ParseError::kBadIpOptions;
    switch (p[0]) {
      case kLsrr:
      case kSsrr:
        *srr_seen = true;
        if (olen < 3 || p[2] < 4 || srr) return ParseError::kBadIpOptions;
        srr = true;
        break;
      case kRr:
        if (rr || olen < 3 || p[2] < 4) return ParseError::kBadIpOptions;
        if (p[2] <= olen && p[2] + 3u > olen) return ParseError::kBadIpOptions;
        rr = true;
        break;
      case kTs: {
        if (ts || olen < 4 || p[2] < 5) return ParseError::kBadIpOptions;
        const uint8_t flag = p[3] & 0xf;
        if (p[2] <= olen) {
          if (p[2] + 3u > olen) return ParseError::kBadIpOptions;
          // IPOPT_TS_TSANDADDR (1) and IPOPT_TS_PRESPEC (3): address and time.
          if ((flag == 1 || flag == 3) && p[2] + 7u > olen) return ParseError::kBadIpOptions;
        } else if (flag != 3 && (p[3] >> 4) == 15) {
          return ParseError::kBadIpOptions;  // the overflow count would wrap
        }
        ts = true;
        break;
      }
      case kRa:
        if (olen < 4) return ParseError::kBadIpOptions;
        break;
      case kCipso:
        return ParseError::kBadIpOptions;
      default:
        break;  // security, stream id and unknown kinds: skipped by length
    }
    i += olen;
  }
  return srr ? ParseError::kIpSourceRoute : ParseError::kOk;
}

void ref_arp(const uint8_t* a, size_t len, const ParseContext& pc, RefVerdict& v) {
  if (len < 28) return v.add(ParseError::kTruncated);
  const uint16_t op = be16(a + 6);
  // RFC 826: Ethernet (1) hardware, IPv4 protocol, 6- and 4-byte addresses,
  // request (1) or reply (2).
  if (be16(a) != 1 || be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 || (op != 1 && op != 2))
    return v.add(ParseError::kBadArp);
  v.f.kind = op == 1 ? FrameKind::kArpRequest : FrameKind::kArpReply;
  v.f.src_ip = be32(a + 14);
  v.f.dst_ip = be32(a + 24);
  MacAddr sha;
  for (int i = 0; i < 6; i++) sha.b[i] = a[8 + i];
  // RFC 5227 2.4: any ARP whose sender address is ours but whose sender MAC is
  // not is a conflict, whatever it asks; it is never answered.
  const bool conflict = ours(v.f.src_ip, pc) && !(sha == pc.our_mac);
  if (conflict) {
    v.add(ParseError::kArpConflict);
    if (v.reasons == (1u << static_cast<unsigned>(ParseError::kArpConflict)))
      v.decided = ParseError::kArpConflict;  // no link-layer fault came first
  }
  // RFC 5227 2.1.1: sender 0.0.0.0 is a probe; otherwise the sender must be
  // a host that can be a neighbour.
  if (v.f.src_ip != 0 && martian(v.f.src_ip, pc)) v.add(ParseError::kArpMartian);
  // RFC 826: the reply goes to the sender hardware address and the neighbour
  // is learnt from it (Linux's neigh_update), so it must be a unicast one.
  if (group(sha) || sha == MacAddr{}) v.add(ParseError::kArpMartian);
  v.f.src_mac = sha;
  if (!ours(v.f.dst_ip, pc)) v.add(ParseError::kNotForUs);
}

void ref_ipv4(const uint8_t* ip, size_t len, const ParseContext& pc, RefVerdict& v) {
  if (len < 20) return v.add(ParseError::kTruncated);
  // RFC 791 3.1: version 4, IHL >= 5 words, total length covering the header
  // and inside the frame (Ethernet padding after it is allowed).
  const size_t ihl = (ip[0] & 0xf) * 4u;
  const size_t total = be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20) return v.add(ParseError::kBadIpHeader);
  const uint32_t before = v.reasons;
  if (total < ihl) v.add(ParseError::kBadIpHeader);
  if (ihl > len || total > len) v.add(ParseError::kTruncated);
  if (v.reasons != before) return;  // no header to read further
  // RFC 1122 3.2.1.2: a datagram with a bad header checksum is discarded.
  if (!pc.ip_csum_verified && !sum_ok(ones_sum(ip, ihl))) v.add(ParseError::kBadIpChecksum);
  if (ihl > 20) {
    bool srr_seen = false;
    const ParseError o = linux_ip_options(ip + 20, ihl - 20, &srr_seen);
    if (o != ParseError::kOk) v.add(o);
    if (srr_seen) v.add(ParseError::kIpSourceRoute);
  }
  if ((be16(ip + 6) & 0x3fff) != 0) v.add(ParseError::kFragment);  // MF or an offset
  v.f.src_ip = be32(ip + 12);
  v.f.dst_ip = be32(ip + 16);
  // RFC 1122 3.3.6: a unicast datagram that came as a link-layer broadcast or
  // multicast is discarded (Linux: TCP takes PACKET_HOST only).
  if (!ours(v.f.dst_ip, pc) || group(v.f.dst_mac)) v.add(ParseError::kNotForUs);
  if (martian(v.f.src_ip, pc)) v.add(ParseError::kMartianSource);
  v.f.l4_off = static_cast<uint16_t>(14 + ihl);
  v.f.l4_len = static_cast<uint16_t>(total - ihl);
  const uint8_t* l4 = ip + ihl;
  const size_t l4_len = total - ihl;
  switch (ip[9]) {
    case 1:  // RFC 792: echo request, type 8 code 0, an 8-byte header
      v.f.kind = FrameKind::kIcmpEcho;
      if (l4_len < 8 || l4[0] != 8 || l4[1] != 0) return v.add(ParseError::kBadIcmp);
      if (!pc.l4_csum_verified && !sum_ok(ones_sum(l4, l4_len)))
        v.add(ParseError::kBadIcmpChecksum);
      return;
    case 6:  // RFC 9293 3.1: a 20-byte header, the checksum over the pseudo-header
      v.f.kind = FrameKind::kTcp;
      if (l4_len < 20) return v.add(ParseError::kTruncated);
      if (!pc.l4_csum_verified && !sum_ok(ones_sum(l4, l4_len, tcp_pseudo_sum(ip, l4_len))))
        v.add(ParseError::kBadTcpChecksum);
      return;
    default:
      return v.add(ParseError::kUnsupportedProtocol);
  }
}

RefVerdict reference_parse(const uint8_t* d, size_t n, const ParseContext& pc) {
  RefVerdict v;
  if (n < 14) {
    v.add(ParseError::kTruncated);
    return v;
  }
  for (int i = 0; i < 6; i++) {
    v.f.dst_mac.b[i] = d[i];
    v.f.src_mac.b[i] = d[6 + i];
  }
  v.f.l3_off = 14;
  // IEEE 802.3 3.2.3: a source address is an individual address; all-zero
  // names no station. Nothing can be sent back to either.
  const bool zero_src = (d[6] | d[7] | d[8] | d[9] | d[10] | d[11]) == 0;
  if (group(v.f.src_mac) || zero_src) v.add(ParseError::kBadSourceMac);
  // Unicast to another station (Linux PACKET_OTHERHOST, dropped by IP and ARP).
  if (!group(v.f.dst_mac) && !(v.f.dst_mac == pc.our_mac) && !pc.accept_other_host)
    v.add(ParseError::kOtherHost);
  switch (be16(d + 12)) {
    case 0x0806:
      ref_arp(d + 14, n - 14, pc, v);
      break;
    case 0x0800:
      ref_ipv4(d + 14, n - 14, pc, v);
      break;
    default:  // VLAN tags included: a port that strips none hands us none
      v.add(ParseError::kUnsupportedEthertype);
  }
  return v;
}

// F3's reference: RFC 9293 3.1 data offset (5..15 words, inside the segment),
// the option list, and RFC 2385's MD5 option refused (we hold no key).
tcp::Drop reference_segment(const uint8_t* l4, size_t l4_len, tcp::Segment& s) {
  const size_t doff = (l4[12] >> 4) * 4u;
  if (doff < 20 || doff > l4_len) return tcp::Drop::kBadTcpHeader;
  s.src_port = be16(l4);
  s.dst_port = be16(l4 + 2);
  s.seq = tcp::Seq(be32(l4 + 4));
  s.ack = tcp::Seq(be32(l4 + 8));
  s.flags = l4[13];
  s.wnd = be16(l4 + 14);
  s.payload_len = static_cast<uint32_t>(l4_len - doff);
  s.payload = l4 + doff;
  if (!ref_tcp_options(l4 + 20, doff - 20, s.opts)) return tcp::Drop::kBadTcpOptions;
  if (s.opts.has_md5) return tcp::Drop::kTcpMd5Unexpected;
  return tcp::Drop::kNone;
}

// ---- comparisons ------------------------------------------------------------------

bool same_frame(const Frame& a, const Frame& b) {
  if (a.kind != b.kind || !(a.src_mac == b.src_mac) || !(a.dst_mac == b.dst_mac) ||
      a.l3_off != b.l3_off || a.src_ip != b.src_ip || a.dst_ip != b.dst_ip)
    return false;
  if (a.kind == FrameKind::kArpRequest || a.kind == FrameKind::kArpReply) return true;
  return a.l4_off == b.l4_off && a.l4_len == b.l4_len;
}

bool same_segment(const tcp::Segment& a, const tcp::Segment& b) {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && a.seq == b.seq && a.ack == b.ack &&
         a.flags == b.flags && a.wnd == b.wnd && a.payload_len == b.payload_len &&
         a.payload == b.payload && same_tcp_options(a.opts, b.opts);
}

// Everything an accepted frame points at is inside the input.
void check_bounds(const Frame& f, size_t n) {
  FUZZ_CHECK(f.l3_off == 14);
  if (f.kind == FrameKind::kArpRequest || f.kind == FrameKind::kArpReply) {
    FUZZ_CHECK(size_t{f.l3_off} + 28 <= n);
    return;
  }
  FUZZ_CHECK(f.l4_off >= f.l3_off + 20 && f.l4_off <= f.l3_off + 60);
  FUZZ_CHECK(size_t{f.l4_off} + f.l4_len <= n);
  FUZZ_CHECK(f.l4_len >= (f.kind == FrameKind::kTcp ? 20 : 8));
}

// ---- the contexts --------------------------------------------------------------------

constexpr MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x02}};
constexpr MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x03}};
constexpr uint32_t kFixedIp = 0xC6120002;  // 198.18.0.2

constexpr int kContexts = 16;

ParseContext context_for(const uint8_t* d, size_t n, int c) {
  ParseContext pc;
  MacAddr dst;
  uint32_t dst_ip = kFixedIp, src_ip = 0xC6120001;
  if (n >= 14)
    for (int i = 0; i < 6; i++) dst.b[i] = d[i];
  if (n >= 34 && be16(d + 12) == 0x0800) {
    src_ip = be32(d + 26);
    dst_ip = be32(d + 30);
  } else if (n >= 42 && be16(d + 12) == 0x0806) {
    src_ip = be32(d + 28);  // ARP sender and target protocol addresses
    dst_ip = be32(d + 38);
  }
  // Bit 0: our MAC is the frame's destination (when unicast), or another one.
  const MacAddr other = dst == kMacA ? kMacB : kMacA;
  pc.our_mac = (c & 1) && !group(dst) ? dst : other;
  switch ((c >> 1) & 3) {
    case 0:
      pc.our_ip = dst_ip;
      break;
    case 1:  // a client's --src_ips range spanning both addresses
      pc.our_ip = src_ip < dst_ip ? src_ip : dst_ip;
      pc.our_ip_last = src_ip < dst_ip ? dst_ip : src_ip;
      break;
    case 2:
      pc.our_ip = kFixedIp;
      break;
    default:  // the source is ours: a land attack, an ARP conflict
      pc.our_ip = src_ip;
      break;
  }
  if (c & 8) {
    pc.our_broadcast = src_ip;
    pc.accept_other_host = true;
  }
  return pc;
}

void trace(const ParseContext& pc, ParseError e, const RefVerdict& r) {
  static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
  if (!on) return;
  std::fprintf(stderr,
               "mac=%02x:%02x:%02x:%02x:%02x:%02x ip=%08x..%08x bcast=%08x other_host=%d "
               "ip_csum_verified=%d l4_csum_verified=%d: parse_frame %s, reference",
               pc.our_mac.b[0], pc.our_mac.b[1], pc.our_mac.b[2], pc.our_mac.b[3], pc.our_mac.b[4],
               pc.our_mac.b[5], pc.our_ip, pc.our_ip_last, pc.our_broadcast, pc.accept_other_host,
               pc.ip_csum_verified, pc.l4_csum_verified, wire::parse_error_name(e));
  if (r.ok()) std::fprintf(stderr, " ok");
  for (int i = 1; i < wire::kNumParseErrors; i++)
    if ((r.reasons >> i) & 1) std::fprintf(stderr, " %s", wire::parse_error_name(ParseError(i)));
  if (r.decided != ParseError::kOk)
    std::fprintf(stderr, " (decided: %s)", wire::parse_error_name(r.decided));
  std::fprintf(stderr, "\n");
}

// F2, F3, F5 under one context; returns parse_frame's verdict and frame.
ParseError check_one(const uint8_t* d, size_t n, const ParseContext& pc, Frame& f) {
  const ParseError e = wire::parse_frame(d, static_cast<uint32_t>(n), pc, f);
  FUZZ_CHECK(static_cast<int>(e) < wire::kNumParseErrors);
  const RefVerdict ref = reference_parse(d, n, pc);
  trace(pc, e, ref);
  FUZZ_CHECK((e == ParseError::kOk) == ref.ok());  // F2
  if (e != ParseError::kOk) {
    FUZZ_CHECK(ref.has(e));
    if (ref.decided != ParseError::kOk) FUZZ_CHECK(e == ref.decided);
  } else {
    FUZZ_CHECK(same_frame(f, ref.f));
    check_bounds(f, n);
  }

  // F3.
  tcp::Segment seg, ref_seg;
  tcp::Drop drop = tcp::Drop::kNone;
  const bool tcp_ok = e == ParseError::kOk && f.kind == FrameKind::kTcp;
  if (tcp_ok) {
    drop = tcp::parse_segment(d + f.l4_off, f.l4_len, seg);
    const tcp::Drop ref_drop = reference_segment(d + f.l4_off, f.l4_len, ref_seg);
    FUZZ_CHECK(drop == ref_drop);
    if (drop == tcp::Drop::kNone) FUZZ_CHECK(same_segment(seg, ref_seg));
  }

  // F5. The data path's classifier says what the general parsers say:
  // without plain SYNs, kTcp exactly for option-less IPv4 segments they take,
  // filled alike; with them, a plain SYN comes out reduced (reduce_syn() of
  // the parsed segment) and the first pass's plain_syn() agrees.
  runtime::RxClassifier rx;
  rx.init(pc);
  const bool full = tcp_ok && drop == tcp::Drop::kNone;
  const bool common = full && f.l4_off == 14 + 20;
  const bool plain = common &&
                     (seg.flags & (tcp::tcpflag::kFin | tcp::tcpflag::kSyn | tcp::tcpflag::kRst |
                                   tcp::tcpflag::kAck)) == tcp::tcpflag::kSyn &&
                     seg.payload_len == 0;
  const tcp::FourTuple ref_key{f.src_ip, f.dst_ip, seg.src_port, seg.dst_port};
  const auto len = static_cast<uint32_t>(n);
  for (const bool plain_syns : {false, true}) {
    Frame rf;
    tcp::Segment rs;
    tcp::FourTuple key;
    runtime::PlainSyn syn;
    const runtime::RxKind k =
        rx.classify(d, len, pc.ip_csum_verified, pc.l4_csum_verified, plain_syns, key, syn, rf, rs);
    const bool reduced = plain_syns && plain;
    FUZZ_CHECK((k == runtime::RxKind::kPlainSyn) == reduced);
    FUZZ_CHECK((k == runtime::RxKind::kTcp) == (common && !reduced));
    if (k == runtime::RxKind::kTcp) FUZZ_CHECK(same_frame(rf, f) && same_segment(rs, seg));
    if (k != runtime::RxKind::kOther) FUZZ_CHECK(key == ref_key);
    if (k == runtime::RxKind::kPlainSyn) {
      const runtime::PlainSyn want = runtime::reduce_syn(seg.seq, seg.opts);
      FUZZ_CHECK(syn.isn == want.isn && syn.ts_val == want.ts_val &&
                 syn.mss_index == want.mss_index && syn.ts_bits == want.ts_bits &&
                 syn.shape == want.shape);
    }
  }
  int calls = 0;
  const bool taken = rx.plain_syn(d, len, pc.ip_csum_verified, pc.l4_csum_verified,
                                  [&](const tcp::FourTuple& k2, const runtime::PlainSyn&) {
                                    calls++;
                                    FUZZ_CHECK(k2 == ref_key);
                                  });
  FUZZ_CHECK(taken == plain && calls == (plain ? 1 : 0));
  return e;
}

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace synack::fuzz;
  if (size > 0xffff) return 0;  // longer than any Ethernet frame a port hands us
  for (int c = 0; c < kContexts; c++) {
    ParseContext pc = context_for(data, size, c);
    Frame plain;  // no checksum verified by a NIC: the strictest parse
    const ParseError plain_e = check_one(data, size, pc, plain);
    for (int v = 1; v < 4; v++) {
      pc.ip_csum_verified = (v & 1) != 0;
      pc.l4_csum_verified = (v & 2) != 0;
      Frame f;
      const ParseError e = check_one(data, size, pc, f);
      // F4.
      if (e != ParseError::kOk) FUZZ_CHECK(plain_e != ParseError::kOk);
      if (e == ParseError::kOk && plain_e == ParseError::kOk) FUZZ_CHECK(same_frame(f, plain));
    }
  }
  return 0;
}
