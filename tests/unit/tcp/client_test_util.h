// Helpers for the client-side tests: HTTP responses to feed the requester, an
// application wrapper that records what it was given, and a Link that runs a
// client Endpoint (Requester) against a server Endpoint (Responder) by
// carrying each one's segments, bytes included, to the other.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tcp/endpoint.h"
#include "tcp/requester.h"
#include "tcp/responder.h"
#include "tcp_test_util.h"

namespace synack::tcp::testing {

inline constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n";
inline constexpr std::string_view kGetClose =
    "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nConnection: close\r\n\r\n";

inline std::vector<uint8_t> to_bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline RequesterConfig requester_config(uint32_t n, bool active_close,
                                        std::string_view request = kGet,
                                        std::string_view last = {}) {
  RequesterConfig rc;
  rc.request = to_bytes(request);
  rc.last_request = to_bytes(last);
  rc.requests_per_connection = n;
  rc.active_close = active_close;
  return rc;
}

// How a well-formed response ends (RFC 9112 6.3).
enum class Framing : uint8_t { kLength, kChunked, kNoBody, kUntilClose };

struct Sample {
  const char* name;
  std::string bytes;
  Framing framing;
};

// Well-formed responses to a GET: every framing the parser knows.
inline std::vector<Sample> response_corpus() {
  return {
      {"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello",
       Framing::kLength},
      {"length_zero", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Framing::kLength},
      {"length_case_and_ows",
       "HTTP/1.1 404 Not Found\r\ncontent-LENGTH: \t 12 \t\r\n\r\nnot found!\r\n",
       Framing::kLength},
      {"length_list_same",
       "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc", Framing::kLength},
      {"length_body_has_crlf", "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n\r\n\r\n\r\n\r\n",
       Framing::kLength},
      {"length_bare_lf", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", Framing::kLength},
      {"length_http10", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", Framing::kLength},
      {"length_no_reason", "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\ny", Framing::kLength},
      {"length_no_reason_sp", "HTTP/1.1 500\r\nContent-Length: 1\r\n\r\nz", Framing::kLength},
      {"length_fold_other_field",
       "HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 2\r\n\r\nhi", Framing::kLength},
      {"length_big_body",
       "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + std::string(3000, 'b'),
       Framing::kLength},
      {"chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1A;ext=1;q=\"a;b\"\r\n" +
           std::string(26, 'c') + "\r\n0\r\nX-Trailer: t\r\n\r\n",
       Framing::kChunked},
      {"chunked_last_of_list",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip , CHUNKED\r\n\r\nb "
       "\t;x\r\n0123456789a\r\n0000\r\n\r\n",
       Framing::kChunked},
      {"chunked_overrides_length",
       "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
       "chunked\r\n\r\n1\r\nq\r\n0\r\n\r\n",
       Framing::kChunked},
      {"chunked_two_te_lines",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       Framing::kChunked},
      {"no_content", "HTTP/1.1 204 No Content\r\nServer: t\r\n\r\n", Framing::kNoBody},
      {"not_modified_with_length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
       Framing::kNoBody},
      {"interim_then_final",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\nContent-Length: "
       "9\r\n"
       "\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
       Framing::kLength},
      {"until_close", "HTTP/1.1 200 OK\r\nServer: t\r\n\r\nthe body runs to the FIN",
       Framing::kUntilClose},
      {"until_close_empty_head", "HTTP/1.1 200 OK\r\n\r\n", Framing::kUntilClose},
      {"until_close_coding_not_chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nzzzz",
       Framing::kUntilClose},
  };
}

struct BadSample {
  const char* name;
  std::string bytes;
  ResponseError error;
};

// Responses the parser refuses, with the reason it must give.
inline std::vector<BadSample> malformed_corpus() {
  using E = ResponseError;
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  return {
      {"not_http", "FTP/1.1 200 OK\r\n\r\n", E::kBadStatusLine},
      {"lower_case_name", "http/1.1 200 OK\r\n\r\n", E::kBadStatusLine},
      {"http2", "HTTP/2.0 200 OK\r\n\r\n", E::kBadStatusLine},
      {"no_minor", "HTTP/1. 200 OK\r\n\r\n", E::kBadStatusLine},
      {"two_spaces", "HTTP/1.1  200 OK\r\n\r\n", E::kBadStatusCode},
      {"code_two_digits", "HTTP/1.1 20 OK\r\n\r\n", E::kBadStatusCode},
      {"code_four_digits", "HTTP/1.1 2000 OK\r\n\r\n", E::kBadStatusCode},
      {"code_600", "HTTP/1.1 600 X\r\n\r\n", E::kBadStatusCode},
      {"code_099", "HTTP/1.1 099 X\r\n\r\n", E::kBadStatusCode},
      {"code_letters", "HTTP/1.1 2x0 X\r\n\r\n", E::kBadStatusCode},
      {"status_line_ends_early", "HTTP/1.1\r\n\r\n", E::kBadStatusLine},
      {"switching_protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
       E::kUnexpectedUpgrade},
      {"bare_cr_status", "HTTP/1.1 200 OK\rX\r\n\r\n", E::kBareCr},
      {"bare_cr_field", ok + "A: b\rc\r\n\r\n", E::kBareCr},
      {"field_without_colon", ok + "Content-Length 5\r\n\r\nhello", E::kBadFieldLine},
      {"space_before_colon", ok + "Content-Length : 5\r\n\r\nhello", E::kBadFieldLine},
      {"empty_name", ok + ": 5\r\n\r\n", E::kBadFieldLine},
      {"length_no_digits", ok + "Content-Length: abc\r\n\r\n", E::kBadContentLength},
      {"length_empty", ok + "Content-Length: \r\n\r\n", E::kBadContentLength},
      {"length_only_commas", ok + "Content-Length: , ,\r\n\r\n", E::kBadContentLength},
      {"length_two_numbers", ok + "Content-Length: 1 2\r\n\r\n", E::kBadContentLength},
      {"length_negative", ok + "Content-Length: -1\r\n\r\n", E::kBadContentLength},
      {"length_plus", ok + "Content-Length: +5\r\n\r\n", E::kBadContentLength},
      {"length_hex", ok + "Content-Length: 0x10\r\n\r\n", E::kBadContentLength},
      {"length_2_pow_32", ok + "Content-Length: 4294967296\r\n\r\n", E::kLengthTooLarge},
      {"length_huge", ok + "Content-Length: 99999999999999999999\r\n\r\n", E::kLengthTooLarge},
      {"length_conflict_lines", ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
       E::kConflictingLength},
      {"length_conflict_list", ok + "Content-Length: 5, 6\r\n\r\nhello", E::kConflictingLength},
      {"length_folded", ok + "Content-Length: 5\r\n 6\r\n\r\nhello", E::kFoldedFramingField},
      {"coding_folded", ok + "Transfer-Encoding: gzip,\r\n\tchunked\r\n\r\n",
       E::kFoldedFramingField},
      {"chunk_not_hex", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", E::kBadChunk},
      {"chunk_size_empty", ok + "Transfer-Encoding: chunked\r\n\r\n\r\n", E::kBadChunk},
      {"chunk_size_two_numbers", ok + "Transfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n",
       E::kBadChunk},
      {"chunk_no_crlf_after_data", ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n",
       E::kBadChunk},
      {"chunk_too_large", ok + "Transfer-Encoding: chunked\r\n\r\n100000000\r\n",
       E::kChunkTooLarge},
      {"head_too_long", ok + "X-Big: " + std::string(20000, 'x') + "\r\n\r\n", E::kHeadTooLong},
      {"endless_interim",
       [] {
         std::string s;
         for (int i = 0; i < 1000; ++i) s += "HTTP/1.1 100 Continue\r\n\r\n";
         return s;
       }(),
       E::kHeadTooLong},
      {"trailers_too_long",
       ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nT: " + std::string(20000, 't') + "\r\n\r\n",
       E::kHeadTooLong},
  };
}

// Forwards to an application and keeps the bytes it was given.
class Recording final : public Application {
 public:
  explicit Recording(const Application& inner) : inner_(inner) {}
  void on_established(AppContext& c) const override { inner_.on_established(c); }
  void on_data(AppContext& c, const uint8_t* d, uint32_t n) const override {
    if (d != nullptr) got.append(reinterpret_cast<const char*>(d), n);
    inner_.on_data(c, d, n);
  }
  void on_peer_fin(AppContext& c) const override {
    ++fins;
    inner_.on_peer_fin(c);
  }
  void copy_out(const Tcb& t, const void* s, uint32_t off, uint8_t* dst,
                uint32_t len) const override {
    inner_.copy_out(t, s, off, dst, len);
  }
  mutable std::string got;
  mutable int fins = 0;

 private:
  const Application& inner_;
};

inline constexpr uint32_t kClientIss = 700000;
inline constexpr uint32_t kServerIss = 300000;

// tcpdump-like flags: S, F, R, P then "." for ACK.
inline std::string flag_text(uint8_t f) {
  std::string s;
  if (f & tcpflag::kSyn) s += 'S';
  if (f & tcpflag::kFin) s += 'F';
  if (f & tcpflag::kRst) s += 'R';
  if (f & tcpflag::kPsh) s += 'P';
  if (f & tcpflag::kAck) s += '.';
  return s;
}

// A client Endpoint running a Requester and a server Endpoint running a
// Responder, with a wire between them that carries segments in order (and
// loses those `lose` picks). Each side's Output after each call is kept.
class Link {
 public:
  struct Packet {
    bool to_server;
    Segment seg;
    std::vector<uint8_t> bytes;
  };
  struct Step {
    bool client;  // which side produced this Output
    uint32_t events;
    Drop drop;
  };

  Link(const EndpointConfig& client_cfg, RequesterConfig rc, const EndpointConfig& server_cfg,
       std::string_view response, bool server_active_close)
      : requester(std::move(rc)),
        responder(to_bytes(response), server_active_close),
        client_app(requester),
        server_app(responder),
        client(client_cfg, client_app),
        server(server_cfg, server_app) {}
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void open() {
    client.open(ctcb, Seq(kClientIss), now, cout);
    record(true, cout);
  }
  // Carries packets until none is in flight (or `max_steps`).
  void run(int max_steps = 100000) {
    for (int i = 0; i < max_steps && !wire.empty(); ++i) step();
  }
  void fire_client_timer() {
    client.on_timer(ctcb, now, cout, &cstate);
    record(true, cout);
  }
  void fire_server_timer() {
    server.on_timer(stcb, now, sout);
    record(false, sout);
  }

  // Every event either side reported, ORed.
  uint32_t client_events() const { return events_of(true); }
  uint32_t server_events() const { return events_of(false); }
  int count_client(uint32_t e) const {
    int n = 0;
    for (const Step& s : steps) n += (s.client && (s.events & e)) ? 1 : 0;
    return n;
  }
  std::string trace_text() const {
    std::string s;
    for (const std::string& t : trace) s += t + "\n";
    return s;
  }

  Requester requester;
  Responder responder;
  Recording client_app;
  Recording server_app;
  Endpoint client;
  Endpoint server;
  Tcb ctcb;
  Tcb stcb;
  RequesterState cstate;
  Output cout;
  Output sout;
  uint64_t now = 100;
  bool server_exists = false;
  std::deque<Packet> wire;
  std::vector<std::string> trace;  // "C S", "S S.", "C P. 38"...
  std::vector<Step> steps;
  std::function<bool(const Packet&)> lose;
  // The right edge of the receive window the client last advertised, and
  // whether the server ever sent past it.
  Seq client_right_edge;
  bool server_overran_window = false;

 private:
  uint32_t events_of(bool client_side) const {
    uint32_t e = 0;
    for (const Step& s : steps) e |= s.client == client_side ? s.events : 0;
    return e;
  }

  void record(bool from_client, const Output& out) {
    steps.push_back({from_client, out.events, out.drop});
    if (!from_client && out.has(event::kCreated)) server_exists = true;
    if (!from_client && out.has(event::kClosed)) server_exists = false;
    for (int i = 0; i < out.n_tx; ++i) {
      const TxSegment& t = out.tx[i];
      Packet p;
      p.to_server = from_client;
      p.seg.seq = t.seq;
      p.seg.ack = t.ack;
      p.seg.flags = t.flags;
      p.seg.wnd = t.wnd;
      p.seg.opts = t.opts;
      p.seg.payload_len = t.data_len;
      p.bytes.resize(t.data_len);
      if (t.data_len > 0) {
        if (from_client) {
          client_app.copy_out(ctcb, &cstate, t.data_off, p.bytes.data(), t.data_len);
        } else {
          server_app.copy_out(stcb, nullptr, t.data_off, p.bytes.data(), t.data_len);
        }
      }
      std::string line = std::string(from_client ? "C " : "S ") + flag_text(t.flags);
      if (t.data_len > 0) line += " " + std::to_string(t.data_len);
      trace.push_back(line);
      if (from_client && (t.flags & tcpflag::kAck)) {
        const uint32_t shift = (t.flags & tcpflag::kSyn) ? 0 : ctcb.rcv_wscale();
        client_right_edge = t.ack + (uint32_t{t.wnd} << shift);
      }
      if (!from_client && t.data_len > 0 && (ctcb.state != State::kSynSent) &&
          t.seq + t.data_len > client_right_edge) {
        server_overran_window = true;
      }
      wire.push_back(std::move(p));
    }
  }

  void step() {
    Packet p = std::move(wire.front());
    wire.pop_front();
    if (lose && lose(p)) {
      trace.push_back(std::string(p.to_server ? "C " : "S ") + "lost");
      return;
    }
    p.seg.payload = p.bytes.empty() ? nullptr : p.bytes.data();
    if (p.to_server) {
      if (server_exists) {
        server.on_segment(stcb, p.seg, now, sout);
      } else if (p.seg.flags == tcpflag::kSyn) {
        server.on_listen(p.seg, Seq(kServerIss), now, stcb, sout);
      } else {
        Endpoint::on_closed(p.seg, sout);
      }
      record(false, sout);
    } else {
      if (ctcb.state == State::kClosed) {
        Endpoint::on_closed(p.seg, cout);
      } else {
        client.on_segment(ctcb, p.seg, now, cout, &cstate);
      }
      record(true, cout);
    }
  }
};

}  // namespace synack::tcp::testing
