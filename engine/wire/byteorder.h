// Explicit big-endian loads and stores: headers are read and written through
// these, never by casting packet memory to host integers (alignment and order).
#pragma once

#include <cstdint>
#include <cstring>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "byteorder.h assumes a little-endian host");

namespace synack::wire {

// memcpy + byte swap: one unaligned load or store and a bswap, whatever the
// compiler makes of byte-wise shifts.
inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

// Wire bytes as they lie (no swap): for masked compares against templates
// built from the same bytes.
inline uint16_t load_ne16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t load_ne32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t load_ne64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
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
