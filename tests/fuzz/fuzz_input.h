// Shared by the harnesses: a reader that turns the fuzzer's bytes into the
// values a harness needs, front to back (so tests/fuzz/make_corpus.py can
// write seeds field by field), and the check that reports a broken invariant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace synack::fuzz {

// Reads little-endian integers off the front of the input; once the input is
// used up every read returns 0, so any input is a complete program.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool empty() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() {
    uint32_t lo = u16();
    return lo | uint32_t{u16()} << 16;
  }
  uint64_t u64() {
    uint64_t lo = u32();
    return lo | uint64_t{u32()} << 32;
  }
  bool bit() { return (u8() & 1) != 0; }

  // Up to `n` bytes in place; `*got` says how many there were.
  const uint8_t* take(size_t n, size_t* got) {
    const uint8_t* at = p_;
    *got = n < remaining() ? n : remaining();
    p_ += *got;
    return at;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

[[noreturn]] inline void check_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, cond);
  std::fflush(stderr);
  std::abort();  // libFuzzer saves the input as a crash
}

// Engine bugs already reported (each with its input in tests/fuzz/regressions/)
// that an exploratory run may ask a harness to step over, so that it goes on
// to find the next one: SYNACK_FUZZ_KNOWN_BUGS=name,name. scripts/test.sh and
// scripts/fuzz.sh leave it unset, so a known bug still fails them.
inline bool known_bug_allowed(const char* name) {
  static const char* list = std::getenv("SYNACK_FUZZ_KNOWN_BUGS");
  if (list == nullptr) return false;
  const size_t n = std::strlen(name);
  for (const char* p = list; (p = std::strstr(p, name)) != nullptr; p += n) {
    const bool starts = p == list || p[-1] == ',';
    const bool ends = p[n] == '\0' || p[n] == ',';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace synack::fuzz

// An invariant of the code under test: abort (and so keep the input) when it fails.
#define FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::synack::fuzz::check_failed(#cond, __FILE__, __LINE__))
