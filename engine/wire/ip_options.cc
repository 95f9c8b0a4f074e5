#include "wire/ip_options.h"

namespace synack::wire {

namespace {

constexpr uint8_t kEol = 0, kNop = 1, kRr = 7, kTs = 68, kLsrr = 131, kCipso = 134, kSsrr = 137,
                  kRa = 148;
constexpr uint8_t kTsAndAddr = 1, kTsPrespec = 3;  // flags (0: timestamps only)

// RFC 791 record route: the pointer (from 1, >= 4) says where the next
// address goes; past the end the option is full, which is fine.
bool record_route_ok(const uint8_t* opt, uint8_t olen) {
  const uint8_t ptr = opt[2];
  if (olen < 3 || ptr < 4) return false;
  return ptr > olen || ptr + 3 <= olen;  // room for a whole address, or full
}

// RFC 791 internet timestamp: pointer >= 5; with room left, room for the
// entry its flag asks for; full, an overflow count that can still grow.
bool timestamp_ok(const uint8_t* opt, uint8_t olen) {
  const uint8_t ptr = opt[2];
  const uint8_t flag = opt[3] & 0x0f;
  if (olen < 4 || ptr < 5) return false;
  if (ptr <= olen) {
    if (ptr + 3 > olen) return false;
    if ((flag == kTsAndAddr || flag == kTsPrespec) && ptr + 7 > olen) return false;
    return true;  // other flags: ignored on receive, as Linux does
  }
  return flag == kTsPrespec || (opt[3] >> 4) != 15;
}

}  // namespace

ParseError check_ip_options(const uint8_t* o, uint32_t len) {
  bool seen_rr = false, seen_ts = false;
  uint32_t i = 0;
  while (i < len) {
    const uint8_t type = o[i];
    if (type == kEol) break;
    if (type == kNop) {
      i++;
      continue;
    }
    if (i + 1 >= len) return ParseError::kBadIpOptions;
    const uint8_t olen = o[i + 1];
    if (olen < 2 || olen > len - i) return ParseError::kBadIpOptions;
    const uint8_t* opt = o + i;
    switch (type) {
      case kLsrr:
      case kSsrr:
        return ParseError::kIpSourceRoute;
      case kRr:
        if (seen_rr || !record_route_ok(opt, olen)) return ParseError::kBadIpOptions;
        seen_rr = true;
        break;
      case kTs:
        if (seen_ts || !timestamp_ok(opt, olen)) return ParseError::kBadIpOptions;
        seen_ts = true;
        break;
      case kRa:  // RFC 2113: two bytes of value
        if (olen < 4) return ParseError::kBadIpOptions;
        break;
      case kCipso:  // a security label for a DOI we do not know (Linux: none configured)
        return ParseError::kBadIpOptions;
      default:
        break;  // accepted and ignored
    }
    i += olen;
  }
  return ParseError::kOk;
}

}  // namespace synack::wire
