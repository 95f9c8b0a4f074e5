// Sequence numbers as a strong type: RFC 9293 section 3.4 arithmetic modulo 2^32.
#pragma once

#include <cstdint>

namespace synack::tcp {

class Seq {
 public:
  constexpr Seq() = default;
  constexpr explicit Seq(uint32_t v) : v_(v) {}
  constexpr uint32_t raw() const { return v_; }

  constexpr Seq operator+(uint32_t n) const { return Seq(v_ + n); }
  constexpr Seq operator-(uint32_t n) const { return Seq(v_ - n); }
  constexpr Seq& operator+=(uint32_t n) {
    v_ += n;
    return *this;
  }
  // Distance from b to a, wrap-safe: (a - b) as a signed 32-bit value.
  friend constexpr int32_t operator-(Seq a, Seq b) { return static_cast<int32_t>(a.v_ - b.v_); }
  friend constexpr bool operator==(Seq a, Seq b) = default;
  friend constexpr bool operator<(Seq a, Seq b) { return (a - b) < 0; }
  friend constexpr bool operator<=(Seq a, Seq b) { return (a - b) <= 0; }
  friend constexpr bool operator>(Seq a, Seq b) { return (a - b) > 0; }
  friend constexpr bool operator>=(Seq a, Seq b) { return (a - b) >= 0; }

 private:
  uint32_t v_ = 0;
};

// lo <= s < hi, modulo 2^32 (RFC 9293 3.4 "window" tests).
constexpr bool in_window(Seq s, Seq lo, Seq hi) {
  return lo <= s && s < hi;
}

}  // namespace synack::tcp
