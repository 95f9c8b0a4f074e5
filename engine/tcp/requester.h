// The client application: HTTP/1.1 load generation. Each connection sends up
// to N requests, one at a time (no pipelining): the first when the connection
// is established, each next one when the response to the previous one is
// complete. After the N-th response an active close sends our FIN at once (the
// client then holds TIME-WAIT); a passive close waits for the server's FIN and
// answers it.
//
// Events (output.h), at most one of each per Endpoint call, since only one
// request is outstanding: kRequestSent, kResponseDone (when both are set, the
// response is the one to the request before the one just sent),
// kResponseTruncated, kResponseMalformed, kServerEndedEarly.
//
// A response that cannot be parsed (http_response_parser.h says which), or
// bytes that arrive while no request is outstanding, abort the connection
// (AppContext::abort: a RST, the TCB CLOSED): RFC 9112 6.3 item 5 tells a
// user agent to close the connection and discard the response, and a graceful
// close would leave the server sending into a connection that reads nothing.
// A response cut short by the server's FIN is answered with our FIN: the
// server closed properly, only the response was short.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "tcp/application.h"
#include "tcp/http_response_parser.h"

namespace synack::tcp {

struct RequesterConfig {
  std::vector<uint8_t> request;       // the bytes of every request
  std::vector<uint8_t> last_request;  // the N-th request's bytes; empty: `request`
  uint32_t requests_per_connection = 1;
  bool active_close = true;
  uint16_t max_head_bytes = 16384;  // ResponseLimits::max_head
};

// nullptr when `cfg` is usable, else why not (for a start-up error line).
const char* requester_config_problem(const RequesterConfig& cfg);

// The per-flow state the runtime keeps for the requester and passes as
// AppContext::state(): all zero for a new connection.
struct RequesterState {
  HttpResponseParser parser;  // the response to the outstanding request
  uint16_t requests_sent = 0;
  uint16_t responses_done = 0;  // complete responses; < requests_sent while one is due
};
static_assert(sizeof(RequesterState) == 16);
static_assert(std::is_trivially_copyable_v<RequesterState>);

class Requester final : public Application {
 public:
  // `cfg` must pass requester_config_problem().
  explicit Requester(RequesterConfig cfg);

  void on_established(AppContext& c) const override;
  void on_data(AppContext& c, const uint8_t* data, uint32_t len) const override;
  void on_peer_fin(AppContext& c) const override;
  // The send stream is request N-1 times, then the last request.
  void copy_out(const Tcb& tcb, const void* state, uint32_t off, uint8_t* dst,
                uint32_t len) const override;

  const RequesterConfig& config() const { return cfg_; }
  // Bytes of request i (0-based).
  uint32_t request_len(uint32_t i) const;

 private:
  void send_request(AppContext& c, RequesterState& s) const;
  void response_done(AppContext& c, RequesterState& s) const;
  ResponseLimits limits(const RequesterState& s) const;

  RequesterConfig cfg_;
  bool head_ = false;       // `request` is a HEAD request: no response has a body
  bool last_head_ = false;  // the same for the last request
};

}  // namespace synack::tcp
