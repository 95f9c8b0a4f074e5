// TCP option lists walked as RFC 9293 3.1 lays them out, apart from the
// engine's parser (tcp/options.cc), for fuzz_options and fuzz_frame.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tcp/options.h"

namespace synack::fuzz {

// Kind 0 ends the list, kind 1 is one byte of padding, every other kind has a
// length byte counting kind and length (>= 2) and must fit. MSS (2, length 4),
// window scale (3, length 3, RFC 7323 2.2), SACK-permitted (4, length 2, RFC
// 2018), timestamps (8, length 10, RFC 7323 3.2) and TCP-MD5 (19, length 18,
// RFC 2385 3.0) with any other length make the list malformed; other kinds are
// skipped. A later copy of an option replaces an earlier one. False: malformed.
inline bool ref_tcp_options(const uint8_t* p, size_t n, tcp::TcpOptions& o) {
  o = tcp::TcpOptions{};
  size_t i = 0;
  while (i < n) {
    const uint8_t kind = p[i];
    if (kind == 0) return true;
    if (kind == 1) {
      i++;
      continue;
    }
    if (n - i < 2) return false;
    const size_t len = p[i + 1];
    if (len < 2 || len > n - i) return false;
    const uint8_t* v = p + i + 2;
    switch (kind) {
      case 2:
        if (len != 4) return false;
        o.has_mss = true;
        o.mss = static_cast<uint16_t>(v[0] << 8 | v[1]);
        break;
      case 3:
        if (len != 3) return false;
        o.has_wscale = true;
        o.wscale = v[0];
        break;
      case 4:
        if (len != 2) return false;
        o.sack_permitted = true;
        break;
      case 8:
        if (len != 10) return false;
        o.has_timestamps = true;
        o.ts_val = uint32_t{v[0]} << 24 | uint32_t{v[1]} << 16 | uint32_t{v[2]} << 8 | v[3];
        o.ts_ecr = uint32_t{v[4]} << 24 | uint32_t{v[5]} << 16 | uint32_t{v[6]} << 8 | v[7];
        break;
      case 19:
        if (len != 18) return false;
        o.has_md5 = true;
        break;
      default:
        break;
    }
    i += len;
  }
  return true;
}

// The same set: a value only counts when its option is present.
inline bool same_tcp_options(const tcp::TcpOptions& a, const tcp::TcpOptions& b) {
  if (a.has_mss != b.has_mss || a.has_wscale != b.has_wscale ||
      a.sack_permitted != b.sack_permitted || a.has_timestamps != b.has_timestamps ||
      a.has_md5 != b.has_md5)
    return false;
  if (a.has_mss && a.mss != b.mss) return false;
  if (a.has_wscale && a.wscale != b.wscale) return false;
  if (a.has_timestamps && (a.ts_val != b.ts_val || a.ts_ecr != b.ts_ecr)) return false;
  return true;
}

}  // namespace synack::fuzz
