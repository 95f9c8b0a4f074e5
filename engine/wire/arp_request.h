// Building an ARP request (RFC 826) for a next hop whose MAC we lack: client
// mode resolves its gateway or target before it can open connections.
#pragma once

#include <cstdint>

#include "wire/byteorder.h"
#include "wire/headers.h"

namespace synack::wire {

inline constexpr uint16_t kArpFrameLen = kEthHdrLen + kArpLen;  // 42; the NIC pads to 60

// Writes an Ethernet broadcast frame carrying an Ethernet/IPv4 ARP request
// "who has target_ip, tell our_ip" at buf (kArpFrameLen bytes). The target
// hardware address is zero (RFC 826 leaves it open; RFC 5227 2.1.1 says zero).
// Addresses in host order. Returns kArpFrameLen.
uint16_t write_arp_request(uint8_t* buf, const MacAddr& our_mac, uint32_t our_ip,
                           uint32_t target_ip);

}  // namespace synack::wire
