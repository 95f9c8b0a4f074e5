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
// Inline below: the layouts common stacks send, then the general walk.
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

using wire::load_ne32;
using wire::load_ne64;

// The layouts common stacks send, recognised by their fixed bytes (compared
// as little-endian words, byte i of a word at bits 8i..8i+7): SYNs of Linux
// (MSS, SACK_PERM, TS, NOP, WS), Windows (MSS, NOP, WS, NOP, NOP, SACK_PERM)
// and macOS (MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL), and every later
// Linux segment's NOP,NOP,TS. Each takes exactly its length and gives what
// the walk gives, into a zeroed `out` (a test compares them over random
// variable bytes). The walk costs ~140 instructions per SYN (callgrind,
// bench_synack_path); these ~20.

// 02 04 m m 04 02 08 0a | tsval | tsecr | 01 03 03 ws
inline bool parse_linux_syn(const uint8_t* p, TcpOptions& out) {
  if ((load_ne64(p) & 0xffffffff0000ffffull) != 0x0a08020400000402ull ||
      (load_ne32(p + 16) & 0x00ffffffu) != 0x00030301u)
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

// 02 04 m m 01 03 03 ws | 01 01 04 02
inline bool parse_windows_syn(const uint8_t* p, TcpOptions& out) {
  if ((load_ne64(p) & 0x00ffffff0000ffffull) != 0x0003030100000402ull ||
      load_ne32(p + 8) != 0x02040101u)
    return false;
  out.has_mss = true;
  out.mss = wire::load_be16(p + 2);
  out.has_wscale = true;
  out.wscale = p[7];
  out.sack_permitted = true;
  return true;
}

// 02 04 m m 01 03 03 ws | 01 01 08 0a | tsval | tsecr | 04 02 00 (after EOL: any)
inline bool parse_macos_syn(const uint8_t* p, TcpOptions& out) {
  if ((load_ne64(p) & 0x00ffffff0000ffffull) != 0x0003030100000402ull ||
      load_ne32(p + 8) != 0x0a080101u || (load_ne32(p + 20) & 0x00ffffffu) != 0x00000204u)
    return false;
  out.has_mss = true;
  out.mss = wire::load_be16(p + 2);
  out.has_wscale = true;
  out.wscale = p[7];
  out.has_timestamps = true;
  out.ts_val = wire::load_be32(p + 12);
  out.ts_ecr = wire::load_be32(p + 16);
  out.sack_permitted = true;
  return true;
}

// 01 01 08 0a | tsval | tsecr
inline bool parse_linux_timestamps(const uint8_t* p, TcpOptions& out) {
  if (load_ne32(p) != 0x0a080101u) return false;
  out.has_timestamps = true;
  out.ts_val = wire::load_be32(p + 4);
  out.ts_ecr = wire::load_be32(p + 8);
  return true;
}

inline bool parse_common_layout(const uint8_t* p, size_t len, TcpOptions& out) {
  switch (len) {
    case 20:
      return parse_linux_syn(p, out);
    case 12:
      return parse_linux_timestamps(p, out) || parse_windows_syn(p, out);
    case 24:
      return parse_macos_syn(p, out);
    default:
      return false;
  }
}

}  // namespace options_detail

inline bool parse_options(const uint8_t* p, size_t len, TcpOptions& out) {
  out = TcpOptions{};
  if (options_detail::parse_common_layout(p, len, out)) return true;
  return parse_options_walk(p, len, out);
}

}  // namespace synack::tcp
