// Decodes the frames the engine sends into plain structs, independently of the
// engine's parser (engine/wire/frame.h, engine/tcp/segment_parse.h): every
// field read from the bytes as the RFCs lay them out, both checksums checked
// with ref_checksum.h, TCP options walked by RFC 9293 3.2.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "support/frame_builder.h"
#include "support/ref_checksum.h"

namespace synack::testing {

struct SeenOptions {
  bool malformed = false;  // a length byte < 2 or running past the header
  bool mss = false;
  uint16_t mss_value = 0;
  bool ws = false;
  uint8_t ws_value = 0;
  bool sack_perm = false;
  bool ts = false;
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
  std::vector<uint8_t> kinds;  // in order, NOP and EOL excluded
};

// RFC 9293 3.2: kinds 0 (EOL) and 1 (NOP) are one byte; every other option
// is kind, length (counting both), body.
inline SeenOptions walk_tcp_options(const uint8_t* p, size_t len) {
  SeenOptions o;
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = p[i];
    if (kind == 0) break;
    if (kind == 1) {
      i++;
      continue;
    }
    if (i + 1 >= len || p[i + 1] < 2 || p[i + 1] > len - i) {
      o.malformed = true;
      break;
    }
    const uint8_t olen = p[i + 1];
    const uint8_t* body = p + i + 2;
    o.kinds.push_back(kind);
    if (kind == 2 && olen == 4) {
      o.mss = true;
      o.mss_value = get16(body);
    } else if (kind == 3 && olen == 3) {
      o.ws = true;
      o.ws_value = body[0];
    } else if (kind == 4 && olen == 2) {
      o.sack_perm = true;
    } else if (kind == 8 && olen == 10) {
      o.ts = true;
      o.ts_val = get32(body);
      o.ts_ecr = get32(body + 4);
    }
    i += olen;
  }
  return o;
}

struct Decoded {
  bool ok = false;
  std::string error;  // why decoding stopped, when !ok
  Mac eth_dst;
  Mac eth_src;
  uint16_t ethertype = 0;
  bool arp = false;
  bool icmp = false;
  bool tcp = false;
  // ARP
  uint16_t arp_op = 0;
  Mac arp_sha;
  uint32_t arp_spa = 0;
  Mac arp_tha;
  uint32_t arp_tpa = 0;
  // IPv4
  uint8_t ip_version = 0;
  uint8_t ip_ihl = 0;  // bytes
  uint16_t ip_total = 0;
  uint16_t ip_frag = 0;
  uint8_t ip_ttl = 0;
  uint8_t ip_proto = 0;
  uint32_t ip_src = 0;
  uint32_t ip_dst = 0;
  bool ip_csum_ok = false;
  // ICMP
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;
  uint16_t icmp_seq = 0;
  bool icmp_csum_ok = false;
  // TCP
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;
  uint16_t urg = 0;
  uint8_t doff = 0;  // bytes
  bool tcp_csum_ok = false;
  SeenOptions opts;
  Bytes payload;  // TCP payload, or ICMP data after the 8-byte header

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // SEG.LEN (RFC 9293 3.4).
  uint32_t seg_len() const {
    return static_cast<uint32_t>(payload.size()) + (has(flag::kSyn) ? 1 : 0) +
           (has(flag::kFin) ? 1 : 0);
  }
};

inline Decoded decode_frame(const uint8_t* d, size_t n) {
  Decoded r;
  auto fail = [&r](const char* why) {
    r.error = why;
    return r;
  };
  if (n < 14) return fail("shorter than Ethernet");
  std::memcpy(r.eth_dst.b, d, 6);
  std::memcpy(r.eth_src.b, d + 6, 6);
  r.ethertype = get16(d + 12);
  const uint8_t* l3 = d + 14;
  const size_t l3_len = n - 14;
  if (r.ethertype == 0x0806) {
    if (l3_len < 28) return fail("short ARP");
    r.arp = true;
    r.arp_op = get16(l3 + 6);
    std::memcpy(r.arp_sha.b, l3 + 8, 6);
    r.arp_spa = get32(l3 + 14);
    std::memcpy(r.arp_tha.b, l3 + 18, 6);
    r.arp_tpa = get32(l3 + 24);
    r.ok = get16(l3) == 1 && get16(l3 + 2) == 0x0800 && l3[4] == 6 && l3[5] == 4;
    if (!r.ok) r.error = "not Ethernet/IPv4 ARP";
    return r;
  }
  if (r.ethertype != 0x0800) return fail("not IPv4 or ARP");
  if (l3_len < 20) return fail("short IPv4 header");
  r.ip_version = l3[0] >> 4;
  r.ip_ihl = static_cast<uint8_t>((l3[0] & 0xf) * 4);
  r.ip_total = get16(l3 + 2);
  r.ip_frag = get16(l3 + 6);
  r.ip_ttl = l3[8];
  r.ip_proto = l3[9];
  r.ip_src = get32(l3 + 12);
  r.ip_dst = get32(l3 + 16);
  if (r.ip_version != 4 || r.ip_ihl < 20 || r.ip_total < r.ip_ihl) return fail("bad IPv4 header");
  if (r.ip_total > l3_len) return fail("IPv4 total length past the frame");
  r.ip_csum_ok = ref_sum(l3, r.ip_ihl) == 0xffff;
  const uint8_t* l4 = l3 + r.ip_ihl;
  const size_t l4_len = r.ip_total - r.ip_ihl;
  if (r.ip_proto == 1) {
    if (l4_len < 8) return fail("short ICMP");
    r.icmp = true;
    r.icmp_type = l4[0];
    r.icmp_code = l4[1];
    r.icmp_id = get16(l4 + 4);
    r.icmp_seq = get16(l4 + 6);
    r.icmp_csum_ok = ref_sum(l4, l4_len) == 0xffff;
    r.payload.assign(l4 + 8, l4 + l4_len);
    r.ok = true;
    return r;
  }
  if (r.ip_proto != 6) return fail("neither ICMP nor TCP");
  if (l4_len < 20) return fail("short TCP header");
  r.tcp = true;
  r.sport = get16(l4);
  r.dport = get16(l4 + 2);
  r.seq = get32(l4 + 4);
  r.ack = get32(l4 + 8);
  r.doff = static_cast<uint8_t>((l4[12] >> 4) * 4);
  r.flags = l4[13];
  r.wnd = get16(l4 + 14);
  r.urg = get16(l4 + 18);
  if (r.doff < 20 || r.doff > l4_len) return fail("bad TCP data offset");
  r.tcp_csum_ok = ref_l4_csum_ok(l3, 6, l4, l4_len);
  r.opts = walk_tcp_options(l4 + 20, r.doff - 20u);
  r.payload.assign(l4 + r.doff, l4 + l4_len);
  r.ok = true;
  return r;
}

inline std::string flag_names(uint8_t f) {
  static const char* kNames[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string s;
  for (int i = 0; i < 8; i++) {
    if (!(f & (1u << i))) continue;
    if (!s.empty()) s += '|';
    s += kNames[i];
  }
  return s.empty() ? "none" : s;
}

// One line for failure messages.
inline std::string describe(const Decoded& d) {
  char buf[256];
  if (!d.ok) return "undecodable: " + d.error;
  if (d.arp) {
    std::snprintf(buf, sizeof buf, "ARP op %u spa %08x tpa %08x", d.arp_op, d.arp_spa, d.arp_tpa);
    return buf;
  }
  if (d.icmp) {
    std::snprintf(buf, sizeof buf, "ICMP type %u id %u seq %u len %zu", d.icmp_type, d.icmp_id,
                  d.icmp_seq, d.payload.size());
    return buf;
  }
  std::string o;
  if (d.opts.mss) o += " mss " + std::to_string(d.opts.mss_value);
  if (d.opts.ws) o += " ws " + std::to_string(d.opts.ws_value);
  if (d.opts.sack_perm) o += " sackOK";
  if (d.opts.ts) o += " TS " + std::to_string(d.opts.ts_val) + "/" + std::to_string(d.opts.ts_ecr);
  std::snprintf(buf, sizeof buf, "%u->%u %s seq %u ack %u win %u len %zu%s", d.sport, d.dport,
                flag_names(d.flags).c_str(), d.seq, d.ack, d.wnd, d.payload.size(), o.c_str());
  return buf;
}

}  // namespace synack::testing
