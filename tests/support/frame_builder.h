// Test frames built byte by byte from the RFCs, independently of the engine's
// writers (engine/wire/craft.h, engine/tcp/segment_write.h): Ethernet II,
// ARP (RFC 826), IPv4 with any option bytes (RFC 791), ICMP echo (RFC 792)
// and TCP with any option bytes and payload (RFC 9293 3.1), checksums from
// ref_checksum.h. Every field can be set to a wrong value on purpose.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "support/ref_checksum.h"

namespace synack::testing {

using Bytes = std::vector<uint8_t>;

struct Mac {
  uint8_t b[6] = {};
  friend bool operator==(const Mac&, const Mac&) = default;
};

inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}
inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t{get16(p)} << 16 | get16(p + 2);
}

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// TCP flag bits (RFC 9293 3.1, RFC 3168 for ECE/CWR).
namespace flag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace flag

// TCP option bytes (RFC 9293 3.2, RFC 7323, RFC 2018, RFC 2385), and the
// layouts real stacks put on their SYNs.
namespace opt {
inline Bytes eol() {
  return {0};
}
inline Bytes nop() {
  return {1};
}
inline Bytes mss(uint16_t v) {
  return {2, 4, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
inline Bytes ws(uint8_t shift) {
  return {3, 3, shift};
}
inline Bytes sack_perm() {
  return {4, 2};
}
inline Bytes ts(uint32_t val, uint32_t ecr) {
  Bytes b = {8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  put32(&b[2], val);
  put32(&b[6], ecr);
  return b;
}
// RFC 2385 TCP-MD5 signature: kind 19, length 18, a 16-byte digest.
inline Bytes md5() {
  Bytes b(18, 0xa5);
  b[0] = 19;
  b[1] = 18;
  return b;
}
inline Bytes raw(std::initializer_list<uint8_t> v) {
  return Bytes(v);
}

// Linux: MSS, SACK_PERM, TS, NOP, WS (20 bytes).
inline Bytes linux_syn(uint32_t ts_val, uint32_t ts_ecr = 0, uint16_t mss_v = 1460,
                       uint8_t shift = 7) {
  return mss(mss_v) + sack_perm() + ts(ts_val, ts_ecr) + nop() + ws(shift);
}
// Windows 10/11 without timestamps: MSS, NOP, WS, NOP, NOP, SACK_PERM (12 bytes).
inline Bytes windows_syn(uint16_t mss_v = 1460, uint8_t shift = 8) {
  return mss(mss_v) + nop() + ws(shift) + nop() + nop() + sack_perm();
}
// macOS: MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL, EOL (24 bytes).
inline Bytes macos_syn(uint32_t ts_val, uint16_t mss_v = 1460, uint8_t shift = 6) {
  return mss(mss_v) + nop() + ws(shift) + nop() + nop() + ts(ts_val, 0) + sack_perm() + eol() +
         eol();
}
// NOP, NOP, TS: every segment after the SYN on a connection with timestamps.
inline Bytes ts_only(uint32_t val, uint32_t ecr) {
  return nop() + nop() + ts(val, ecr);
}
}  // namespace opt

// A TCP header with options and payload. The data offset is the options'
// length rounded up to whole words (padded with zeros, i.e. EOL) unless
// `doff_words` says otherwise.
struct TcpSpec {
  TcpSpec() = default;
  TcpSpec(uint16_t sp, uint16_t dp, uint32_t sq, uint32_t ak, uint8_t fl, uint16_t w = 65535)
      : sport(sp), dport(dp), seq(sq), ack(ak), flags(fl), wnd(w) {}

  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 65535;
  uint16_t urg = 0;
  Bytes opts;
  Bytes payload;
  int doff_words = -1;

  Bytes bytes() const {
    const size_t opt_words = (opts.size() + 3) / 4;
    Bytes t(20 + 4 * opt_words, 0);
    put16(&t[0], sport);
    put16(&t[2], dport);
    put32(&t[4], seq);
    put32(&t[8], ack);
    const int doff = doff_words >= 0 ? doff_words : static_cast<int>(5 + opt_words);
    t[12] = static_cast<uint8_t>((doff & 0xf) << 4);
    t[13] = flags;
    put16(&t[14], wnd);
    put16(&t[18], urg);
    if (!opts.empty()) std::memcpy(t.data() + 20, opts.data(), opts.size());
    t.insert(t.end(), payload.begin(), payload.end());
    return t;
  }
};

// Ethernet II + IPv4 (any options) + an L4 payload whose checksum build()
// fills in, or ARP (arp_frame below).
struct FrameBuilder {
  Mac dst_mac;
  Mac src_mac;
  uint16_t ethertype = 0x0800;
  uint8_t version = 4;
  int ihl_words = -1;  // -1: from the option bytes
  uint8_t tos = 0;
  uint16_t id = 0;
  uint16_t frag = 0x4000;  // DF
  uint8_t ttl = 64;
  uint8_t proto = 6;
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  Bytes ip_opts;         // padded with zeros (EOL) to whole words
  int total_len = -1;    // -1: header + L4
  Bytes l4;              // segment with a zero checksum field
  int l4_csum_off = -1;  // where the L4 checksum goes (-1: none)
  bool corrupt_ip_csum = false;
  bool corrupt_l4_csum = false;
  size_t pad = 0;  // Ethernet padding after the IPv4 datagram

  FrameBuilder& tcp(const TcpSpec& s) {
    proto = 6;
    l4 = s.bytes();
    l4_csum_off = 16;
    return *this;
  }
  // ICMP echo request (type 8) or any other type/code, RFC 792.
  FrameBuilder& icmp(uint16_t ident, uint16_t sequence, const Bytes& data, uint8_t type = 8,
                     uint8_t code = 0) {
    proto = 1;
    l4 = {type, code, 0, 0, 0, 0, 0, 0};
    put16(&l4[4], ident);
    put16(&l4[6], sequence);
    l4.insert(l4.end(), data.begin(), data.end());
    l4_csum_off = 2;
    return *this;
  }
  FrameBuilder& raw_l4(uint8_t protocol, const Bytes& bytes) {
    proto = protocol;
    l4 = bytes;
    l4_csum_off = -1;
    return *this;
  }

  Bytes build() const {
    Bytes f(14);
    std::memcpy(&f[0], dst_mac.b, 6);
    std::memcpy(&f[6], src_mac.b, 6);
    put16(&f[12], ethertype);
    const size_t opt_words = (ip_opts.size() + 3) / 4;
    Bytes ip(20 + 4 * opt_words, 0);
    const int ihl = ihl_words >= 0 ? ihl_words : static_cast<int>(5 + opt_words);
    ip[0] = static_cast<uint8_t>(version << 4 | (ihl & 0xf));
    ip[1] = tos;
    put16(&ip[2], static_cast<uint16_t>(total_len >= 0 ? total_len : ip.size() + l4.size()));
    put16(&ip[4], id);
    put16(&ip[6], frag);
    ip[8] = ttl;
    ip[9] = proto;
    put32(&ip[12], src_ip);
    put32(&ip[16], dst_ip);
    if (!ip_opts.empty()) std::memcpy(ip.data() + 20, ip_opts.data(), ip_opts.size());
    uint16_t c = ref_csum(ip.data(), ip.size());
    if (corrupt_ip_csum) c ^= 0x0101;
    put16(&ip[10], c);
    Bytes seg = l4;
    if (l4_csum_off >= 0 && seg.size() >= static_cast<size_t>(l4_csum_off) + 2) {
      uint16_t lc = proto == 1 ? ref_csum(seg.data(), seg.size())
                               : ref_l4_csum(ip.data(), proto, seg.data(), seg.size());
      if (corrupt_l4_csum) lc ^= 0x0101;
      put16(&seg[static_cast<size_t>(l4_csum_off)], lc);
    }
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), seg.begin(), seg.end());
    f.resize(f.size() + pad, 0);
    return f;
  }
};

// RFC 826 ARP over Ethernet: every field explicit.
struct ArpSpec {
  Mac eth_dst{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  Mac eth_src;
  uint16_t htype = 1;
  uint16_t ptype = 0x0800;
  uint8_t hlen = 6;
  uint8_t plen = 4;
  uint16_t op = 1;  // 1 request, 2 reply
  Mac sha;
  uint32_t spa = 0;
  Mac tha;
  uint32_t tpa = 0;
  size_t pad = 0;

  Bytes build() const {
    Bytes b(42 + pad, 0);
    std::memcpy(&b[0], eth_dst.b, 6);
    std::memcpy(&b[6], eth_src.b, 6);
    put16(&b[12], 0x0806);
    uint8_t* a = &b[14];
    put16(a, htype);
    put16(a + 2, ptype);
    a[4] = hlen;
    a[5] = plen;
    put16(a + 6, op);
    std::memcpy(a + 8, sha.b, 6);
    put32(a + 14, spa);
    std::memcpy(a + 18, tha.b, 6);
    put32(a + 24, tpa);
    return b;
  }
};

}  // namespace synack::testing
