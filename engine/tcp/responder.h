// The server application: every request is answered with the same response
// bytes. With an active close the first request is the only one and our FIN
// follows the response (the engine then holds TIME-WAIT); with a passive close
// each request (the new data of one segment) is answered and the connection
// stays open until the peer's FIN, which we answer with ours.
#pragma once

#include <cstdint>
#include <vector>

#include "tcp/application.h"

namespace synack::tcp {

class Responder final : public Application {
 public:
  Responder(std::vector<uint8_t> response, bool active_close)
      : response_(std::move(response)), active_close_(active_close) {}

  void on_data(AppContext& c, const uint8_t* data, uint32_t len) const override;
  void on_peer_fin(AppContext& c) const override;
  void copy_out(const Tcb& tcb, const void* state, uint32_t off, uint8_t* dst,
                uint32_t len) const override;

  uint32_t response_len() const { return static_cast<uint32_t>(response_.size()); }
  bool active_close() const { return active_close_; }

 private:
  std::vector<uint8_t> response_;
  bool active_close_;
};

}  // namespace synack::tcp
