// A SYN-ACK serialised once and patched per SYN: the fast path's writer. The
// template is the frame write_segment() makes for build_synack()'s segment
// (so both writers agree by construction, and a test compares them); per SYN
// only the peer's addresses and port, our port, the two sequence numbers and
// the timestamps change, and both checksums are the template's constant part
// plus those fields.
#pragma once

#include <cstdint>

#include "tcp/endpoint_config.h"
#include "tcp/synack.h"
#include "wire/byteorder.h"

namespace synack::tcp {

class SynAckTemplate {
 public:
  // The SYN-ACK `promise` gets from us (our MAC and address, `cfg`'s MSS,
  // window and shift); with `csum_offload` the TCP checksum field holds the
  // pseudo-header sum the NIC completes.
  void init(const SynAckPromise& promise, const EndpointConfig& cfg, const wire::MacAddr& our_mac,
            uint32_t our_ip, bool csum_offload);

  struct Fields {
    wire::MacAddr peer_mac;
    uint32_t peer_ip;
    uint16_t peer_port;
    uint16_t our_port;
    uint32_t seq;
    uint32_t ack;
    uint32_t ts_val;  // used only when the promise has timestamps
    uint32_t ts_ecr;
  };
  // Writes the whole frame at `buf` (which may be the SYN being answered).
  // Returns its length.
  uint16_t write(uint8_t* buf, const Fields& f) const;

  uint16_t length() const { return len_; }

 private:
  alignas(64) uint8_t bytes_[128];
  uint16_t len_ = 0;
  uint16_t ts_off_ = 0;     // TSval's offset in the frame (0: no timestamps)
  uint64_t ip_sum_ = 0;     // IPv4 header sum without the peer's address
  uint64_t tcp_sum_ = 0;    // pseudo-header and TCP header sum without the varying fields
  uint64_t pseudo_ = 0;     // the pseudo-header's constant part (our address, protocol, length)
  bool timestamps_ = false;
  bool csum_offload_ = false;
};

}  // namespace synack::tcp
