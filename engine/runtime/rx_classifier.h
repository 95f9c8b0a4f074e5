// Stage 1 of a burst: the common frame (Ethernet II, option-less IPv4 to our
// address and MAC, TCP) recognised by masked compares of its first 24 bytes
// against a template of what we accept, then parsed at fixed offsets. Anything
// else, and anything this finds wrong, goes to wire::parse_frame, which
// decides every rejection and its reason: the two agree on what they accept
// (tests/unit/runtime/rx_classifier_test.cc feeds both the same frames).
//
// A plain SYN (SYN alone among FIN/SYN/RST/ACK, no payload, a well-formed
// option list) may come out reduced to a PlainSyn, the few fields its cookie
// SYN-ACK needs, instead of a Frame and a Segment: writing those two was a
// fifth of the cookie path's instructions (callgrind, bench_synack_path).
#pragma once

#include <cstdint>
#include <cstring>

#include "tcp/segment.h"
#include "tcp/segment_parse.h"
#include "tcp/syn_cookie.h"
#include "tcp/synack_template.h"
#include "wire/frame.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::runtime {

// What the cookie path takes from a plain SYN besides its 4-tuple and MAC.
// No field is a char type: a store to one would alias everything, and the
// compiler would reload the burst's state after each.
struct PlainSyn {
  uint32_t isn;       // the peer's ISN, host order
  uint32_t ts_val;    // its TSval (0 without timestamps): our TSecr
  uint8_t mss_index;  // SynCookieCodec::mss_index_of(options)
  uint8_t ts_bits;    // SynCookieCodec::ts_bits_of(options)
  uint8_t shape;      // tcp::cookie_shape(options): the SYN-ACK template
};

inline PlainSyn reduce_syn(tcp::Seq isn, const tcp::TcpOptions& o) {
  return {isn.raw(), o.ts_val, static_cast<uint8_t>(tcp::SynCookieCodec::mss_index_of(o)),
          static_cast<uint8_t>(tcp::SynCookieCodec::ts_bits_of(o)), tcp::cookie_shape(o)};
}

enum class RxKind : uint8_t {
  kOther,     // for wire::parse_frame (another kind of frame, or something wrong)
  kTcp,       // a segment for us: Frame, Segment and key filled
  kPlainSyn,  // a plain SYN: PlainSyn and key filled (only when asked for)
};

class RxClassifier {
 public:
  void init(const wire::ParseContext& pc);

  // kTcp when `data` is such a frame with valid checksums (or `ip_csum_ok`
  // and `l4_csum_ok` say the NIC checked them) and a well-formed TCP header:
  // then `f`, `seg` and `key` are filled as parse_frame and
  // tcp::parse_segment would fill them. With `plain_syns`, a plain SYN is
  // kPlainSyn instead, with `syn` and `key` filled (reduce_syn() of what
  // parse_segment gives). Inline below: once per packet.
  RxKind classify(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok,
                  bool plain_syns, tcp::FourTuple& key, PlainSyn& syn, wire::Frame& f,
                  tcp::Segment& seg) const;

  // True when classify(..., plain_syns = true, ...) would say kPlainSyn;
  // nothing else is parsed. The burst's first pass in a SYN flood. Inline
  // below.
  // `sink(key, syn)` is called for it: once for each option layout in the
  // code, where that layout's flags are constants.
  template <class Sink>
  bool plain_syn(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok,
                 Sink&& sink) const;

 private:
  // What check_headers() found: the addresses (host order), the TCP length.
  struct RxHeaders {
    uint32_t src, dst;
    uint16_t l4_len;
  };
  // Everything before the TCP header: the template, addresses, lengths,
  // both checksums.
  bool check_headers(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok,
                     RxHeaders& h) const;
  // check_headers() but the TCP checksum, which plain_syn() verifies where
  // it knows the segment's length.
  bool check_ip(const uint8_t* data, uint32_t len, bool ip_csum_ok, RxHeaders& h) const;
  // A plain SYN (kYes, given to `sink` as its key and PlainSyn), another
  // segment (kNo), or a SYN whose options parse_segment refuses (kBad).
  enum class Plain : uint8_t { kNo, kYes, kBad };
  template <class Sink>
  static Plain take_plain_syn(const uint8_t* l4, const RxHeaders& h, Sink&& sink);
  // classify()'s end for any other segment: parse_segment and the Frame.
  // Out of line, so the plain SYNs' loop does not carry its registers.
  [[gnu::noinline]] bool finish_tcp(const uint8_t* data, const RxHeaders& h, wire::Frame& f,
                                    tcp::Segment& seg) const;

  uint64_t mask0_ = 0, want0_ = 0;  // bytes 0-7: destination MAC, source MAC's group bit
  uint64_t mask1_ = 0, want1_ = 0;  // bytes 8-15: EtherType, version and IHL
  uint64_t mask2_ = 0, want2_ = 0;  // bytes 16-23: fragment bits, protocol
  // Our addresses as one unsigned range test: ip - our_ip_ <= span_.
  uint32_t our_ip_ = 0;
  uint32_t span_ = 0;
  uint32_t broadcast_ = 0;  // directed broadcast (0 when none: source 0 is martian anyway)
  // Top bytes no source may have (wire::martian_class).
  uint8_t martian_top_[256] = {};
};

// The sum of the pseudo-header's addresses and the segment (they are
// contiguous from the IPv4 header's byte 12), unrolled for the lengths most
// segments have: a bare header, with timestamps, Linux's and macOS's SYNs.
[[gnu::always_inline]] inline uint64_t rx_l4_sum(const uint8_t* addrs, uint16_t l4_len,
                                                 uint64_t acc) {
  switch (l4_len) {
    case 20:
      return wire::csum_add_n<28>(addrs, acc);
    case 32:
      return wire::csum_add_n<40>(addrs, acc);
    case 40:
      return wire::csum_add_n<48>(addrs, acc);
    case 44:
      return wire::csum_add_n<52>(addrs, acc);
    default:
      return wire::csum_add(addrs, size_t{8} + l4_len, acc);
  }
}

[[gnu::always_inline]] inline bool RxClassifier::check_ip(const uint8_t* data, uint32_t len,
                                                          bool ip_csum_ok, RxHeaders& h) const {
  constexpr uint32_t kIp = wire::kEthHdrLen;
  constexpr uint32_t kL4 = kIp + wire::kIpv4MinHdrLen;
  if (len < kL4 + wire::kTcpMinHdrLen) return false;
  const uint64_t mism = ((wire::load_ne64(data) & mask0_) ^ want0_) |
                        ((wire::load_ne64(data + 8) & mask1_) ^ want1_) |
                        ((wire::load_ne64(data + 16) & mask2_) ^ want2_);
  if (mism != 0) return false;
  const uint8_t* ip = data + kIp;
  uint64_t addrs;  // source and destination as on the wire
  std::memcpy(&addrs, ip + wire::ip::kSrc, 8);
  const uint32_t src = __builtin_bswap32(static_cast<uint32_t>(addrs));
  const uint32_t dst = __builtin_bswap32(static_cast<uint32_t>(addrs >> 32));
  const uint32_t total = wire::load_be16(ip + wire::ip::kTotalLen);
  // To one of our addresses; not from a source wire::martian_source()
  // refuses (a top byte of the table, one of ours, the directed broadcast);
  // a source MAC that is not zero (its group bit is in mask0_); an IPv4
  // total length with room for the TCP header and within the frame. Bitwise
  // ors: one branch for all (each is rare).
  const bool bad =
      (dst - our_ip_ > span_) | (martian_top_[src >> 24] != 0) | (src - our_ip_ <= span_) |
      (src == broadcast_) |
      ((wire::load_ne32(data + wire::eth::kSrc) | wire::load_ne16(data + wire::eth::kSrc + 4)) ==
       0) |
      (total - (wire::kIpv4MinHdrLen + wire::kTcpMinHdrLen) > len - kL4 - wire::kTcpMinHdrLen);
  if (bad) return false;
  const auto l4_len = static_cast<uint16_t>(total - wire::kIpv4MinHdrLen);
  // Neither sum can be zero: the header's first byte is 0x45 (mask1_), and
  // the pseudo-header's protocol is 6.
  if (!ip_csum_ok && !wire::csum_verifies_nonzero(wire::csum_add_n<wire::kIpv4MinHdrLen>(ip)))
    return false;
  h = {src, dst, l4_len};
  return true;
}

// The pseudo-header's protocol and length, as rx_l4_sum() takes them.
constexpr uint64_t rx_pseudo_const(uint16_t l4_len) {
  return (uint64_t{wire::kProtoTcp} << 8) + static_cast<uint16_t>(l4_len << 8 | l4_len >> 8);
}

// Whether the TCP checksum of the segment (`l4_len` bytes) at `ip`'s
// payload holds.
[[gnu::always_inline]] inline bool rx_l4_verifies(const uint8_t* ip, uint16_t l4_len) {
  return wire::csum_verifies_nonzero(
      rx_l4_sum(ip + wire::ip::kSrc, l4_len, rx_pseudo_const(l4_len)));
}

[[gnu::always_inline]] inline bool RxClassifier::check_headers(const uint8_t* data, uint32_t len,
                                                               bool ip_csum_ok, bool l4_csum_ok,
                                                               RxHeaders& h) const {
  return check_ip(data, len, ip_csum_ok, h) &&
         (l4_csum_ok || rx_l4_verifies(data + wire::kEthHdrLen, h.l4_len));
}

template <class Sink>
[[gnu::always_inline]] inline RxClassifier::Plain RxClassifier::take_plain_syn(const uint8_t* l4,
                                                                               const RxHeaders& h,
                                                                               Sink&& sink) {
  using namespace tcp::tcpflag;
  const auto hdr_len = static_cast<uint16_t>((l4[wire::tcp::kDataOff] >> 4) * 4);
  if ((l4[wire::tcp::kFlags] & (kFin | kSyn | kRst | kAck)) != kSyn || hdr_len != h.l4_len ||
      hdr_len < wire::kTcpMinHdrLen)
    return Plain::kNo;
  const tcp::Seq isn(wire::load_be32(l4 + wire::tcp::kSeq));
  const uint32_t ports = wire::load_be32(l4 + wire::tcp::kSport);
  // Written out for each layout, so that its constant flags fold away.
  auto plain = [&](const tcp::TcpOptions& o) __attribute__((always_inline)) {
    sink(tcp::FourTuple{h.src, h.dst, static_cast<uint16_t>(ports >> 16),
                        static_cast<uint16_t>(ports)},
         reduce_syn(isn, o));
    return Plain::kYes;
  };
  const uint8_t* opts = l4 + wire::kTcpMinHdrLen;
  const size_t opt_len = hdr_len - wire::kTcpMinHdrLen;
  // Each `o` stays in registers: the walk, which takes an address, fills
  // its own.
  switch (opt_len) {
    case 0:
      return plain(tcp::TcpOptions{});
    case 20:
      if (tcp::TcpOptions o; tcp::options_detail::parse_linux_syn(opts, o)) return plain(o);
      break;
    case 12:
      if (tcp::TcpOptions o; tcp::options_detail::parse_windows_syn(opts, o)) return plain(o);
      break;
    case 24:
      if (tcp::TcpOptions o; tcp::options_detail::parse_macos_syn(opts, o)) return plain(o);
      break;
    default:
      break;
  }
  tcp::TcpOptions walked;
  if (!tcp::parse_options_walk(opts, opt_len, walked) || walked.has_md5) return Plain::kBad;
  return plain(walked);
}

[[gnu::always_inline]] inline RxKind RxClassifier::classify(const uint8_t* data, uint32_t len,
                                                            bool ip_csum_ok, bool l4_csum_ok,
                                                            bool plain_syns, tcp::FourTuple& key,
                                                            PlainSyn& syn, wire::Frame& f,
                                                            tcp::Segment& seg) const {
  RxHeaders h;
  if (!check_headers(data, len, ip_csum_ok, l4_csum_ok, h)) return RxKind::kOther;
  const uint8_t* l4 = data + wire::kEthHdrLen + wire::kIpv4MinHdrLen;
  if (plain_syns) {
    auto out = [&](const tcp::FourTuple& k, const PlainSyn& p) __attribute__((always_inline)) {
      key = k;
      syn = p;
    };
    switch (take_plain_syn(l4, h, out)) {
      case Plain::kYes:
        return RxKind::kPlainSyn;
      case Plain::kBad:
        return RxKind::kOther;
      case Plain::kNo:
        break;
    }
  }
  if (!finish_tcp(data, h, f, seg)) return RxKind::kOther;
  key = tcp::FourTuple{h.src, h.dst, seg.src_port, seg.dst_port};
  return RxKind::kTcp;
}

// check_headers() then take_plain_syn(), in another order with the same
// verdict: the flags and data offset first, then one dispatch on the TCP
// length for both the checksum (a constant pseudo-header part) and the
// option layout, which check_headers() and take_plain_syn() each switched on.
template <class Sink>
[[gnu::always_inline]] inline bool RxClassifier::plain_syn(const uint8_t* data, uint32_t len,
                                                           bool ip_csum_ok, bool l4_csum_ok,
                                                           Sink&& sink) const {
  using namespace tcp::tcpflag;
  RxHeaders h;
  if (!check_ip(data, len, ip_csum_ok, h)) return false;
  const uint8_t* ip = data + wire::kEthHdrLen;
  const uint8_t* l4 = ip + wire::kIpv4MinHdrLen;
  // h.l4_len is at least the minimal header (check_ip), so is the data offset.
  if ((l4[wire::tcp::kFlags] & (kFin | kSyn | kRst | kAck)) != kSyn ||
      (l4[wire::tcp::kDataOff] >> 4) * 4 != h.l4_len)
    return false;
  auto plain = [&](const tcp::TcpOptions& o) __attribute__((always_inline)) {
    const uint32_t ports = wire::load_be32(l4 + wire::tcp::kSport);
    sink(tcp::FourTuple{h.src, h.dst, static_cast<uint16_t>(ports >> 16),
                        static_cast<uint16_t>(ports)},
         reduce_syn(tcp::Seq(wire::load_be32(l4 + wire::tcp::kSeq)), o));
    return true;
  };
  const uint8_t* opts = l4 + wire::kTcpMinHdrLen;
  // Each case: the checksum over its constant length, then its layout.
  switch (h.l4_len) {
    case wire::kTcpMinHdrLen:
      if (!l4_csum_ok && !wire::csum_verifies_nonzero(wire::csum_add_n<28>(
                             ip + wire::ip::kSrc, rx_pseudo_const(wire::kTcpMinHdrLen))))
        return false;
      return plain(tcp::TcpOptions{});
    case wire::kTcpMinHdrLen + 20:
      if (!l4_csum_ok && !wire::csum_verifies_nonzero(
                             wire::csum_add_n<48>(ip + wire::ip::kSrc, rx_pseudo_const(40))))
        return false;
      if (tcp::TcpOptions o; tcp::options_detail::parse_linux_syn(opts, o)) return plain(o);
      break;
    case wire::kTcpMinHdrLen + 12:
      if (!l4_csum_ok && !wire::csum_verifies_nonzero(
                             wire::csum_add_n<40>(ip + wire::ip::kSrc, rx_pseudo_const(32))))
        return false;
      if (tcp::TcpOptions o; tcp::options_detail::parse_windows_syn(opts, o)) return plain(o);
      break;
    case wire::kTcpMinHdrLen + 24:
      if (!l4_csum_ok && !wire::csum_verifies_nonzero(
                             wire::csum_add_n<52>(ip + wire::ip::kSrc, rx_pseudo_const(44))))
        return false;
      if (tcp::TcpOptions o; tcp::options_detail::parse_macos_syn(opts, o)) return plain(o);
      break;
    default:
      if (!l4_csum_ok && !rx_l4_verifies(ip, h.l4_len)) return false;
      break;
  }
  tcp::TcpOptions walked;
  if (!tcp::parse_options_walk(opts, h.l4_len - wire::kTcpMinHdrLen, walked) || walked.has_md5)
    return false;
  return plain(walked);
}

}  // namespace synack::runtime
