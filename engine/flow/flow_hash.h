// The keyed signature of a 4-tuple: SipHash-1-3 under a secret from the
// CSPRNG, so an attacker cannot choose 4-tuples that collide in the flow
// table or the TIME-WAIT store (an unkeyed CRC lets him fill one bucket and
// make every lookup walk it). One signature per packet serves both tables.
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/siphash.h"

namespace synack::flow {

class FlowHash {
 public:
  explicit FlowHash(const tcp::SipKey& key) : key_(key) {}
  const tcp::SipKey& key() const { return key_; }

  static uint64_t word0(const tcp::FourTuple& t) {
    return (uint64_t{t.remote_ip} << 32) | t.local_ip;
  }
  static uint64_t word1(const tcp::FourTuple& t) {
    return (uint64_t{t.remote_port} << 16) | t.local_port;
  }
  uint32_t operator()(const tcp::FourTuple& t) const {
    return static_cast<uint32_t>(tcp::siphash13_2w(key_, word0(t), word1(t)));
  }

 private:
  tcp::SipKey key_;
};

}  // namespace synack::flow
