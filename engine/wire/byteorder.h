// Explicit big-endian loads and stores: headers are read and written through
// these, never by casting packet memory to host integers (alignment and order).
#pragma once

#include <cstdint>
#include <cstring>

namespace synack::wire {

inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

struct MacAddr {
  uint8_t b[6] = {};
  friend bool operator==(const MacAddr&, const MacAddr&) = default;
  bool is_broadcast() const { return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xff; }
};

inline MacAddr load_mac(const uint8_t* p) {
  MacAddr m;
  std::memcpy(m.b, p, 6);
  return m;
}
inline void store_mac(uint8_t* p, const MacAddr& m) {
  std::memcpy(p, m.b, 6);
}

}  // namespace synack::wire
