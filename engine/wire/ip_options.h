// IPv4 options of a received header (RFC 791 3.1), judged as Linux's
// __ip_options_compile judges them for a received skb.
#pragma once

#include <cstdint>

#include "wire/frame.h"

namespace synack::wire {

// `o` is the `len` option bytes after the fixed header. kOk, kBadIpOptions
// (malformed), or kIpSourceRoute (LSRR/SSRR: refused, as Linux's default
// accept_source_route = 0).
ParseError check_ip_options(const uint8_t* o, uint32_t len);

}  // namespace synack::wire
