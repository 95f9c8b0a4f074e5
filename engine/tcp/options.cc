// TCP option parsing and writing (RFC 9293 3.1/3.2, RFC 7323, RFC 2018).
#include "tcp/options.h"

namespace synack::tcp {

namespace {

// Option kinds and lengths (RFC 9293 3.2, RFC 7323 2.2/3.2, RFC 2018 2).
constexpr uint8_t kEol = 0;
constexpr uint8_t kNop = 1;
constexpr uint8_t kMss = 2;
constexpr uint8_t kWs = 3;
constexpr uint8_t kSackPerm = 4;
constexpr uint8_t kTs = 8;
constexpr uint8_t kMssLen = 4;
constexpr uint8_t kWsLen = 3;
constexpr uint8_t kSackPermLen = 2;
constexpr uint8_t kTsLen = 10;

uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint8_t* store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
  return p + 2;
}
uint8_t* store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
  return p + 4;
}
uint8_t* put4(uint8_t* p, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  p[0] = a;
  p[1] = b;
  p[2] = c;
  p[3] = d;
  return p + 4;
}

// A known option with its length checked; false when the length is wrong.
bool parse_one(uint8_t kind, uint8_t len, const uint8_t* body, TcpOptions& out) {
  switch (kind) {
    case kMss:
      if (len != kMssLen) return false;
      out.has_mss = true;
      out.mss = load_be16(body);
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
      out.ts_val = load_be32(body);
      out.ts_ecr = load_be32(body + 4);
      return true;
    default:
      return true;  // unknown kinds are skipped by their length (RFC 9293 3.2)
  }
}

}  // namespace

bool parse_options(const uint8_t* p, size_t len, TcpOptions& out) {
  out = TcpOptions{};
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

size_t write_options(uint8_t* p, const TcpOptions& o) {
  uint8_t* w = p;
  if (o.has_mss) {
    w[0] = kMss;
    w[1] = kMssLen;
    w = store_be16(w + 2, o.mss);
  }
  if (o.has_timestamps) {
    w = o.sack_permitted ? put4(w, kSackPerm, kSackPermLen, kTs, kTsLen)
                         : put4(w, kNop, kNop, kTs, kTsLen);
    w = store_be32(w, o.ts_val);
    w = store_be32(w, o.ts_ecr);
  } else if (o.sack_permitted) {
    w = put4(w, kNop, kNop, kSackPerm, kSackPermLen);
  }
  if (o.has_wscale) w = put4(w, kNop, kWs, kWsLen, o.wscale);
  return static_cast<size_t>(w - p);
}

}  // namespace synack::tcp
