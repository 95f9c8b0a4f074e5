// TCP options we understand: MSS (RFC 9293 3.7.1), window scale and timestamps
// (RFC 7323), SACK-permitted (RFC 2018); TCP-MD5 (RFC 2385) is recognised so
// that it can be refused. Everything else is skipped by length.
#pragma once

#include <cstddef>
#include <cstdint>

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
bool parse_options(const uint8_t* p, size_t len, TcpOptions& out);

// Writes the options set in `o` in the layout Linux uses (MSS, SACK_PERM+TS or
// NOP,NOP,TS, NOP+WS), padded with NOPs to a multiple of 4. Returns the byte count
// (<= kMaxOptionBytes).
// With `be_sum`, also returns the sum of the written bytes as big-endian
// 16-bit words (unfolded), for a checksum that must not read them back.
size_t write_options(uint8_t* p, const TcpOptions& o, uint32_t* be_sum = nullptr);

// Byte count write_options() would produce, without writing.
size_t options_length(const TcpOptions& o);

}  // namespace synack::tcp
