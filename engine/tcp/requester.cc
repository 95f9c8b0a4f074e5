#include "tcp/requester.h"

#include <algorithm>
#include <cstring>

namespace synack::tcp {

namespace {

// The send stream's offsets are 32-bit (TxSegment::data_off, Tcb::snd_queued);
// the same bound as the responder's keeps them far from wrapping.
constexpr uint64_t kMaxStream = 1u << 30;

// RFC 9110 9.1: method names are case-sensitive.
bool is_head_request(const std::vector<uint8_t>& r) {
  static constexpr char kHead[] = "HEAD ";
  return r.size() >= 5 && std::memcmp(r.data(), kHead, 5) == 0;
}

RequesterState* state_of(AppContext& c) {
  return static_cast<RequesterState*>(c.state());
}

}  // namespace

const char* requester_config_problem(const RequesterConfig& cfg) {
  if (cfg.request.empty()) return "the request is empty";
  if (cfg.requests_per_connection == 0) return "requests per connection must be at least 1";
  if (cfg.requests_per_connection > UINT16_MAX) return "requests per connection must be <= 65535";
  if (cfg.max_head_bytes == 0) return "the response head bound must be at least 1 byte";
  const uint64_t last = cfg.last_request.empty() ? cfg.request.size() : cfg.last_request.size();
  const uint64_t total = uint64_t{cfg.requests_per_connection - 1} * cfg.request.size() + last;
  if (total > kMaxStream) return "requests per connection times the request size exceeds 1 GiB";
  return nullptr;
}

Requester::Requester(RequesterConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.last_request.empty()) cfg_.last_request = cfg_.request;
  head_ = is_head_request(cfg_.request);
  last_head_ = is_head_request(cfg_.last_request);
}

uint32_t Requester::request_len(uint32_t i) const {
  const auto& r = i + 1 == cfg_.requests_per_connection ? cfg_.last_request : cfg_.request;
  return static_cast<uint32_t>(r.size());
}

ResponseLimits Requester::limits(const RequesterState& s) const {
  ResponseLimits l;
  l.max_head = cfg_.max_head_bytes;
  l.head_request = s.responses_done + 1u == cfg_.requests_per_connection ? last_head_ : head_;
  return l;
}

void Requester::send_request(AppContext& c, RequesterState& s) const {
  c.queue(request_len(s.requests_sent));
  ++s.requests_sent;
  c.report(event::kRequestSent);
}

void Requester::on_established(AppContext& c) const {
  RequesterState* s = state_of(c);
  if (s == nullptr || s->requests_sent != 0) return;
  send_request(c, *s);
}

bool Requester::complete(AppContext& c, RequesterState& s) const {
  ++s.responses_done;
  c.report(event::kResponseDone);
  const bool server_closes = s.parser.connection_close();
  s.parser.reset();
  return server_closes;
}

void Requester::next_or_close(AppContext& c, RequesterState& s, bool server_closes) const {
  if (s.responses_done < cfg_.requests_per_connection) {
    // A request after the server's FIN, or after it said it closes, would
    // never be answered (RFC 9112 9.6).
    if (!server_closes && !c.tcb().has(tcbflag::kFinReceived)) {
      send_request(c, s);
      return;
    }
    c.report(event::kServerEndedEarly);
  }
  if (cfg_.active_close) c.close();
}

void Requester::on_data(AppContext& c, const uint8_t* data, uint32_t len) const {
  RequesterState* s = state_of(c);
  // Without the bytes there is nothing to parse (a caller that has none).
  if (s == nullptr || data == nullptr) return;
  // Bytes while no request is outstanding answer nothing we asked; nor do
  // bytes before any of the outstanding request has left (a response riding
  // on the segment that completes a simultaneous open, queued with it).
  const Tcb& t = c.tcb();
  const bool outstanding = s->responses_done != s->requests_sent;
  if (!outstanding ||
      t.snd_nxt <= t.iss + 1 + (t.snd_queued - request_len(s->requests_sent - 1u))) {
    c.report(event::kResponseMalformed);
    c.abort();
    return;
  }
  const uint8_t* p = data;
  const uint8_t* const end = data + len;
  switch (s->parser.feed(limits(*s), p, end)) {
    case ParseStatus::kNeedMore:
      return;
    case ParseStatus::kMalformed:
      c.report(event::kResponseMalformed);
      c.abort();
      return;
    case ParseStatus::kComplete: {
      const bool server_closes = complete(c, *s);
      // Bytes after a response in the same segment left the server before
      // it could have seen a next request (there is no pipelining): they
      // answer nothing, and what follows them cannot be framed.
      if (p != end) {
        c.report(event::kResponseMalformed);
        c.abort();
        return;
      }
      next_or_close(c, *s, server_closes);
      return;
    }
  }
}

void Requester::on_peer_fin(AppContext& c) const {
  RequesterState* s = state_of(c);
  if (s != nullptr && s->responses_done != s->requests_sent) {
    if (s->parser.complete_at_close()) {
      // RFC 9112 6.3 item 8: the body ends where the connection does.
      complete(c, *s);
      if (s->responses_done < cfg_.requests_per_connection) c.report(event::kServerEndedEarly);
    } else {
      c.report(event::kResponseTruncated);
    }
  }
  c.close();  // the server sends nothing more: our FIN answers its FIN
}

void Requester::copy_out(const Tcb&, const void*, uint32_t off, uint8_t* dst, uint32_t len) const {
  const uint64_t req_len = cfg_.request.size();
  const uint64_t repeated = uint64_t{cfg_.requests_per_connection - 1} * req_len;
  uint64_t pos = off;
  while (len > 0) {
    const uint8_t* src;
    uint64_t avail;
    if (pos < repeated) {
      const uint64_t in = pos % req_len;
      src = cfg_.request.data() + in;
      avail = req_len - in;
    } else if (pos - repeated < cfg_.last_request.size()) {
      src = cfg_.last_request.data() + (pos - repeated);
      avail = cfg_.last_request.size() - (pos - repeated);
    } else {
      std::memset(dst, 0, len);  // past the stream: never queued, never sent
      return;
    }
    const auto run = static_cast<uint32_t>(std::min<uint64_t>(len, avail));
    std::memcpy(dst, src, run);
    dst += run;
    len -= run;
    pos += run;
  }
}

}  // namespace synack::tcp
