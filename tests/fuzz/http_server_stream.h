// The peer of a client: an HTTP/1.1 server whose response stream the fuzz
// input composes, one piece per request (the templates' framing is known, so
// a harness can say where each response ends, RFC 9112 6.3) or raw bytes
// after which nothing is predicted. For fuzz_endpoint and fuzz_worker.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "tcp/requester.h"

namespace synack::fuzz {

// One piece of the stream: a response (the one to request `index`) or raw bytes.
struct Piece {
  uint32_t start = 0;
  uint32_t end = 0;          // one past its last byte
  bool raw = false;          // not a response: nothing can be predicted after it
  bool closes = false;       // "Connection: close" (RFC 9112 9.6)
  bool until_close = false;  // the body ends with the connection (RFC 9112 6.3 item 8)
};

class ServerStream {
 public:
  // Pieces from the input, each the response to the next request (`head`
  // says whether that request was HEAD: RFC 9112 6.3 item 1, no body).
  void compose(ByteReader& in, const tcp::RequesterConfig& rq) {
    bytes_.clear();
    pieces_.clear();
    const uint32_t n = in.u8() % 12;
    for (uint32_t i = 0; i < n && bytes_.size() < (1u << 20); i++) {
      const auto& req = i + 1 == rq.requests_per_connection && !rq.last_request.empty()
                            ? rq.last_request
                            : rq.request;
      const bool head = req.size() >= 5 && std::memcmp(req.data(), "HEAD ", 5) == 0;
      const uint8_t kind = in.u8();
      const uint32_t body = (kind & 0x80) ? in.u16() % 20000 : in.u8();
      Piece p;
      p.start = static_cast<uint32_t>(bytes_.size());
      head_end_ = p.start;
      in_body_ = false;
      switch (kind & 7) {
        case 0:
          add("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n");
          if (!head) add_body(body);
          break;
        case 1:
          add("HTTP/1.1 204 No Content\r\n\r\n");
          break;
        case 2:  // RFC 9112 7.1: chunks of up to 255 bytes, then the last chunk
          add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
          if (!head) {
            for (uint32_t left = body; left > 0;) {
              const uint32_t c = left < 255 ? left : 255;
              char size[16];
              std::snprintf(size, sizeof size, "%x\r\n", c);
              add(size);
              add_body(c);
              add("\r\n");
              left -= c;
            }
            add("0\r\n\r\n");
          }
          break;
        case 3:  // an interim response first (RFC 9110 15.2)
          add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: " +
              std::to_string(body) + "\r\n\r\n");
          if (!head) add_body(body);
          break;
        case 4:
          add("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + std::to_string(body) +
              "\r\n\r\n");
          if (!head) add_body(body);
          p.closes = true;
          break;
        case 5:  // RFC 9110 15.4.5: no body, whatever Content-Length says
          add("HTTP/1.1 304 Not Modified\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n");
          break;
        case 6:  // a body delimited by the server's close: nothing can follow it
          add("HTTP/1.1 200 OK\r\n\r\n");
          if (!head) {
            add_body(body);
            p.until_close = true;
          }
          break;
        default: {
          size_t got = 0;
          const uint8_t* raw = in.take(body % 64, &got);
          bytes_.insert(bytes_.end(), raw, raw + got);
          p.raw = true;
        }
      }
      // A head near the Requester's bound (max_head_bytes) is refused or not
      // depending on where it counts: nothing is predicted from there on.
      if (head_end_ - p.start + 2 >= rq.max_head_bytes) p.raw = true;
      p.end = static_cast<uint32_t>(bytes_.size());
      pieces_.push_back(p);
      if (p.until_close) break;
    }
  }

  // `len` bytes of the stream from `off` (zeros past its end).
  void copy(int64_t off, uint8_t* dst, uint32_t len) const {
    for (uint32_t i = 0; i < len; i++) {
      const int64_t at = off + i;
      dst[i] = at >= 0 && at < static_cast<int64_t>(bytes_.size()) ? bytes_[at] : 0;
    }
  }
  const std::vector<Piece>& pieces() const { return pieces_; }

 private:
  void add(const std::string& s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    if (!in_body_) head_end_ = static_cast<uint32_t>(bytes_.size());
  }
  void add_body(uint32_t n) {
    in_body_ = true;
    for (uint32_t i = 0; i < n; i++) bytes_.push_back(static_cast<uint8_t>('A' + i % 26));
  }

  uint32_t head_end_ = 0;  // where the current piece's head (interim ones included) ends
  bool in_body_ = false;

  std::vector<uint8_t> bytes_;
  std::vector<Piece> pieces_;
};

}  // namespace synack::fuzz
