// Shared helpers for the engine/tcp unit tests: a fluent segment builder and a
// harness that drives a real handshake to reach any state.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include <optional>
#include <string_view>
#include <vector>

#include "tcp/application.h"
#include "tcp/endpoint.h"
#include "tcp/requester.h"
#include "tcp/responder.h"
#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::tcp::testing {

inline constexpr uint32_t kCliIsn = 1000;
inline constexpr uint32_t kSrvIss = 5000;

// Fluent builder: Seg().syn().seq(1).ack(2).data(10)...
class Seg {
 public:
  Seg() { s_.wnd = 65535; }
  Seg& seq(uint32_t s) {
    s_.seq = Seq(s);
    return *this;
  }
  Seg& seq(Seq s) {
    s_.seq = s;
    return *this;
  }
  Seg& ack(uint32_t a) {
    s_.ack = Seq(a);
    s_.flags |= tcpflag::kAck;
    return *this;
  }
  Seg& ack(Seq a) {
    s_.ack = a;
    s_.flags |= tcpflag::kAck;
    return *this;
  }
  Seg& syn() {
    s_.flags |= tcpflag::kSyn;
    return *this;
  }
  Seg& fin() {
    s_.flags |= tcpflag::kFin;
    return *this;
  }
  Seg& rst() {
    s_.flags |= tcpflag::kRst;
    return *this;
  }
  Seg& psh() {
    s_.flags |= tcpflag::kPsh;
    return *this;
  }
  Seg& flags(uint8_t f) {
    s_.flags = f;
    return *this;
  }
  Seg& data(uint32_t n) {
    s_.payload_len = n;
    return *this;
  }
  // Payload bytes; `b` must outlive the segment's use.
  Seg& bytes(std::string_view b) {
    s_.payload = reinterpret_cast<const uint8_t*>(b.data());
    s_.payload_len = static_cast<uint32_t>(b.size());
    return *this;
  }
  Seg& wnd(uint16_t w) {
    s_.wnd = w;
    return *this;
  }
  Seg& mss(uint16_t m) {
    s_.opts.has_mss = true;
    s_.opts.mss = m;
    return *this;
  }
  Seg& ws(uint8_t w) {
    s_.opts.has_wscale = true;
    s_.opts.wscale = w;
    return *this;
  }
  Seg& sack() {
    s_.opts.sack_permitted = true;
    return *this;
  }
  Seg& ts(uint32_t val, uint32_t ecr = 0) {
    s_.opts.has_timestamps = true;
    s_.opts.ts_val = val;
    s_.opts.ts_ecr = ecr;
    return *this;
  }
  operator Segment() const { return s_; }  // NOLINT: fluent conversion
  const Segment& get() const { return s_; }

 private:
  Segment s_;
};

// An Endpoint configuration plus the server application's: the response is
// `response_len` bytes, sent with an active or a passive close.
struct ServerSetup : EndpointConfig {
  uint32_t response_len = 0;
  bool active_close = true;
};

inline ServerSetup server(uint32_t response_len, bool active_close) {
  ServerSetup c;
  c.response_len = response_len;
  c.active_close = active_close;
  return c;
}

// The client role of these tests: an application that sends nothing and
// never closes (CLOSE-WAIT persists after the peer's FIN).
class SilentApp final : public Application {
 public:
  void on_data(AppContext&, const uint8_t*, uint32_t) const override {}
  void on_peer_fin(AppContext&) const override {}
  void copy_out(const Tcb&, const void*, uint32_t, uint8_t*, uint32_t) const override {}
};

// Drives an Endpoint as the server (or, after syn_sent(), the client) through
// real segments. The client application is SilentApp unless use_requester()
// gave it a Requester, whose per-flow state is `req_state`. Not copyable: the
// client Endpoint points at the Requester inside.
struct Harness {
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  explicit Harness(const ServerSetup& c = ServerSetup())
      : setup(c),
        responder(std::vector<uint8_t>(c.response_len, 'r'), c.active_close),
        ep(c, responder),
        client_ep(c, silent) {}

  ServerSetup setup;
  Responder responder;
  SilentApp silent;
  Endpoint ep;
  Endpoint client_ep;
  std::optional<Requester> requester;
  RequesterState req_state;
  Tcb tcb;
  Output out;
  uint64_t now = 100;

  // The client runs `rc` (which must pass requester_config_problem()).
  void use_requester(RequesterConfig rc) {
    requester.emplace(std::move(rc));
    client_ep = Endpoint(setup, *requester);
    req_state = RequesterState{};
  }
  const EndpointConfig& cfg() const { return ep.config(); }
  bool client_role() const { return tcb.has(tcbflag::kActiveOpen); }
  const Endpoint& role() const { return client_role() ? client_ep : ep; }
  void* app_state() { return client_role() && requester ? &req_state : nullptr; }
  const Output& listen(const Segment& s) {
    ep.on_listen(s, Seq(kSrvIss), now, tcb, out);
    return out;
  }
  const Output& in(const Segment& s) {
    role().on_segment(tcb, s, now, out, app_state());
    return out;
  }
  const Output& timer() {
    role().on_timer(tcb, now, out, app_state());
    return out;
  }
  // Peer's next in-sequence segment acking everything we sent.
  Seg next() const { return Seg().seq(tcb.rcv_nxt).ack(tcb.snd_nxt); }

  // SYN (plain, no options) -> SYN-RECEIVED.
  void syn_received(const Segment& syn = Seg().syn().seq(kCliIsn).mss(1460)) {
    listen(syn);
    ASSERT_EQ(tcb.state, State::kSynReceived);
  }
  void established() {
    syn_received();
    in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1));
    ASSERT_EQ(tcb.state, State::kEstablished);
  }
  // Request seen; with active_close the FIN is queued -> FIN-WAIT-1.
  void request(uint32_t len = 10) { in(next().data(len).psh()); }
  void fin_wait_1() {
    established();
    request();
    ASSERT_EQ(tcb.state, State::kFinWait1);
  }
  void fin_wait_2() {
    fin_wait_1();
    in(next());
    ASSERT_EQ(tcb.state, State::kFinWait2);
  }
  void closing() {
    fin_wait_1();
    in(Seg().seq(tcb.rcv_nxt).ack(tcb.snd_una).fin());
    ASSERT_EQ(tcb.state, State::kClosing);
  }
  void time_wait() {
    fin_wait_2();
    in(next().fin());
    ASSERT_EQ(tcb.state, State::kTimeWait);
  }
  // Peer's FIN before any request: we answer FIN -> LAST-ACK.
  void last_ack() {
    established();
    in(next().fin());
    ASSERT_EQ(tcb.state, State::kLastAck);
  }
  void syn_sent() {
    client_ep.open(tcb, Seq(kSrvIss), now, out);
    ASSERT_EQ(tcb.state, State::kSynSent);
  }
  void client_established() {
    syn_sent();
    in(Seg().syn().ack(kSrvIss + 1).seq(kCliIsn).mss(1460));
    ASSERT_EQ(tcb.state, State::kEstablished);
  }
  // The client app does nothing on the peer's FIN: CLOSE-WAIT persists.
  void close_wait() {
    client_established();
    in(next().fin());
    ASSERT_EQ(tcb.state, State::kCloseWait);
  }
};

}  // namespace synack::tcp::testing
