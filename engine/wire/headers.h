// Wire-format constants and offsets for Ethernet II, ARP (RFC 826), IPv4
// (RFC 791), ICMP echo (RFC 792) and TCP (RFC 9293 3.1).
#pragma once

#include <cstdint>

namespace synack::wire {

inline constexpr uint16_t kEthHdrLen = 14;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;

namespace eth {
inline constexpr uint16_t kDst = 0;
inline constexpr uint16_t kSrc = 6;
inline constexpr uint16_t kType = 12;
}  // namespace eth

inline constexpr uint16_t kArpLen = 28;
namespace arp {
inline constexpr uint16_t kHtype = 0;
inline constexpr uint16_t kPtype = 2;
inline constexpr uint16_t kHlen = 4;
inline constexpr uint16_t kPlen = 5;
inline constexpr uint16_t kOper = 6;
inline constexpr uint16_t kSha = 8;
inline constexpr uint16_t kSpa = 14;
inline constexpr uint16_t kTha = 18;
inline constexpr uint16_t kTpa = 24;
inline constexpr uint16_t kOpRequest = 1;
inline constexpr uint16_t kOpReply = 2;
}  // namespace arp

inline constexpr uint16_t kIpv4MinHdrLen = 20;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
namespace ip {
inline constexpr uint16_t kVerIhl = 0;
inline constexpr uint16_t kTos = 1;
inline constexpr uint16_t kTotalLen = 2;
inline constexpr uint16_t kId = 4;
inline constexpr uint16_t kFragOff = 6;
inline constexpr uint16_t kTtl = 8;
inline constexpr uint16_t kProto = 9;
inline constexpr uint16_t kCsum = 10;
inline constexpr uint16_t kSrc = 12;
inline constexpr uint16_t kDst = 16;
inline constexpr uint16_t kFlagDf = 0x4000;
inline constexpr uint16_t kFlagMf = 0x2000;
inline constexpr uint16_t kOffsetMask = 0x1fff;
inline constexpr uint8_t kDefaultTtl = 64;
}  // namespace ip

inline constexpr uint16_t kIcmpHdrLen = 8;
namespace icmp {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint16_t kType = 0;
inline constexpr uint16_t kCode = 1;
inline constexpr uint16_t kCsum = 2;
}  // namespace icmp

inline constexpr uint16_t kTcpMinHdrLen = 20;
inline constexpr uint16_t kTcpMaxHdrLen = 60;
namespace tcp {
inline constexpr uint16_t kSport = 0;
inline constexpr uint16_t kDport = 2;
inline constexpr uint16_t kSeq = 4;
inline constexpr uint16_t kAck = 8;
inline constexpr uint16_t kDataOff = 12;
inline constexpr uint16_t kFlags = 13;
inline constexpr uint16_t kWnd = 14;
inline constexpr uint16_t kCsum = 16;
inline constexpr uint16_t kUrg = 18;
}  // namespace tcp

// Ethernet + IPv4 (no options) + TCP with the longest option list.
inline constexpr uint16_t kMaxTcpHeadroom = kEthHdrLen + kIpv4MinHdrLen + kTcpMaxHdrLen;

}  // namespace synack::wire
