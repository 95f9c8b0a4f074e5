// TCP options we understand: MSS (RFC 9293 3.7.1), window scale and timestamps
// (RFC 7323), SACK-permitted (RFC 2018); TCP-MD5 (RFC 2385) is recognised so
// that it can be refused. Everything else is skipped by length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "wire/byteorder.h"

namespace synack::tcp {

inline constexpr uint8_t kNoWscale = 0xF;  // "peer sent no window-scale option"
inline constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3
inline constexpr size_t kMaxOptionBytes = 40;

struct TcpOptions {
  bool has_mss = false;
  bool has_wscale = false;
  bool sack_permitted = false;
  bool has_timestamps = false;
  bool has_md5 = false;  // RFC 2385 signature present (we hold no keys)
  uint16_t mss = 0;
  uint8_t wscale = 0;  // as received; callers clamp to kMaxWscale
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
};

// Parses the option bytes between the fixed header and the data offset.
// Returns false when the list is malformed (length byte < 2, option running past
// the end, a known option with the wrong length); the segment is then dropped.
// Inline below: the layouts Linux sends, then the general walk.
bool parse_options(const uint8_t* p, size_t len, TcpOptions& out);

// The general walk of parse_options(), into a zeroed `out`.
bool parse_options_walk(const uint8_t* p, size_t len, TcpOptions& out);

// Writes the options set in `o` in the layout Linux uses (MSS, SACK_PERM+TS or
// NOP,NOP,TS, NOP+WS), padded with NOPs to a multiple of 4. Returns the byte count
// (<= kMaxOptionBytes).
// With `be_sum`, also returns the sum of the written bytes as big-endian
// 16-bit words (unfolded), for a checksum that must not read them back.
size_t write_options(uint8_t* p, const TcpOptions& o, uint32_t* be_sum = nullptr);

// Byte count write_options() would produce, without writing.
size_t options_length(const TcpOptions& o);

namespace options_detail {

// The layouts Linux sends, recognised by their fixed bytes: the SYN's
// MSS,SACK_PERM,TS,NOP,WS and every later segment's NOP,NOP,TS. The generic
// walk costs ~140 instructions per SYN (callgrind, bench_synack_path); these
// cost ~20.
inline bool parse_linux_layout(const uint8_t* p, size_t len, TcpOptions& out) {
  if (len == 20) {
    uint64_t head;  // 02 04 m m 04 02 08 0a
    std::memcpy(&head, p, 8);
    uint32_t tail;  // 01 03 03 s
    std::memcpy(&tail, p + 16, 4);
    if ((head & 0xffffffff0000ffffull) != 0x0a08020400000402ull ||
        (tail & 0x00ffffffu) != 0x00030301u)
      return false;
    out.has_mss = true;
    out.mss = wire::load_be16(p + 2);
    out.sack_permitted = true;
    out.has_timestamps = true;
    out.ts_val = wire::load_be32(p + 8);
    out.ts_ecr = wire::load_be32(p + 12);
    out.has_wscale = true;
    out.wscale = p[19];
    return true;
  }
  if (len == 12 && wire::load_be32(p) == 0x0101080au) {
    out.has_timestamps = true;
    out.ts_val = wire::load_be32(p + 4);
    out.ts_ecr = wire::load_be32(p + 8);
    return true;
  }
  return false;
}

}  // namespace options_detail

inline bool parse_options(const uint8_t* p, size_t len, TcpOptions& out) {
  out = TcpOptions{};
  if (options_detail::parse_linux_layout(p, len, out)) return true;
  return parse_options_walk(p, len, out);
}

}  // namespace synack::tcp
