// TCP option parsing and writing (RFC 9293 3.1/3.2, RFC 7323, RFC 2018).
#include "tcp/options.h"

#include <cstring>

#include "wire/byteorder.h"

namespace synack::tcp {

namespace {

// Option kinds and lengths (RFC 9293 3.2, RFC 7323 2.2/3.2, RFC 2018 2).
constexpr uint8_t kEol = 0;
constexpr uint8_t kNop = 1;
constexpr uint8_t kMss = 2;
constexpr uint8_t kWs = 3;
constexpr uint8_t kSackPerm = 4;
constexpr uint8_t kTs = 8;
constexpr uint8_t kMd5 = 19;
constexpr uint8_t kMssLen = 4;
constexpr uint8_t kWsLen = 3;
constexpr uint8_t kSackPermLen = 2;
constexpr uint8_t kTsLen = 10;
constexpr uint8_t kMd5Len = 18;

uint8_t* put_be32(uint8_t* p, uint32_t v) {
  wire::store_be32(p, v);
  return p + 4;
}

// A known option with its length checked; false when the length is wrong.
bool parse_one(uint8_t kind, uint8_t len, const uint8_t* body, TcpOptions& out) {
  switch (kind) {
    case kMss:
      if (len != kMssLen) return false;
      out.has_mss = true;
      out.mss = wire::load_be16(body);
      return true;
    case kWs:
      if (len != kWsLen) return false;
      out.has_wscale = true;
      out.wscale = body[0];
      return true;
    case kSackPerm:
      if (len != kSackPermLen) return false;
      out.sack_permitted = true;
      return true;
    case kTs:
      if (len != kTsLen) return false;
      out.has_timestamps = true;
      out.ts_val = wire::load_be32(body);
      out.ts_ecr = wire::load_be32(body + 4);
      return true;
    case kMd5:
      if (len != kMd5Len) return false;
      out.has_md5 = true;
      return true;
    default:
      return true;  // unknown kinds are skipped by their length (RFC 9293 3.2)
  }
}

}  // namespace

bool parse_options_walk(const uint8_t* p, size_t len, TcpOptions& out) {
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = p[i];
    if (kind == kEol) break;  // End of Option List: the rest is padding
    if (kind == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return false;  // kind without a length byte
    const uint8_t olen = p[i + 1];
    if (olen < 2 || olen > len - i) return false;
    if (!parse_one(kind, olen, p + i + 2, out)) return false;
    i += olen;
  }
  return true;
}

size_t options_length(const TcpOptions& o) {
  size_t n = 0;
  if (o.has_mss) n += 4;
  if (o.has_timestamps) {
    n += 12;  // SACK_PERM+TS or NOP,NOP,TS
  } else if (o.sack_permitted) {
    n += 4;  // NOP,NOP,SACK_PERM
  }
  if (o.has_wscale) n += 4;  // NOP,WS
  return n;
}

size_t write_options(uint8_t* p, const TcpOptions& o, uint32_t* be_sum) {
  // Each option word is stored once and added to the checksum contribution
  // from its value, so the caller never reads the bytes back.
  uint8_t* w = p;
  uint32_t sum = 0;
  auto word = [&w, &sum](uint32_t v) {
    w = put_be32(w, v);
    sum += (v >> 16) + (v & 0xffff);
  };
  auto bytes4 = [&word](uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    word(uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d);
  };
  if (o.has_mss) word(uint32_t{kMss} << 24 | uint32_t{kMssLen} << 16 | o.mss);
  if (o.has_timestamps) {
    if (o.sack_permitted)
      bytes4(kSackPerm, kSackPermLen, kTs, kTsLen);
    else
      bytes4(kNop, kNop, kTs, kTsLen);
    word(o.ts_val);
    word(o.ts_ecr);
  } else if (o.sack_permitted) {
    bytes4(kNop, kNop, kSackPerm, kSackPermLen);
  }
  if (o.has_wscale) bytes4(kNop, kWs, kWsLen, o.wscale);
  if (be_sum) *be_sum = sum;
  return static_cast<size_t>(w - p);
}

}  // namespace synack::tcp
