// The one representation of a received TCP segment (parsed by
// segment_parse.h), decoupled from packet memory except for a pointer to its
// payload, and the connection 4-tuple.
#pragma once

#include <cstdint>

#include "tcp/options.h"
#include "tcp/seq.h"

namespace synack::tcp {

namespace tcpflag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcpflag

struct Segment {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  Seq seq;
  Seq ack;
  uint32_t payload_len = 0;
  const uint8_t* payload = nullptr;  // payload_len bytes, or nullptr (unit tests)
  uint16_t wnd = 0;                  // header field, not yet scaled
  uint8_t flags = 0;
  TcpOptions opts;

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // SEG.LEN of RFC 9293 3.4: payload plus one for SYN and one for FIN.
  uint32_t len() const {
    return payload_len + ((flags & tcpflag::kSyn) ? 1 : 0) + ((flags & tcpflag::kFin) ? 1 : 0);
  }
};

// The connection 4-tuple in host byte order, "remote" being the peer.
// 12 bytes without padding: it is the flow-table key as is.
struct FourTuple {
  uint32_t remote_ip = 0;
  uint32_t local_ip = 0;
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};
static_assert(sizeof(FourTuple) == 12);

}  // namespace synack::tcp
