// The client application (tcp::Requester) through the real Endpoint: whole
// connections against the server Endpoint (Link), responses in every split,
// keep-alive rounds, truncated and malformed responses, and what the client's
// receive side acknowledges and advertises.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "client_test_util.h"
#include "tcp_test_util.h"

namespace synack::tcp::testing {
namespace {

constexpr uint8_t kSyn = tcpflag::kSyn;
constexpr uint8_t kAck = tcpflag::kAck;
constexpr uint8_t kFin = tcpflag::kFin;
constexpr uint8_t kRst = tcpflag::kRst;
constexpr uint8_t kPsh = tcpflag::kPsh;

const std::string kOk5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

// ---- configuration and the send stream ---------------------------------------------

TEST(RequesterConfig, ProblemsAreNamed) {
  EXPECT_EQ(requester_config_problem(requester_config(1, true)), nullptr);
  EXPECT_EQ(requester_config_problem(requester_config(65535, true)), nullptr);
  EXPECT_NE(requester_config_problem(requester_config(0, true)), nullptr);
  EXPECT_NE(requester_config_problem(requester_config(65536, true)), nullptr);
  EXPECT_NE(requester_config_problem(requester_config(1, true, "")), nullptr);
  RequesterConfig big = requester_config(65535, true);
  big.request.assign(16385, 'x');
  EXPECT_NE(requester_config_problem(big), nullptr) << "the stream must stay within 1 GiB";
  RequesterConfig head = requester_config(1, true);
  head.max_head_bytes = 0;
  EXPECT_NE(requester_config_problem(head), nullptr);
}

TEST(RequesterStream, RequestRepeatedThenTheLastOne) {
  const Requester r(requester_config(3, false, "abc", "LAST!"));
  EXPECT_EQ(r.request_len(0), 3u);
  EXPECT_EQ(r.request_len(1), 3u);
  EXPECT_EQ(r.request_len(2), 5u);
  const std::string want = "abcabcLAST!";
  Tcb t;
  // Every window of the stream, at every offset, across request boundaries.
  for (uint32_t off = 0; off < want.size(); ++off) {
    for (uint32_t len = 1; off + len <= want.size(); ++len) {
      std::string got(len, '?');
      r.copy_out(t, nullptr, off, reinterpret_cast<uint8_t*>(got.data()), len);
      EXPECT_EQ(got, want.substr(off, len)) << off << "+" << len;
    }
  }
  // Without a distinct last request the stream is the request repeated.
  const Requester same(requester_config(2, false, "xy"));
  std::string got(4, '?');
  same.copy_out(t, nullptr, 0, reinterpret_cast<uint8_t*>(got.data()), 4);
  EXPECT_EQ(got, "xyxy");
}

// ---- whole connections against the server Endpoint -------------------------------

EndpointConfig small_mss(uint16_t mss) {
  EndpointConfig c;
  c.mss = mss;
  return c;
}

// Active close: the client's FIN follows the response, the server answers it,
// the client holds TIME-WAIT, which ends on its timer.
TEST(RequesterLink, ActiveCloseEndsInClientTimeWait) {
  Link l(EndpointConfig(), requester_config(1, true, kGetClose), EndpointConfig(), kOk5, false);
  l.open();
  l.run();
  EXPECT_EQ(l.trace_text(),
            "C S\n"
            "S S.\n"
            "C P. " +
                std::to_string(kGetClose.size()) +
                "\n"
                "S P. " +
                std::to_string(kOk5.size()) +
                "\n"
                "C F.\n"
                "S F.\n"
                "C .\n");
  EXPECT_EQ(l.server_app.got, kGetClose);
  EXPECT_EQ(l.client_app.got, kOk5);
  const uint32_t want =
      event::kEstablished | event::kRequestSent | event::kResponseDone | event::kTimeWait;
  EXPECT_EQ(l.client_events() & want, want);
  EXPECT_EQ(l.client_events() & (event::kResponseTruncated | event::kResponseMalformed |
                                 event::kServerEndedEarly | event::kClosed),
            0u);
  EXPECT_EQ(l.ctcb.state, State::kTimeWait);
  EXPECT_EQ(l.stcb.state, State::kClosed);
  EXPECT_EQ(l.cstate.requests_sent, 1);
  EXPECT_EQ(l.cstate.responses_done, 1);
  EXPECT_FALSE(l.server_overran_window);
  EXPECT_EQ(l.cout.timer, TimerOp::kArm);
  EXPECT_EQ(l.cout.timer_ms, l.client.config().time_wait_ms);
  l.fire_client_timer();
  EXPECT_TRUE(l.cout.has(event::kClosed | event::kTimeWaitExpired));
  EXPECT_EQ(l.ctcb.state, State::kClosed);
}

// Passive close: the server's FIN rides on the response; the client answers it.
TEST(RequesterLink, PassiveCloseAnswersTheServersFin) {
  Link l(EndpointConfig(), requester_config(1, false, kGetClose), EndpointConfig(), kOk5, true);
  l.open();
  l.run();
  EXPECT_EQ(l.trace_text(),
            "C S\n"
            "S S.\n"
            "C P. " +
                std::to_string(kGetClose.size()) +
                "\n"
                "S FP. " +
                std::to_string(kOk5.size()) +
                "\n"
                "C F.\n"
                "S .\n");
  EXPECT_EQ(l.client_app.got, kOk5);
  EXPECT_EQ(l.client_app.fins, 1);
  EXPECT_TRUE(l.client_events() & event::kResponseDone);
  EXPECT_FALSE(l.client_events() & event::kResponseTruncated);
  EXPECT_FALSE(l.client_events() & event::kTimeWait);
  EXPECT_TRUE(l.client_events() & event::kClosed) << "LAST-ACK ends when our FIN is acked";
  EXPECT_EQ(l.ctcb.state, State::kClosed);
  EXPECT_EQ(l.stcb.state, State::kTimeWait);
}

// Passive close with a server that waits too: after the response nobody
// closes; the client sits in ESTABLISHED on its idle timer until the server's
// FIN, which it answers, with nothing outstanding and nothing truncated.
TEST(RequesterLink, PassiveCloseWaitsForTheServer) {
  Link l(EndpointConfig(), requester_config(1, false), EndpointConfig(), kOk5, false);
  l.open();
  l.run();
  EXPECT_EQ(l.ctcb.state, State::kEstablished);
  EXPECT_EQ(l.stcb.state, State::kEstablished);
  EXPECT_EQ(l.cstate.responses_done, 1);
  EXPECT_EQ(l.cout.timer, TimerOp::kArm);
  EXPECT_EQ(l.cout.timer_ms, l.client.config().idle_timeout_ms);
  // The server's FIN, as its next segment would carry it.
  l.client.on_segment(l.ctcb, Seg().seq(l.stcb.snd_nxt).ack(l.stcb.rcv_nxt).fin(), l.now, l.cout,
                      &l.cstate);
  EXPECT_EQ(l.ctcb.state, State::kLastAck);
  ASSERT_EQ(l.cout.n_tx, 1);
  EXPECT_EQ(l.cout.tx[0].flags, kAck | kFin);
  EXPECT_FALSE(l.cout.has(event::kResponseTruncated | event::kResponseDone));
}

TEST(RequesterLink, ResponseInManySegmentsIsAckedSegmentBySegment) {
  const std::string body(3000, 'q');
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + body;
  // The client announces MSS 100: the server sends 100-byte segments.
  Link l(small_mss(100), requester_config(1, true), EndpointConfig(), resp, false);
  l.open();
  l.run();
  EXPECT_EQ(l.client_app.got, resp);
  EXPECT_EQ(l.count_client(event::kResponseDone), 1);
  EXPECT_EQ(l.ctcb.state, State::kTimeWait);
  // Every server data segment is answered by one client segment at once.
  int server_data = 0;
  int client_acks = 0;
  for (const std::string& t : l.trace) {
    if (t.rfind("S P. ", 0) == 0 || t.rfind("S . ", 0) == 0) ++server_data;
    if (t == "C ." || t == "C F.") ++client_acks;
  }
  // MSS 100, less 12 bytes of timestamps (RFC 7323 3.2) in every segment.
  EXPECT_EQ(server_data, static_cast<int>((resp.size() + 87) / 88));
  EXPECT_EQ(client_acks, server_data + 1) << "one per data segment, one for the server's FIN\n"
                                          << l.trace_text();
  EXPECT_FALSE(l.server_overran_window);
}

TEST(RequesterLink, TenKeepAliveRoundsOnOneConnection) {
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nServer: t\r\n\r\nbody";
  Link l(EndpointConfig(), requester_config(10, true, kGet, kGetClose), EndpointConfig(), resp,
         false);
  l.open();
  l.run();
  std::string want_requests;
  for (int i = 0; i < 9; ++i) want_requests += kGet;
  want_requests += kGetClose;
  EXPECT_EQ(l.server_app.got, want_requests);
  std::string want_responses;
  for (int i = 0; i < 10; ++i) want_responses += resp;
  EXPECT_EQ(l.client_app.got, want_responses);
  EXPECT_EQ(l.count_client(event::kRequestSent), 10);
  EXPECT_EQ(l.count_client(event::kResponseDone), 10);
  EXPECT_EQ(l.count_client(event::kEstablished), 1);
  EXPECT_EQ(l.cstate.requests_sent, 10);
  EXPECT_EQ(l.cstate.responses_done, 10);
  EXPECT_EQ(l.ctcb.state, State::kTimeWait);
  EXPECT_EQ(l.stcb.state, State::kClosed);
  EXPECT_FALSE(l.client_events() & (event::kServerEndedEarly | event::kResponseTruncated));
  // Each next request rides on the ACK of the previous response.
  int requests_on_acks = 0;
  for (const Link::Step& s : l.steps) {
    if (s.client && (s.events & event::kResponseDone) && (s.events & event::kRequestSent)) {
      ++requests_on_acks;
    }
  }
  EXPECT_EQ(requests_on_acks, 9);
}

TEST(RequesterLink, ServerConnectionCloseEndsKeepAliveEarly) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n";
  Link l(EndpointConfig(), requester_config(5, false), EndpointConfig(), resp, true);
  l.open();
  l.run();
  EXPECT_EQ(l.cstate.requests_sent, 1) << "no request after the server said it closes";
  EXPECT_EQ(l.cstate.responses_done, 1);
  EXPECT_TRUE(l.client_events() & event::kServerEndedEarly);
  EXPECT_FALSE(l.client_events() & event::kResponseTruncated);
  EXPECT_EQ(l.ctcb.state, State::kClosed);
}

// A response larger than the client's window: the server sends at most a
// window ahead of the client's ACKs, the client takes every byte it
// advertised, and the response arrives intact.
TEST(RequesterLink, ResponseLargerThanTheWindowArrivesIntact) {
  std::string body;
  for (int i = 0; i < 50000; ++i) body += static_cast<char>('a' + i % 26);
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n" + body;
  for (uint8_t ws : {uint8_t{0}, uint8_t{3}}) {
    SCOPED_TRACE(int{ws});
    EndpointConfig cc;
    cc.rcv_wnd = 4000;
    cc.rcv_wscale = ws;
    Link l(cc, requester_config(1, true), EndpointConfig(), resp, false);
    l.open();
    l.run();
    EXPECT_EQ(l.client_app.got, resp);
    EXPECT_EQ(l.count_client(event::kResponseDone), 1);
    EXPECT_FALSE(l.server_overran_window);
    for (const Link::Step& s : l.steps) {
      if (s.client) {
        EXPECT_EQ(s.drop, Drop::kNone);
      }
    }
    EXPECT_EQ(l.ctcb.state, State::kTimeWait);
  }
}

// A lost response segment: the client keeps no out-of-order bytes, ACKs the
// hole at once, and the server's retransmission completes the response.
TEST(RequesterLink, LostSegmentIsRecoveredByTheServersRetransmission) {
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + std::string(400, 'z');
  Link l(small_mss(100), requester_config(1, true), EndpointConfig(), resp, false);
  int server_data = 0;
  l.lose = [&](const Link::Packet& p) {
    return !p.to_server && p.seg.payload_len > 0 && ++server_data == 2;
  };
  l.open();
  l.run();
  EXPECT_EQ(l.cstate.responses_done, 0);
  EXPECT_EQ(l.client_app.got, resp.substr(0, 88)) << "the first segment (MSS 100 - timestamps)";
  l.lose = nullptr;
  // RTO: go-back-N from the hole, one loss window per expiry (RFC 5681 3.1).
  for (int rto = 0; rto < 8 && l.cstate.responses_done == 0; ++rto) {
    l.fire_server_timer();
    EXPECT_TRUE(l.sout.has(event::kRetransmit));
    l.run();
  }
  EXPECT_EQ(l.client_app.got, resp);
  EXPECT_EQ(l.cstate.responses_done, 1);
  EXPECT_EQ(l.ctcb.state, State::kTimeWait);
}

// A lost request: the client's RTO resends it (RFC 6298), and after
// data_retries gives up with a RST (kGaveUp).
TEST(RequesterLink, LostRequestIsRetransmittedThenGivenUp) {
  EndpointConfig cc;
  cc.data_retries = 2;
  Link l(cc, requester_config(1, true), EndpointConfig(), kOk5, false);
  l.lose = [](const Link::Packet& p) { return p.to_server && p.seg.payload_len > 0; };
  l.open();
  l.run();
  EXPECT_EQ(l.ctcb.state, State::kEstablished);
  EXPECT_EQ(l.cout.timer, TimerOp::kArm);
  l.fire_client_timer();
  ASSERT_EQ(l.cout.n_tx, 1);
  EXPECT_EQ(l.cout.tx[0].data_len, kGet.size());
  EXPECT_EQ(l.cout.tx[0].data_off, 0u);
  EXPECT_TRUE(l.cout.has(event::kRetransmit));
  l.run();
  l.fire_client_timer();
  l.run();
  l.fire_client_timer();
  EXPECT_TRUE(l.cout.has(event::kClosed | event::kGaveUp | event::kResetSent));
  EXPECT_EQ(l.ctcb.state, State::kClosed);
}

// ---- responses in every split (the test plays the server) ------------------------

// The client with `rc`, established by a SYN-ACK with MSS and nothing else.
void client_up(Harness& h, RequesterConfig rc) {
  h.use_requester(std::move(rc));
  h.syn_sent();
  h.in(Seg().syn().ack(kSrvIss + 1).seq(kCliIsn).mss(1460));
  ASSERT_EQ(h.tcb.state, State::kEstablished);
  ASSERT_TRUE(h.out.has(event::kRequestSent));
  ASSERT_EQ(h.out.n_tx, 1);
  ASSERT_EQ(h.out.tx[0].data_len, h.requester->request_len(0));
}

struct Fed {
  int done = 0;          // Outputs with kResponseDone
  uint32_t events = 0;   // ORed
  Output last;           // of the last segment delivered
  bool stopped = false;  // the TCB closed before every part was delivered
};

// Delivers `parts` in order as in-sequence server segments.
Fed feed(Harness& h, const std::vector<std::string_view>& parts) {
  Fed f;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    if (h.tcb.state == State::kClosed) {
      f.stopped = true;
      break;
    }
    h.in(h.next().bytes(part).psh());
    f.done += h.out.has(event::kResponseDone) ? 1 : 0;
    f.events |= h.out.events;
    f.last = h.out;
  }
  return f;
}

std::vector<std::string_view> split_at(std::string_view s, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> parts;
  size_t from = 0;
  for (size_t c : cuts) {
    parts.push_back(s.substr(from, c - from));
    from = c;
  }
  parts.push_back(s.substr(from));
  return parts;
}

std::vector<size_t> random_cuts(std::mt19937& rng, size_t n) {
  std::vector<size_t> cuts;
  const size_t pieces = 1 + rng() % 12;
  for (size_t i = 1; i < n; ++i) {
    if (rng() % n < pieces) cuts.push_back(i);
  }
  return cuts;
}

// A well-formed response (N = 2 requests, active close) however it is split:
// one kResponseDone, then the second request in the same Output; a
// close-delimited one completes at the FIN instead.
void check_split(const Sample& s, const std::vector<std::string_view>& parts) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(2, true)));
  const Fed f = feed(h, parts);
  EXPECT_FALSE(f.events & (event::kResponseMalformed | event::kClosed));
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 1 + static_cast<uint32_t>(s.bytes.size())));
  if (s.framing == Framing::kUntilClose) {
    EXPECT_EQ(f.done, 0);
    h.in(h.next().fin());
    EXPECT_TRUE(h.out.has(event::kResponseDone));
    EXPECT_TRUE(h.out.has(event::kServerEndedEarly)) << "one of two requests answered";
    EXPECT_FALSE(h.out.has(event::kResponseTruncated));
    EXPECT_EQ(h.tcb.state, State::kLastAck);
    return;
  }
  EXPECT_EQ(f.done, 1);
  EXPECT_EQ(h.req_state.responses_done, 1);
  EXPECT_TRUE(f.last.has(event::kResponseDone));
  EXPECT_TRUE(f.last.has(event::kRequestSent)) << "the next request with the ACK";
  ASSERT_GE(f.last.n_tx, 1);
  EXPECT_EQ(f.last.tx[0].data_len, h.requester->request_len(1));
  EXPECT_EQ(f.last.tx[0].ack, h.tcb.rcv_nxt);
  EXPECT_EQ(h.req_state.requests_sent, 2);
}

TEST(RequesterSplits, WholeAndEveryTwoWaySplit) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    for (size_t k = 0; k < s.bytes.size(); ++k) {
      SCOPED_TRACE(k);
      check_split(s, split_at(s.bytes, {k}));
    }
  }
}

TEST(RequesterSplits, OneByteAtATime) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < s.bytes.size(); ++i) cuts.push_back(i);
    check_split(s, split_at(s.bytes, cuts));
  }
}

TEST(RequesterSplits, RandomSplits) {
  std::mt19937 rng(9112);
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    for (int run = 0; run < 40; ++run)
      check_split(s, split_at(s.bytes, random_cuts(rng, s.bytes.size())));
  }
}

// ---- truncated responses -------------------------------------------------------

size_t head_end(const std::string& r) {
  return r.find("\r\n\r\n") + 4;
}

// The server's FIN after every prefix of every response: a response not yet
// whole is truncated, and the client closes gracefully (FIN, not RST).
TEST(RequesterTruncated, FinAfterEveryPrefix) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    for (size_t k = 0; k < s.bytes.size(); ++k) {
      SCOPED_TRACE(k);
      Harness h;
      ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, false)));
      const Fed f = feed(h, {std::string_view(s.bytes).substr(0, k)});
      EXPECT_EQ(f.done, 0);
      h.in(h.next().fin());
      const bool complete = s.framing == Framing::kUntilClose && k >= head_end(s.bytes);
      EXPECT_EQ(h.out.has(event::kResponseDone), complete);
      EXPECT_EQ(h.out.has(event::kResponseTruncated), !complete);
      EXPECT_EQ(h.req_state.responses_done, complete ? 1 : 0);
      EXPECT_EQ(h.tcb.state, State::kLastAck);
      ASSERT_EQ(h.out.n_tx, 1);
      EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
      EXPECT_EQ(h.out.tx[0].ack, h.tcb.rcv_nxt);
    }
  }
}

TEST(RequesterTruncated, FinWithTheLastPartOfAShortBody) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, true)));
  const std::string part = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello";
  h.in(h.next().bytes(part).fin());
  EXPECT_TRUE(h.out.has(event::kResponseTruncated));
  EXPECT_FALSE(h.out.has(event::kResponseDone));
  EXPECT_EQ(h.tcb.state, State::kLastAck);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
}

// Data and FIN in one segment, the response whole but more requests due: it
// completes, no request follows the FIN, the client answers the FIN.
TEST(RequesterTruncated, ResponseWithFinBeforeTheLastRequest) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(3, false)));
  h.in(h.next().bytes(kOk5).fin());
  EXPECT_TRUE(h.out.has(event::kResponseDone));
  EXPECT_TRUE(h.out.has(event::kServerEndedEarly));
  EXPECT_FALSE(h.out.has(event::kRequestSent));
  EXPECT_FALSE(h.out.has(event::kResponseTruncated));
  EXPECT_EQ(h.req_state.requests_sent, 1);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
  EXPECT_EQ(h.out.tx[0].data_len, 0);
}

// ---- malformed responses: the connection is aborted --------------------------------

// `done`: a response completed in the same segment, before the bytes that
// answer nothing.
void check_aborted(const Harness& h, const Output& o, bool done = false) {
  EXPECT_TRUE(o.has(event::kResponseMalformed));
  EXPECT_TRUE(o.has(event::kClosed | event::kResetSent));
  EXPECT_EQ(o.has(event::kResponseDone), done);
  EXPECT_EQ(h.tcb.state, State::kClosed);
  EXPECT_EQ(o.timer, TimerOp::kCancel);
  ASSERT_EQ(o.n_tx, 1) << "the RST and nothing else";
  EXPECT_EQ(o.tx[0].flags, kRst | kAck);
  EXPECT_EQ(o.tx[0].seq, h.tcb.snd_nxt);
  EXPECT_EQ(o.tx[0].ack, h.tcb.rcv_nxt);
}

TEST(RequesterMalformed, EveryCaseInEverySplitIsAborted) {
  std::mt19937 rng(6);
  for (const BadSample& b : malformed_corpus()) {
    SCOPED_TRACE(b.name);
    std::vector<std::vector<size_t>> splits = {{}};
    std::vector<size_t> bytewise;
    for (size_t i = 1; i < b.bytes.size() && b.bytes.size() < 2000; ++i) bytewise.push_back(i);
    splits.push_back(bytewise);
    for (int run = 0; run < 10; ++run) splits.push_back(random_cuts(rng, b.bytes.size()));
    for (const std::vector<size_t>& cuts : splits) {
      Harness h;
      ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, true)));
      const Fed f = feed(h, split_at(b.bytes, cuts));
      EXPECT_EQ(f.done, 0);
      check_aborted(h, f.last);
      EXPECT_EQ(response_error_name(h.req_state.parser.error()),
                std::string(response_error_name(b.error)));
    }
  }
}

// Bytes after the whole response, with no request outstanding, answer nothing.
TEST(RequesterMalformed, BytesAfterTheLastResponse) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, false)));
  h.in(h.next().bytes(kOk5 + "X"));
  check_aborted(h, h.out, true);
  // In a later segment, the same.
  Harness g;
  ASSERT_NO_FATAL_FAILURE(client_up(g, requester_config(1, false)));
  g.in(g.next().bytes(kOk5));
  EXPECT_TRUE(g.out.has(event::kResponseDone));
  g.in(g.next().bytes("X"));
  check_aborted(g, g.out);
}

// Bytes after a response, before the next request has even left, are not its response.
TEST(RequesterMalformed, BytesBeforeTheNextRequestLeft) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(2, false)));
  h.in(h.next().bytes(kOk5 + kOk5));
  EXPECT_TRUE(h.out.has(event::kRequestSent));
  check_aborted(h, h.out, true);
}

// RFC 9293 3.10.5: ABORT sends a RST only in states that still send; junk
// with the server's FIN in FIN-WAIT-2 moves to TIME-WAIT, which ABORT deletes
// without a RST, and no TIME-WAIT is left to keep.
TEST(RequesterMalformed, AbortInTimeWaitSendsNoRst) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, true)));
  h.in(h.next().bytes(kOk5));
  ASSERT_EQ(h.tcb.state, State::kFinWait1);
  h.in(h.next());
  ASSERT_EQ(h.tcb.state, State::kFinWait2);
  h.in(h.next().bytes("junk").fin());
  EXPECT_TRUE(h.out.has(event::kResponseMalformed | event::kClosed));
  EXPECT_FALSE(h.out.has(event::kTimeWait));
  EXPECT_FALSE(h.out.has(event::kResetSent));
  EXPECT_EQ(h.out.n_tx, 0);
  EXPECT_EQ(h.tcb.state, State::kClosed);
  // In FIN-WAIT-2 without a FIN the RST goes out.
  Harness g;
  ASSERT_NO_FATAL_FAILURE(client_up(g, requester_config(1, true)));
  g.in(g.next().bytes(kOk5));
  g.in(g.next());
  g.in(g.next().bytes("junk"));
  check_aborted(g, g.out);
}

// ---- HEAD, interim responses, no-body statuses -------------------------------------

TEST(RequesterFraming, HeadResponsesHaveNoBody) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(
      client_up(h, requester_config(2, true, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")));
  h.in(h.next().bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"));
  EXPECT_TRUE(h.out.has(event::kResponseDone | event::kRequestSent));
  h.in(h.next().bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(h.out.has(event::kResponseDone));
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
  // Only the last request is HEAD: the first response has its body.
  Harness g;
  ASSERT_NO_FATAL_FAILURE(
      client_up(g, requester_config(2, true, kGet, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")));
  g.in(g.next().bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"));
  EXPECT_FALSE(g.out.has(event::kResponseDone));
  g.in(g.next().bytes("abcHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"));
  EXPECT_TRUE(g.out.has(event::kResponseDone)) << "the first response ends at abc";
  EXPECT_TRUE(g.out.has(event::kResponseMalformed)) << "the second request had not left";
}

TEST(RequesterFraming, InterimResponsesAreNotResponses) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, true)));
  h.in(h.next().bytes("HTTP/1.1 100 Continue\r\n\r\n"));
  EXPECT_FALSE(h.out.has(event::kResponseDone));
  EXPECT_EQ(h.req_state.responses_done, 0);
  h.in(h.next().bytes("HTTP/1.1 204 No Content\r\n\r\n"));
  EXPECT_TRUE(h.out.has(event::kResponseDone));
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
}

// ---- the receive side: ACKs and the window -----------------------------------------

// RFC 9293 3.8.6.3 and RFC 1122 4.2.3.2 allow delaying ACKs; we ACK every
// segment at once, so each in-order segment gets an ACK of its end and an
// out-of-order one a duplicate ACK of RCV.NXT (we keep no reordering buffer).
TEST(RequesterReceive, EverySegmentIsAckedAtOnce) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(client_up(h, requester_config(1, false)));
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + std::string(300, 'w');
  const std::string_view r(resp);
  const Seq start = h.tcb.rcv_nxt;
  // The second 100 bytes first: out of order, not taken, RCV.NXT ACKed again.
  h.in(Seg().seq(start + 100).ack(h.tcb.snd_nxt).bytes(r.substr(100, 100)));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck);
  EXPECT_EQ(h.out.tx[0].ack, start);
  EXPECT_EQ(h.tcb.rcv_nxt, start);
  for (size_t off = 0; off + 100 < resp.size(); off += 100) {
    h.in(h.next().bytes(r.substr(off, 100)));
    ASSERT_EQ(h.out.n_tx, 1) << off;
    EXPECT_EQ(h.out.tx[0].flags, kAck);
    EXPECT_EQ(h.out.tx[0].ack, start + static_cast<uint32_t>(off + 100));
    EXPECT_EQ(h.out.tx[0].data_len, 0);
  }
  h.in(h.next().bytes(r.substr(resp.size() / 100 * 100)));
  EXPECT_TRUE(h.out.has(event::kResponseDone));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].ack, start + static_cast<uint32_t>(resp.size()));
}

// The window the client advertises is what it takes: a constant (the
// application consumes every in-order byte at once), min(RCV.WND >> shift,
// 65535) in every segment, unscaled in the SYN (RFC 7323 2.2); a segment that
// fills it is taken whole, a byte past it is not.
TEST(RequesterReceive, AdvertisedWindowIsTakenInFull) {
  struct Case {
    uint32_t rcv_wnd;
    uint8_t our_ws;
    bool peer_ws;    // the SYN-ACK carries window scale
    uint32_t taken;  // bytes the client accepts in one segment
    uint16_t field;  // window field of its ACKs
  };
  const Case cases[] = {
      {65535u << 7, 7, false, 65535, 65535},
      {65535u << 7, 7, true, 65535u << 7, 65535},
      {4000, 0, true, 4000, 4000},
      {4100, 5, true, 4096, 128},  // rounded down to the scale unit: never more than it takes
      {70000, 0, false, 65535, 65535},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.rcv_wnd);
    SCOPED_TRACE(int{k.our_ws});
    ServerSetup c;
    c.rcv_wnd = k.rcv_wnd;
    c.rcv_wscale = k.our_ws;
    Harness h(c);
    h.use_requester(requester_config(1, false));
    h.syn_sent();
    EXPECT_EQ(h.out.tx[0].wnd, std::min<uint32_t>(k.rcv_wnd, 65535));
    EXPECT_EQ(h.out.tx[0].opts.wscale, k.our_ws);
    Seg synack = Seg().syn().ack(kSrvIss + 1).seq(kCliIsn).mss(1460);
    if (k.peer_ws) synack.ws(2);
    h.in(synack);
    ASSERT_EQ(h.tcb.state, State::kEstablished);
    EXPECT_EQ(h.out.tx[0].wnd, k.field);
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(2 * k.taken) + "\r\n\r\n";
    std::string first = head + std::string(k.taken + 1 - head.size(), 'x');  // one byte too many
    const Seq start = h.tcb.rcv_nxt;
    h.in(h.next().bytes(first));
    EXPECT_EQ(h.tcb.rcv_nxt, start + k.taken) << "the window, all of it, and no more";
    ASSERT_EQ(h.out.n_tx, 1);
    EXPECT_EQ(h.out.tx[0].wnd, k.field) << "the window does not shrink";
    EXPECT_EQ(h.out.drop, Drop::kNone);
    // The byte that did not fit comes again and is taken.
    h.in(h.next().bytes(std::string_view(first).substr(k.taken)));
    EXPECT_EQ(h.tcb.rcv_nxt, start + k.taken + 1);
    EXPECT_FALSE(h.out.has(event::kResponseMalformed | event::kResponseDone));
  }
}

}  // namespace
}  // namespace synack::tcp::testing
