// RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
#include "tcp/isn.h"

namespace synack::tcp {

Seq IsnGenerator::next(const FourTuple& t, uint64_t now_us) const {
  // M: "a 4-microsecond timer" (RFC 6528 section 3), wrapping modulo 2^32.
  const auto m = static_cast<uint32_t>(now_us >> 2);
  // F: the low 32 bits of SipHash-2-4 over the packed 4-tuple; the third word
  // is a constant so the same key never hashes the same input as a cookie does.
  const uint64_t ips = (uint64_t{t.local_ip} << 32) | t.remote_ip;
  const uint64_t ports = (uint64_t{t.local_port} << 16) | t.remote_port;
  const auto f = static_cast<uint32_t>(siphash24_3w(key_, ips, ports, 0x49534eull /* "ISN" */));
  return Seq(m + f);
}

}  // namespace synack::tcp
