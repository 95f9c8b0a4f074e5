// The application step behind an Endpoint: what a connection sends and what
// it does with what it receives. The server's responder (responder.h) and the
// client's requester implement it; a SYN proxy's splice would be a third. The
// Endpoint calls it after it has taken a segment's text and FIN (RFC 9293
// 3.10.7.4 steps 7-8), so the application never sees a sequence number.
#pragma once

#include <cstdint>

#include "tcp/output.h"
#include "tcp/tcb.h"

namespace synack::tcp {

// What the application may do with its connection during one call.
class AppContext {
 public:
  AppContext(Tcb& tcb, void* state, uint64_t now_ms, Output& out)
      : tcb_(tcb), state_(state), now_ms_(now_ms), out_(out) {}

  Tcb& tcb() { return tcb_; }
  // Per-flow state the runtime keeps for this application (nullptr if none).
  void* state() { return state_; }
  uint64_t now_ms() const { return now_ms_; }
  // Appends `bytes` to the send stream; the Endpoint sends them as the peer's
  // window and the congestion window allow.
  void queue(uint32_t bytes) { tcb_.snd_queued += bytes; }
  // RFC 9293 3.10.4 CLOSE: our FIN goes after everything queued.
  void close();
  // RFC 9293 3.10.5 ABORT, from on_data or on_peer_fin: the TCB is CLOSED at
  // once (event::kClosed), after a RST (event::kResetSent) in the states that
  // send one; the Endpoint sends nothing else for this segment.
  void abort();
  void report(uint32_t event) { out_.events |= event; }

 private:
  Tcb& tcb_;
  void* state_;
  uint64_t now_ms_;
  Output& out_;
};

class Application {
 public:
  virtual ~Application() = default;
  // The connection reached ESTABLISHED.
  virtual void on_established(AppContext&) const {}
  // `len` new in-order bytes (`data` may be null when the caller has no bytes).
  virtual void on_data(AppContext& c, const uint8_t* data, uint32_t len) const = 0;
  // The peer's FIN was taken: it sends nothing more.
  virtual void on_peer_fin(AppContext& c) const = 0;
  // Copies the send stream's bytes [off, off + len) to `dst` when a segment
  // is written (the stream starts at ISS+1).
  virtual void copy_out(const Tcb& tcb, const void* state, uint32_t off, uint8_t* dst,
                        uint32_t len) const = 0;
};

}  // namespace synack::tcp
