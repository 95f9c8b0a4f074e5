// tcp::parse_options over arbitrary option bytes (at most the 40 a TCP
// header can carry), then write_options of what it parsed.
//
// Invariants:
//  1. No crash and no sanitizer report: the bytes are copied into a buffer of
//     exactly their length, so ASan sees any read past the option list.
//  2. parse_options agrees with an independent walk written from RFC 9293 3.1
//     and options.h's contract (ref_tcp_options.h): the same verdict and,
//     on success, the same option set. This covers the fast paths for Linux's
//     layouts as well as the generic walk.
//  3. Round trip: write_options of a parsed set writes options_length() bytes,
//     a multiple of 4 and at most 40; its checksum contribution (be_sum) is
//     the sum of those bytes as big-endian 16-bit words; and parsing them
//     again gives the same set (less TCP-MD5, which write_options never
//     writes: we hold no keys and sign nothing).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "ref_tcp_options.h"
#include "tcp/options.h"

namespace synack::fuzz {
namespace {

using tcp::TcpOptions;

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
  FUZZ_CHECK(ok == ref_tcp_options(bytes.data(), bytes.size(), ref));  // invariant 2
  if (!ok) return 0;
  FUZZ_CHECK(same_tcp_options(parsed, ref));

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
  TcpOptions unsigned_set = parsed;
  unsigned_set.has_md5 = false;
  FUZZ_CHECK(same_tcp_options(unsigned_set, reparsed));
  return 0;
}
