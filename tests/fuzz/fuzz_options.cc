// tcp::parse_options over arbitrary option bytes (at most the 40 a TCP
// header can carry), then write_options of what it parsed.
//
// Invariants:
//  1. No crash and no sanitizer report: the bytes are copied into a buffer of
//     exactly their length, so ASan sees any read past the option list.
//  2. parse_options agrees with an independent walk written from RFC 9293 3.1
//     and options.h's contract (reference_parse below): the same verdict and,
//     on success, the same option set. This covers the fast paths for Linux's
//     layouts as well as the generic walk.
//  3. Round trip: write_options of a parsed set writes options_length() bytes,
//     a multiple of 4 and at most 40; its checksum contribution (be_sum) is
//     the sum of those bytes as big-endian 16-bit words; and parsing them
//     again gives the same set.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "tcp/options.h"

namespace synack::fuzz {
namespace {

using tcp::TcpOptions;

// RFC 9293 3.1: kind 0 ends the list, kind 1 is one byte of padding, every
// other kind has a length byte counting kind and length (>= 2) and must fit.
// MSS (2, length 4), window scale (3, length 3, RFC 7323 2.2), SACK-permitted
// (4, length 2, RFC 2018) and timestamps (8, length 10, RFC 7323 3.2) with any
// other length make the list malformed; other kinds are skipped. A later copy
// of an option replaces an earlier one.
bool reference_parse(const uint8_t* p, size_t n, TcpOptions& o) {
  o = TcpOptions{};
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
      default:
        break;
    }
    i += len;
  }
  return true;
}

// Fields that are meaningful: a value only counts when its option is present.
bool same_set(const TcpOptions& a, const TcpOptions& b) {
  if (a.has_mss != b.has_mss || a.has_wscale != b.has_wscale ||
      a.sack_permitted != b.sack_permitted || a.has_timestamps != b.has_timestamps)
    return false;
  if (a.has_mss && a.mss != b.mss) return false;
  if (a.has_wscale && a.wscale != b.wscale) return false;
  if (a.has_timestamps && (a.ts_val != b.ts_val || a.ts_ecr != b.ts_ecr)) return false;
  return true;
}

uint32_t be_word_sum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  return s;
}

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace synack::fuzz;
  using synack::tcp::kMaxOptionBytes;
  // The option list of a TCP header is at most 40 bytes; the rest is ignored.
  const size_t n = size < kMaxOptionBytes ? size : kMaxOptionBytes;
  std::vector<uint8_t> bytes(data, data + n);  // exactly `n` bytes on the heap

  TcpOptions parsed;
  const bool ok = synack::tcp::parse_options(bytes.data(), bytes.size(), parsed);
  TcpOptions ref;
  FUZZ_CHECK(ok == reference_parse(bytes.data(), bytes.size(), ref));  // invariant 2
  if (!ok) return 0;
  FUZZ_CHECK(same_set(parsed, ref));

  // Invariant 3. A little slack past 40 so an overrun is seen, not a crash.
  uint8_t out[kMaxOptionBytes + 8];
  std::memset(out, 0xAA, sizeof(out));
  uint32_t be_sum = 0;
  const size_t written = synack::tcp::write_options(out, parsed, &be_sum);
  FUZZ_CHECK(written == synack::tcp::options_length(parsed));
  FUZZ_CHECK(written <= kMaxOptionBytes && written % 4 == 0);
  for (size_t i = written; i < sizeof(out); i++) FUZZ_CHECK(out[i] == 0xAA);
  FUZZ_CHECK(be_sum == be_word_sum(out, written));
  FUZZ_CHECK(written == synack::tcp::write_options(out, parsed));  // be_sum is optional

  std::vector<uint8_t> again(out, out + written);
  TcpOptions reparsed;
  FUZZ_CHECK(synack::tcp::parse_options(again.data(), again.size(), reparsed));
  FUZZ_CHECK(same_set(parsed, reparsed));
  return 0;
}
