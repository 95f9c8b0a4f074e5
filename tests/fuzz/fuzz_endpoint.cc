// The pure tcp::Endpoint driven by the input as a program, with either
// application: the server's tcp::Responder (connections opened by on_listen,
// a SYN, or on_cookie_ack) or the client's tcp::Requester (connections opened
// by open(), its per-flow RequesterState passed as app_state, the peer a
// server whose response stream the input composes from HTTP/1.1 responses and
// raw bytes). Each connection is fed segments and timer expiries until it
// closes or the input ends; once it enters TIME-WAIT the runtime's compact
// record (time_wait_state / on_time_wait_segment) is driven beside the full
// TCB. The clock is 64-bit and only moves forward, from a start the input
// picks (1, or just before 2^32 or 2^16 ms, where TSval and the 16-bit RTT
// stamps wrap). The flow's one timer is modelled the way the runtime's wheel
// keeps it (kArm/kCancel/kKeep, disarmed before it fires).
//
// Program layout (little-endian, see tests/fuzz/make_corpus.py):
//   config: 7 bytes (config_from)
//   per connection: open byte, then the open's fields (a Requester's peer
//   first composes its response stream), then ops:
//     op & 7 in 0..4: a segment (seg_from), op 5: fire the timer, op 6: let
//     time pass, op 7: end this connection (the next one starts).
//
// Invariants, checked after every call (check_call and friends):
//  I1  Output.n_tx <= Output::kMaxTx; drop and events are known values.
//  I2  SND.UNA =< SND.NXT, and SND.NXT never passes what exists to send:
//      ISS + 1 + SND.QUEUED + our FIN (once queued). SND.UNA, SND.NXT and
//      RCV.NXT never move backwards; ISS never changes and IRS not once
//      synchronized. SND.UNA only takes a SEG.ACK value.
//  I3  The state moves only along RFC 9293's diagram (Figure 5 and the event
//      processing of 3.10.7): one segment may take one acknowledgment edge,
//      then one FIN edge, then the application's CLOSE (kEdges / allowed());
//      a reset, a give-up, an expiry or the application's ABORT (RFC 9293
//      3.10.5) goes to CLOSED.
//  I4  kClosed is reported exactly when the state became CLOSED, and then the
//      timer is cancelled, never (re)armed; a stale expiry on the closed TCB
//      does nothing.
//  I5  Every transmitted segment is one of:
//      - a RST for the segment at hand (RFC 9293 3.10.7.1/.2/.3, and
//        SYN-RECEIVED's bad ACK, 3.10.7.4 step 5): <SEQ=SEG.ACK><CTL=RST>, or
//        <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> when it had no ACK; never
//        for a RST, and never in a synchronized state (RFC 5961 3/4/5 answer
//        those with ACKs);
//      - an abort (RFC 9293 3.10.4/3.10.5/3.8.3 R2: a timer giving up, an idle
//        connection, the application's ABORT): <SEQ=SND.NXT><ACK=RCV.NXT>
//        <CTL=RST,ACK> that closes the TCB;
//      - our SYN <SEQ=ISS> in SYN-SENT offering every option, or a SYN-ACK
//        <SEQ=ISS><ACK=RCV.NXT> in SYN-RECEIVED with MSS and only the options
//        the peer offered;
//      - an ACK-bearing segment with ACK = RCV.NXT (we acknowledge at once)
//        and SND.UNA =< SEG.SEQ, SEG.SEQ + SEG.LEN =< SND.NXT: its data is the
//        application's send stream at SEG.SEQ - ISS - 1 within the MSS (less
//        TSopt), its FIN at the end of the stream; TSopt exactly when
//        negotiated (RFC 7323 3.2), TSval = the clock's low 32 bits, TSecr =
//        TS.Recent, no SYN-only options. A challenge ACK (RFC 5961 3.2, 4.2)
//        is this form at <SEQ=SND.NXT>, and changes nothing.
//  I6  A RST closes the connection only at SEG.SEQ = RCV.NXT (RFC 5961 3.2), or
//      in SYN-SENT with an acceptable ACK (RFC 9293 3.10.7.3); a SYN without
//      RST on a synchronized connection never changes its state and is
//      answered with an ACK (RFC 5961 4.2) unless the per-flow limit
//      throttled it (kAckThrottled, RFC 5961 7); a dropped segment changes no
//      sequence variable and no state.
//  I7  A live connection always has its timer armed, unless idle timeouts are
//      off and it is ESTABLISHED, CLOSE-WAIT or FIN-WAIT-2 (with no FIN
//      timeout) with nothing in flight or waiting to be sent; the timer is
//      armed for a configured duration (TIME-WAIT, FIN-WAIT-2, idle) or an RTO
//      inside [min(RTO.min, RTO.initial), RTO.max], exactly RFC 6298 2.1's
//      initial value doubled per backoff (5.5) before any RTT sample.
//  I8  TIME-WAIT kept compactly answers every segment as the full TCB does:
//      the same segments, drop reason, events and timer; its state stays
//      time_wait_state() of the full TCB; syn_reopens_time_wait() follows
//      endpoint.h's rule (RFC 6191 with both timestamps; else RCV.NXT).
//  I9  The Responder queues its response once per request (once in all with
//      an active close), reports kRequest exactly then, and never sends
//      before a request; the Requester (requester.h) has at most one request
//      outstanding, reports kRequestSent / kResponseDone exactly when its
//      counts move, queues exactly its requests' bytes (the last one's when
//      it differs), and over a stream of whole responses (Content-Length,
//      chunked, 1xx, 204, 304, HEAD) completes each one the segment that
//      brings its last byte, sends the next request then unless the server
//      closes, aborts (kResponseMalformed, RFC 9112 6.3 item 5) on bytes no
//      request asked for, reports kResponseTruncated for a FIN inside a
//      response, and closes only when done, told so, or after the server.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "http_server_stream.h"
#include "tcp/endpoint.h"
#include "tcp/options.h"
#include "tcp/requester.h"
#include "tcp/responder.h"
#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::fuzz {
namespace {

using namespace synack::tcp;

// ---- I3: the RFC 9293 state diagram --------------------------------------------

enum class Phase : uint8_t {
  kOpen,   // on_listen / open / on_cookie_ack
  kAck,    // SYN and ACK processing of an arriving segment (3.10.7.3, 3.10.7.4 step 5)
  kFin,    // step 8, the peer's FIN
  kClose,  // the application's CLOSE call (3.10.4)
};

struct Edge {
  State from;
  State to;
  Phase phase;
};

// Figure 5 of RFC 9293 with the event-processing text that refines it. LISTEN
// stands for "no TCB, a listening port". Any state -> CLOSED (reset, give-up,
// expiry, abort) is checked separately, in check_close().
constexpr Edge kEdges[] = {
    {State::kListen, State::kSynReceived, Phase::kOpen},  // rcv SYN, snd SYN,ACK
    {State::kClosed, State::kSynSent, Phase::kOpen},      // active OPEN, snd SYN
    // A validated SYN cookie: the SYN-RECEIVED record was never stored (RFC 4987 3.6).
    {State::kListen, State::kEstablished, Phase::kOpen},
    {State::kSynSent, State::kEstablished, Phase::kAck},      // rcv SYN,ACK, snd ACK
    {State::kSynSent, State::kSynReceived, Phase::kAck},      // rcv SYN (simultaneous open)
    {State::kSynReceived, State::kEstablished, Phase::kAck},  // rcv ACK of SYN
    {State::kFinWait1, State::kFinWait2, Phase::kAck},        // rcv ACK of FIN
    {State::kClosing, State::kTimeWait, Phase::kAck},         // rcv ACK of FIN
    {State::kLastAck, State::kClosed, Phase::kAck},           // rcv ACK of FIN
    {State::kSynReceived, State::kCloseWait, Phase::kFin},    // step 8
    {State::kEstablished, State::kCloseWait, Phase::kFin},    // rcv FIN, snd ACK
    {State::kFinWait1, State::kClosing, Phase::kFin},         // rcv FIN, snd ACK
    {State::kFinWait1, State::kTimeWait, Phase::kFin},        // FIN, our FIN ACKed
    {State::kFinWait2, State::kTimeWait, Phase::kFin},        // rcv FIN, snd ACK
    {State::kSynReceived, State::kFinWait1, Phase::kClose},   // CLOSE, snd FIN
    {State::kEstablished, State::kFinWait1, Phase::kClose},   // CLOSE, snd FIN
    {State::kCloseWait, State::kLastAck, Phase::kClose},      // CLOSE, snd FIN
};

// States reachable from `s` through at most one edge of each phase in `order`.
uint16_t reachable(State s, const Phase* order, int n) {
  uint16_t set = bit(s);
  for (int i = 0; i < n; i++) {
    uint16_t next = set;
    for (const Edge& e : kEdges)
      if (e.phase == order[i] && (set & bit(e.from))) next |= bit(e.to);
    set = next;
  }
  return set;
}

enum class Call : uint8_t { kListen, kOpen, kCookieAck, kSegment, kTimer };

bool allowed(Call call, State from, State to) {
  static constexpr Phase kSegmentPhases[] = {Phase::kAck, Phase::kFin, Phase::kClose};
  static constexpr Phase kOpenPhases[] = {Phase::kOpen, Phase::kFin, Phase::kClose};
  switch (call) {
    case Call::kListen:
    case Call::kOpen:
      return (reachable(from, kOpenPhases, 1) & bit(to)) != 0;
    case Call::kCookieAck:  // the rest of the ACK is processed as on_segment would
      return (reachable(from, kOpenPhases, 3) & bit(to)) != 0;
    case Call::kSegment:
      return (reachable(from, kSegmentPhases, 3) & bit(to)) != 0;
    case Call::kTimer:
      return from == to;  // retransmission or probe
  }
  return false;
}

constexpr uint16_t kSynchronized =
    bit(State::kEstablished) | bit(State::kFinWait1) | bit(State::kFinWait2) |
    bit(State::kCloseWait) | bit(State::kClosing) | bit(State::kLastAck) | bit(State::kTimeWait);
constexpr uint32_t kKnownEvents = (1u << 23) - 1;  // output.h: kCreated .. kReturnedToListen

// ---- the configuration -------------------------------------------------------------

// HTTP/1.1 requests the Requester may send (RFC 9110 9.3.1, 9.3.2).
const std::string kGet = "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n";
const std::string kHead = "HEAD / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n";
const std::string kLast = "GET /last HTTP/1.1\r\nHost: 198.18.0.2\r\nConnection: close\r\n\r\n";

struct Config {
  EndpointConfig ep;
  bool requester = false;
  bool active_close = true;
  std::vector<uint8_t> response;  // the Responder's
  RequesterConfig rq;
  uint64_t clock_start = 1;
};

std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

Config config_from(ByteReader& in) {
  // Within what engine/app/flags.cc accepts: MSS 88..9000, wscale 0..14,
  // RCV.WND = 65535 << wscale, RTO 10..60000 ms, retries 0..15, TIME-WAIT
  // 1..600000 ms, FIN-WAIT-2 0..600000 ms, idle any (0 = off), response up to
  // 1 MiB.
  static constexpr uint32_t kResponse[] = {0, 1, 38, 1448, 1460, 4000, 70000, 1u << 20};
  static constexpr uint16_t kMss[] = {1460, 536, 88, 9000};
  static constexpr uint32_t kRto[] = {1000, 10, 200, 60000};
  static constexpr uint32_t kTimeWait[] = {60000, 1, 100, 600000};
  static constexpr uint32_t kIdle[] = {300000, 0, 10, 0xFFFFFFFFu};
  static constexpr uint32_t kFinTimeout[] = {60000, 0, 10, 600000};
  static constexpr uint32_t kRequests[] = {1, 2, 3, 10};
  static constexpr uint64_t kClock[] = {1, (uint64_t{1} << 32) - 3000, (1u << 16) - 300,
                                        (uint64_t{7} << 32) + 12345};
  Config c;
  const uint8_t a = in.u8();
  const uint32_t response_len = kResponse[a & 7];
  c.active_close = (a & 8) == 0;
  c.ep.rcv_wscale = static_cast<uint8_t>(((a >> 4) & 15) % 15);
  c.ep.rcv_wnd = 65535u << c.ep.rcv_wscale;
  const uint8_t b = in.u8();
  c.ep.mss = kMss[b & 3];
  c.ep.rto_initial_ms = kRto[(b >> 2) & 3];
  c.ep.time_wait_ms = kTimeWait[(b >> 4) & 3];
  c.ep.idle_timeout_ms = kIdle[(b >> 6) & 3];
  const uint8_t r = in.u8();
  c.ep.synack_retries = r & 15;
  c.ep.data_retries = r >> 4;
  const uint16_t mss = in.u16();  // an exact MSS when it is in range
  if (mss >= 88 && mss <= 9000) c.ep.mss = mss;
  const uint8_t d = in.u8();
  c.requester = (d & 1) != 0;
  c.ep.fin_timeout_ms = kFinTimeout[(d >> 1) & 3];
  c.clock_start = kClock[(d >> 3) & 3];
  c.ep.rto_min_ms = (d & 32) ? 1 : 200;
  c.ep.initial_window = (d & 64) ? 2 : 10;
  const uint8_t e = in.u8();
  c.response.resize(response_len);
  for (uint32_t i = 0; i < response_len; i++) c.response[i] = static_cast<uint8_t>('a' + i % 26);
  c.rq.requests_per_connection = kRequests[e & 3];
  c.rq.request = bytes_of((e & 4) ? kHead : kGet);
  if (e & 8) c.rq.request.insert(c.rq.request.end() - 2, 3000, 'x');  // spans segments
  if (e & 16) c.rq.last_request = bytes_of(kLast);
  c.rq.active_close = c.active_close;
  c.rq.max_head_bytes = (e & 32) ? 64 : 16384;
  return c;
}

std::unique_ptr<Application> make_app(const Config& c) {
  if (c.requester) {
    FUZZ_CHECK(requester_config_problem(c.rq) == nullptr);
    return std::make_unique<Requester>(c.rq);
  }
  return std::make_unique<Responder>(c.response, c.active_close);
}

// ---- the program ----------------------------------------------------------------

class Program {
 public:
  Program(const uint8_t* data, size_t size)
      : in_(data, size),
        cfg_(config_from(in_)),
        app_(make_app(cfg_)),
        ep_(cfg_.ep, *app_),
        now_(cfg_.clock_start) {
    for (uint32_t i = 0; i < cfg_.rq.requests_per_connection; i++) {
      const auto& r = i + 1 == cfg_.rq.requests_per_connection && !cfg_.rq.last_request.empty()
                          ? cfg_.rq.last_request
                          : cfg_.rq.request;
      request_stream_.insert(request_stream_.end(), r.begin(), r.end());
    }
  }

  void run() {
    while (!in_.empty()) connection();
  }

 private:
  const EndpointConfig& cfg() const { return ep_.config(); }
  void* app_state() { return cfg_.requester ? &rq_ : nullptr; }

  // ---- the peer's segments -------------------------------------------------

  int32_t delta8() { return static_cast<int8_t>(in_.u8()); }

  void options_from(TcpOptions& o) {
    const uint8_t m = in_.u8();
    if (m & 1) {
      o.has_timestamps = true;
      // The peer's clock mostly moves on; sometimes it jumps anywhere (PAWS).
      o.ts_val = (m & 2) ? in_.u32() : peer_ts_ + static_cast<uint32_t>(delta8());
      o.ts_ecr = (m & 4) ? in_.u32() : our_ts_;
      peer_ts_ = o.ts_val;
    }
    if (m & 8) {
      o.has_mss = true;
      o.mss = in_.u16();
    }
    if (m & 16) {
      o.has_wscale = true;
      o.wscale = in_.u8();
    }
    o.sack_permitted = (m & 32) != 0;
  }

  uint32_t payload_from() {
    const uint8_t b = in_.u8();
    return b < 0xF0 ? b : in_.u16();
  }

  // The payload's bytes: the peer's stream at their sequence number.
  void fill_payload(Segment& s) {
    if (s.payload_len == 0) return;
    payload_.resize(s.payload_len);
    const int64_t off = irs_known_ ? static_cast<int64_t>(static_cast<int32_t>(s.seq - (irs_ + 1)))
                                   : -int64_t{1} << 40;
    if (cfg_.requester) {
      stream_.copy(off, payload_.data(), s.payload_len);
    } else {  // a request's bytes, which the Responder does not read
      for (uint32_t i = 0; i < s.payload_len; i++) payload_[i] = "GET / "[i % 6];
    }
    s.payload = payload_.data();
  }

  // Sequence and acknowledgment numbers mostly near the TCB's own (where the
  // interesting cases are), sometimes anywhere.
  Segment seg_from() {
    Segment s;
    s.flags = in_.u8();
    const uint8_t modes = in_.u8();
    switch (modes & 3) {
      case 0:
        s.seq = tcb_.rcv_nxt + static_cast<uint32_t>(delta8());
        break;
      case 1:
        s.seq = irs_ + static_cast<uint32_t>(delta8());
        break;
      case 2:
        s.seq = tcb_.rcv_nxt + cfg().rcv_wnd + static_cast<uint32_t>(delta8());
        break;
      default:
        s.seq = Seq(in_.u32());
    }
    switch ((modes >> 2) & 3) {
      case 0:
        s.ack = tcb_.snd_nxt + static_cast<uint32_t>(delta8());
        break;
      case 1:
        s.ack = tcb_.snd_una + static_cast<uint32_t>(delta8());
        break;
      case 2:
        s.ack = tcb_.snd_una - 65535 + static_cast<uint32_t>(delta8());  // RFC 5961 5.2 edge
        break;
      default:
        s.ack = Seq(in_.u32());
    }
    s.wnd = (modes & 16) ? in_.u16() : 65535;
    s.payload_len = (modes & 32) ? payload_from() : 0;
    if (modes & 64) options_from(s.opts);
    fill_payload(s);
    return s;
  }

  void pass_time(uint64_t ms) { now_ += ms; }

  // ---- one connection --------------------------------------------------------

  void connection() {
    timer_armed_ = false;
    closed_ = false;
    in_time_wait_ = false;
    irs_known_ = false;
    rq_ = RequesterState{};
    const uint8_t how = in_.u8();
    pass_time(in_.u8());
    if (cfg_.requester) {
      stream_.compose(in_, cfg_.rq);
      open_active();
    } else if (how & 1) {
      open_cookie();
    } else if (!open_listen()) {
      return;
    }
    while (!closed_ && !in_.empty()) {
      const uint8_t op = in_.u8();
      switch (op & 7) {
        case 5:
          if (!timer_armed_) break;
          // The wheel fires at or after the deadline (later under its cap).
          if (timer_deadline_ > now_) now_ = timer_deadline_;
          pass_time(in_.u8() & 15);
          fire_timer();
          break;
        case 6:
          pass_time((op & 8) ? uint64_t{in_.u16()} * 100 : in_.u16());
          break;
        case 7:
          return;
        default: {
          pass_time(op >> 5);
          const Segment s = seg_from();
          if (in_time_wait_)
            time_wait_segment(s);
          else
            on_segment(s);
        }
      }
    }
    if (closed_ && !in_time_wait_) stale_timer_after_close();
  }

  // on_listen with a segment whose flags the input chooses; false when no
  // TCB was created (and that answer was checked).
  bool open_listen() {
    Segment syn;
    syn.flags = in_.u8();
    syn.seq = Seq(in_.u32());
    syn.wnd = in_.u16();
    syn.payload_len = payload_from();
    options_from(syn.opts);
    fill_payload(syn);
    peer_ts_ = syn.opts.ts_val;
    const Seq iss(in_.u32());
    Tcb t;
    Output out;
    ep_.on_listen(syn, iss, now_, t, out);
    check_output_basics(out);
    if (!out.has(event::kCreated)) {
      // RFC 9293 3.10.7.2: a RST is ignored, an ACK gets <SEQ=SEG.ACK><CTL=RST>,
      // anything else without SYN (and SYN+FIN, as Linux) is dropped.
      FUZZ_CHECK(out.events == 0 && out.drop != Drop::kNone && out.timer == TimerOp::kKeep);
      if (syn.has(tcpflag::kRst)) {
        FUZZ_CHECK(out.n_tx == 0 && out.drop == Drop::kListenRst);
      } else if (syn.has(tcpflag::kAck)) {
        FUZZ_CHECK(out.n_tx == 1 && out.drop == Drop::kListenAck);
        check_reset_for(out.tx[0], syn);
      } else if (syn.has(tcpflag::kSyn)) {
        FUZZ_CHECK(out.n_tx == 0 && syn.has(tcpflag::kFin) && out.drop == Drop::kListenSynFin);
      } else {
        FUZZ_CHECK(out.n_tx == 0 && out.drop == Drop::kListenNoSyn);
      }
      return false;
    }
    FUZZ_CHECK(syn.has(tcpflag::kSyn) && !syn.has(tcpflag::kAck) && !syn.has(tcpflag::kRst) &&
               !syn.has(tcpflag::kFin));
    FUZZ_CHECK(t.state == State::kSynReceived && t.iss == iss);
    FUZZ_CHECK(t.rcv_nxt == syn.seq + 1 && t.snd_una == iss && t.snd_nxt == iss + 1);
    FUZZ_CHECK(out.n_tx == 1 && out.tx[0].flags == (tcpflag::kSyn | tcpflag::kAck));
    irs_ = syn.seq;
    irs_known_ = true;
    Tcb before;
    before.state = State::kListen;
    tcb_ = t;
    after_call(Call::kListen, before, nullptr, out, RequesterState{});
    return true;
  }

  void open_active() {
    const Seq iss(in_.u32());
    Tcb t;
    Output out;
    ep_.open(t, iss, now_, out);
    check_output_basics(out);
    FUZZ_CHECK(t.state == State::kSynSent && t.iss == iss && t.snd_una == iss &&
               t.snd_nxt == iss + 1);
    FUZZ_CHECK(out.n_tx == 1 && out.tx[0].flags == tcpflag::kSyn);
    Tcb before;  // CLOSED
    tcb_ = t;
    after_call(Call::kOpen, before, nullptr, out, rq_);
  }

  // The third segment of a cookie handshake, as SynCookieCodec::validate would
  // have accepted it: ACK set, SYN and RST clear, options only with TSopt.
  void open_cookie() {
    Segment ack;
    ack.flags = static_cast<uint8_t>((in_.u8() | tcpflag::kAck) & ~(tcpflag::kSyn | tcpflag::kRst));
    ack.seq = Seq(in_.u32());
    ack.ack = Seq(in_.u32());
    ack.wnd = in_.u16();
    ack.payload_len = payload_from();
    options_from(ack.opts);
    ack.opts.has_mss = ack.opts.has_wscale = ack.opts.sack_permitted = false;
    irs_ = ack.seq - 1;
    irs_known_ = true;
    fill_payload(ack);
    const uint8_t b = in_.u8();
    static constexpr uint16_t kCookieMss[] = {88, 536, 1200, 1360, 1400, 1440, 1452, 1460};
    CookieOptions co;
    co.mss = kCookieMss[b & 7];
    if (ack.opts.has_timestamps) {
      co.timestamps = true;
      co.wscale = (b >> 3) & 15;
      if (co.wscale > kMaxWscale) co.wscale = kNoWscale;
      co.sack_permitted = (b & 128) != 0;
    }
    Tcb t;
    Output out;
    ep_.on_cookie_ack(ack, co, now_, t, out, app_state());
    check_output_basics(out);
    FUZZ_CHECK(out.has(event::kCreated) && out.has(event::kEstablished));
    FUZZ_CHECK(t.iss == ack.ack - 1);
    Tcb before;
    before.state = State::kListen;
    before.rcv_nxt = ack.seq;
    tcb_ = t;
    after_call(Call::kCookieAck, before, &ack, out, RequesterState{});
  }

  void on_segment(const Segment& s) {
    const Tcb before = tcb_;
    const RequesterState rq_before = rq_;
    Output out;
    ep_.on_segment(tcb_, s, now_, out, app_state());
    check_output_basics(out);
    FUZZ_CHECK(!out.has(event::kCreated));
    if (before.state == State::kSynSent && tcb_.state != State::kSynSent &&
        tcb_.state != State::kClosed) {
      irs_ = s.seq;  // RFC 9293 3.10.7.3: IRS <- SEG.SEQ
      irs_known_ = true;
    }
    after_call(Call::kSegment, before, &s, out, rq_before);
  }

  void fire_timer() {
    timer_armed_ = false;  // the wheel disarms a timer before running it
    if (in_time_wait_) return time_wait_expiry();
    const Tcb before = tcb_;
    const RequesterState rq_before = rq_;
    Output out;
    ep_.on_timer(tcb_, now_, out, app_state());
    check_output_basics(out);
    FUZZ_CHECK(!out.has(event::kCreated) && !out.has(event::kEstablished));
    FUZZ_CHECK(out.drop == Drop::kNone);
    after_call(Call::kTimer, before, nullptr, out, rq_before);
  }

  // I4: an expiry that raced with the close must find nothing to do.
  void stale_timer_after_close() {
    Tcb t = tcb_;
    Output out;
    ep_.on_timer(t, now_, out, app_state());
    FUZZ_CHECK(out.n_tx == 0 && out.events == 0 && out.timer != TimerOp::kArm);
  }

  // ---- TIME-WAIT, compact and full (I8) ---------------------------------------

  // RFC 6191 as endpoint.h states it: a SYN (no ACK, no RST) reopens when, with
  // timestamps on both sides, its TSval is later, or equal with a sequence
  // number past RCV.NXT; without them, when its sequence number is past RCV.NXT.
  static bool reference_reopens(const TimeWaitState& tw, const Segment& s) {
    if ((s.flags & (tcpflag::kSyn | tcpflag::kAck | tcpflag::kRst)) != tcpflag::kSyn) return false;
    if (tw.timestamps && s.opts.has_timestamps) {
      const auto d = static_cast<int32_t>(s.opts.ts_val - tw.ts_recent);
      return d > 0 || (d == 0 && s.seq - tw.rcv_nxt > 0);
    }
    return s.seq - tw.rcv_nxt > 0;
  }

  static bool same_tx(const TxSegment& a, const TxSegment& b) {
    return a.seq == b.seq && a.ack == b.ack && a.flags == b.flags && a.wnd == b.wnd &&
           a.data_len == b.data_len && a.opts.has_mss == b.opts.has_mss &&
           a.opts.has_wscale == b.opts.has_wscale &&
           a.opts.sack_permitted == b.opts.sack_permitted &&
           a.opts.has_timestamps == b.opts.has_timestamps &&
           (!a.opts.has_timestamps ||
            (a.opts.ts_val == b.opts.ts_val && a.opts.ts_ecr == b.opts.ts_ecr));
  }

  void time_wait_segment(const Segment& s) {
    FUZZ_CHECK(Endpoint::syn_reopens_time_wait(tw_, s) == reference_reopens(tw_, s));
    Output compact;
    ep_.on_time_wait_segment(tw_, s, now_, compact);
    check_output_basics(compact);
    const Tcb before = tcb_;
    Output full;
    ep_.on_segment(tcb_, s, now_, full, app_state());
    trace(Call::kSegment, before, &s, full);
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (on) {
      std::fprintf(stderr, "    compact events=%06x drop=%s timer=%d/%u", compact.events,
                   drop_name(compact.drop), static_cast<int>(compact.timer), compact.timer_ms);
      for (int i = 0; i < compact.n_tx; i++)
        std::fprintf(stderr, " tx flags=%02x seq=%u ack=%u", compact.tx[i].flags,
                     compact.tx[i].seq.raw(), compact.tx[i].ack.raw());
      std::fprintf(stderr, "\n");
    }
    // The compact record answers as the full TCB does (it keeps the RFC 5961 7
    // per-flow stamp and uses the largest window for RFC 5961 5.2's bound):
    // regressions/fuzz_endpoint/time-wait-loses-*.
    FUZZ_CHECK(compact.n_tx == full.n_tx && compact.drop == full.drop &&
               compact.events == full.events && compact.timer == full.timer &&
               compact.timer_ms == full.timer_ms);
    for (int i = 0; i < full.n_tx; i++) FUZZ_CHECK(same_tx(compact.tx[i], full.tx[i]));
    // The full TCB's own invariants, as for any segment.
    after_call(Call::kSegment, before, &s, full, rq_);
    if (full.has(event::kClosed)) return;
    FUZZ_CHECK(tcb_.state == State::kTimeWait);
    FUZZ_CHECK(Endpoint::time_wait_state(tcb_) == tw_);
  }

  void time_wait_expiry() {
    // The store drops the entry; the full TCB's expiry ends it the same way
    // (RFC 9293 3.10.8).
    const Tcb before = tcb_;
    Output out;
    ep_.on_timer(tcb_, now_, out, app_state());
    FUZZ_CHECK(out.n_tx == 0 && out.events == (event::kClosed | event::kTimeWaitExpired));
    after_call(Call::kTimer, before, nullptr, out, rq_);
    FUZZ_CHECK(closed_);
  }

  // ---- checks ----------------------------------------------------------------

  // I1.
  static void check_output_basics(const Output& out) {
    FUZZ_CHECK(out.n_tx <= Output::kMaxTx);
    FUZZ_CHECK(static_cast<int>(out.drop) < kNumDrops);
    FUZZ_CHECK((out.events & ~kKnownEvents) == 0);
    FUZZ_CHECK(static_cast<unsigned>(out.timer) <= static_cast<unsigned>(TimerOp::kCancel));
  }

  static void check_reset_for(const TxSegment& t, const Segment& seg) {
    FUZZ_CHECK(!seg.has(tcpflag::kRst));  // never a RST for a RST
    FUZZ_CHECK(t.data_len == 0);
    if (seg.has(tcpflag::kAck)) {
      FUZZ_CHECK(t.flags == tcpflag::kRst && t.seq == seg.ack);
    } else {
      FUZZ_CHECK(t.flags == (tcpflag::kRst | tcpflag::kAck) && t.seq == Seq(0) &&
                 t.ack == seg.seq + seg.len());
    }
  }

  static Seq data_end(const Tcb& t) { return t.iss + 1 + t.snd_queued; }

  bool timer_duration_ok(uint32_t ms, const Tcb& t) const {
    if (ms == 0) return false;
    if (ms == cfg().time_wait_ms || ms == cfg().idle_timeout_ms || ms == cfg().fin_timeout_ms)
      return true;
    const uint64_t floor =
        cfg().rto_min_ms < cfg().rto_initial_ms ? cfg().rto_min_ms : cfg().rto_initial_ms;
    if (t.srtt_ms == 0) {  // RFC 6298 2.1 and 5.5: the initial RTO, doubled per backoff
      const uint64_t rto = uint64_t{cfg().rto_initial_ms} << t.backoff();
      return ms == (rto < cfg().rto_max_ms ? rto : cfg().rto_max_ms);
    }
    return ms >= floor && ms <= cfg().rto_max_ms;
  }

  // The application's send stream at `off`: the response over and over
  // (Responder), or the requests one after the other (Requester).
  uint8_t stream_byte(uint32_t off) const {
    if (cfg_.requester) return off < request_stream_.size() ? request_stream_[off] : 0;
    return cfg_.response.empty() ? 0 : cfg_.response[off % cfg_.response.size()];
  }

  // I5 for one transmitted segment; `b` is the TCB before the call, `seg` the
  // segment that caused it (nullptr for opens without one and timers).
  void check_tx(const TxSegment& x, Call call, const Tcb& b, const Segment* seg,
                const Output& out) {
    const Tcb& t = tcb_;
    if (x.flags & tcpflag::kRst) {
      FUZZ_CHECK(seg == nullptr || !seg->has(tcpflag::kRst));
      FUZZ_CHECK(x.data_len == 0 && !x.opts.has_mss && !x.opts.has_wscale);
      if (out.has(event::kResetSent)) {  // an abort: the timer's, or the application's
        FUZZ_CHECK(x.flags == (tcpflag::kRst | tcpflag::kAck) && x.seq == t.snd_nxt &&
                   x.ack == t.rcv_nxt);
        FUZZ_CHECK(t.state == State::kClosed && out.n_tx == 1);
        FUZZ_CHECK(call == Call::kTimer || (cfg_.requester && out.has(event::kResponseMalformed)));
        return;
      }
      // The cookie's ACK is processed in ESTABLISHED: no RST either.
      FUZZ_CHECK(seg != nullptr && call != Call::kCookieAck && !in_state(b.state, kSynchronized));
      check_reset_for(x, *seg);
      return;
    }
    if (x.flags & tcpflag::kSyn) {
      FUZZ_CHECK(x.seq == t.iss && x.data_len == 0 && !(x.flags & tcpflag::kFin));
      FUZZ_CHECK(x.opts.has_mss && x.opts.mss == cfg().mss);
      if (x.flags & tcpflag::kAck) {
        FUZZ_CHECK(t.state == State::kSynReceived && x.ack == t.rcv_nxt);
        // RFC 7323 1.3/2.2, RFC 2018: only what the peer's SYN offered.
        FUZZ_CHECK(x.opts.has_timestamps == t.has(tcbflag::kTimestamps));
        FUZZ_CHECK(x.opts.has_wscale == t.has(tcbflag::kWscale));
        FUZZ_CHECK(x.opts.sack_permitted == t.has(tcbflag::kSackOk));
        if (x.opts.has_wscale) FUZZ_CHECK(x.opts.wscale == t.rcv_wscale() && x.opts.wscale <= 14);
      } else {
        // RFC 9293 3.10.1 with RFC 7323 and RFC 2018: an active SYN offers all.
        FUZZ_CHECK(t.state == State::kSynSent && x.flags == tcpflag::kSyn);
        FUZZ_CHECK(x.opts.has_wscale && x.opts.sack_permitted && x.opts.has_timestamps);
        FUZZ_CHECK(x.opts.wscale == (cfg().rcv_wscale < 14 ? cfg().rcv_wscale : 14));
      }
      if (x.opts.has_timestamps) FUZZ_CHECK(x.opts.ts_val == static_cast<uint32_t>(now_));
      return;
    }
    // Everything else carries the current acknowledgment (RFC 9293 3.10.7.4).
    FUZZ_CHECK((x.flags & tcpflag::kAck) != 0);
    FUZZ_CHECK(x.ack == t.rcv_nxt);
    FUZZ_CHECK(t.state != State::kClosed);
    const uint32_t len = x.data_len + ((x.flags & tcpflag::kFin) ? 1u : 0u);
    // A zero-window probe is a bare ACK at SND.UNA - 1 (RFC 9293 3.8.6.1, as
    // Linux's tcp_xmit_probe_skb): the peer must answer it with its window.
    const bool zero_window_probe = len == 0 && x.seq + 1 == t.snd_una;
    FUZZ_CHECK(zero_window_probe || (t.snd_una <= x.seq && x.seq + len <= t.snd_nxt));
    FUZZ_CHECK(!x.opts.has_mss && !x.opts.has_wscale && !x.opts.sack_permitted);
    FUZZ_CHECK(x.opts.has_timestamps == t.has(tcbflag::kTimestamps));
    if (x.opts.has_timestamps) {
      FUZZ_CHECK(x.opts.ts_val == static_cast<uint32_t>(now_));
      FUZZ_CHECK(x.opts.ts_ecr == t.ts_recent || x.opts.ts_ecr == b.ts_recent);
    }
    if (x.data_len > 0) {
      FUZZ_CHECK(x.data_off == static_cast<uint32_t>(x.seq - (t.iss + 1)));
      FUZZ_CHECK(uint64_t{x.data_off} + x.data_len <= t.snd_queued);
      const uint32_t ts = t.has(tcbflag::kTimestamps) ? 12 : 0;
      FUZZ_CHECK(x.data_len <= t.snd_mss - ts);
      // The bytes the runtime will write: the application's stream.
      std::vector<uint8_t> got(x.data_len);
      app_->copy_out(t, app_state(), x.data_off, got.data(), x.data_len);
      for (uint32_t i = 0; i < x.data_len; i++) FUZZ_CHECK(got[i] == stream_byte(x.data_off + i));
    }
    if (x.flags & tcpflag::kFin) {
      FUZZ_CHECK(t.has(tcbflag::kFinQueued));
      FUZZ_CHECK(x.seq + x.data_len == data_end(t));
    }
    if (out.has(event::kChallengeAck)) FUZZ_CHECK(x.seq == t.snd_nxt);
  }

  // SYNACK_FUZZ_TRACE=1 prints every call: how to read a crash's program.
  void trace(Call call, const Tcb& b, const Segment* seg, const Output& out) const {
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (!on) return;
    static constexpr const char* kCall[] = {"listen", "open", "cookie_ack", "segment", "timer"};
    const Tcb& t = tcb_;
    std::fprintf(stderr, "t=%llu %s%s %s -> %s", static_cast<unsigned long long>(now_),
                 in_time_wait_ ? "(tw) " : "", kCall[static_cast<int>(call)], state_name(b.state),
                 state_name(t.state));
    if (seg)
      std::fprintf(stderr, " | seg flags=%02x seq=%u ack=%u len=%u wnd=%u ts=%d/%u/%u", seg->flags,
                   seg->seq.raw(), seg->ack.raw(), seg->payload_len, seg->wnd,
                   seg->opts.has_timestamps, seg->opts.ts_val, seg->opts.ts_ecr);
    std::fprintf(stderr,
                 "\n    before una=%u nxt=%u rcv=%u iss=%u queued=%u flags=%02x retries=%u"
                 "\n    after  una=%u nxt=%u rcv=%u iss=%u queued=%u flags=%02x retries=%u wnd=%u"
                 " srtt=%u backoff=%u rq=%u/%u"
                 "\n    out events=%06x drop=%s timer=%d/%u",
                 b.snd_una.raw(), b.snd_nxt.raw(), b.rcv_nxt.raw(), b.iss.raw(), b.snd_queued,
                 b.flags, b.retries(), t.snd_una.raw(), t.snd_nxt.raw(), t.rcv_nxt.raw(),
                 t.iss.raw(), t.snd_queued, t.flags, t.retries(), t.snd_wnd, t.srtt_ms, t.backoff(),
                 rq_.requests_sent, rq_.responses_done, out.events, drop_name(out.drop),
                 static_cast<int>(out.timer), out.timer_ms);
    for (int i = 0; i < out.n_tx; i++)
      std::fprintf(stderr, "\n    tx flags=%02x seq=%u ack=%u off=%u len=%u ts=%d/%u/%u",
                   out.tx[i].flags, out.tx[i].seq.raw(), out.tx[i].ack.raw(), out.tx[i].data_off,
                   out.tx[i].data_len, out.tx[i].opts.has_timestamps, out.tx[i].opts.ts_val,
                   out.tx[i].opts.ts_ecr);
    std::fprintf(stderr, "\n");
  }

  void after_call(Call call, const Tcb& b, const Segment* seg, const Output& out,
                  const RequesterState& rq_before) {
    if (!in_time_wait_) trace(call, b, seg, out);
    seg_had_fin_ = seg != nullptr && seg->has(tcpflag::kFin);
    const Tcb& t = tcb_;
    // I3.
    const bool now_closed = t.state == State::kClosed;
    FUZZ_CHECK(allowed(call, b.state, t.state) || (now_closed && check_close(call, b, out)));
    // I4.
    FUZZ_CHECK(out.has(event::kClosed) == now_closed);
    if (now_closed) FUZZ_CHECK(out.timer == TimerOp::kCancel);
    // I5.
    for (int i = 0; i < out.n_tx; i++) check_tx(out.tx[i], call, b, seg, out);
    if (out.has(event::kChallengeAck)) {
      FUZZ_CHECK(out.drop == Drop::kRstChallenged || out.drop == Drop::kSynChallenged);
      FUZZ_CHECK(out.n_tx == 1 && out.has(event::kRateLimitedAck));
    }
    // RFC 5961 7: a provoked ACK is the first segment, or was throttled.
    if (out.has(event::kRateLimitedAck))
      FUZZ_CHECK(out.n_tx >= 1 && !out.has(event::kAckThrottled));
    if (out.has(event::kAckThrottled)) FUZZ_CHECK(out.n_tx == 0 && out.drop != Drop::kNone);
    // Events that name a transition happened in it.
    FUZZ_CHECK(out.has(event::kTimeWait) ==
               (t.state == State::kTimeWait && b.state != State::kTimeWait));
    if (out.has(event::kTimeWait))
      FUZZ_CHECK(out.timer == TimerOp::kArm && out.timer_ms == cfg().time_wait_ms);
    if (out.has(event::kEstablished))
      FUZZ_CHECK(
          in_state(b.state, bit(State::kListen) | bit(State::kSynSent) | bit(State::kSynReceived)));
    if (out.has(event::kResetByPeer)) {
      // I6: a RST is taken only at RCV.NXT, or in SYN-SENT with an acceptable ACK.
      FUZZ_CHECK(seg != nullptr && seg->has(tcpflag::kRst) && now_closed);
      if (b.state == State::kSynSent)
        FUZZ_CHECK(seg->has(tcpflag::kAck) && b.iss < seg->ack && seg->ack <= b.snd_nxt);
      else
        FUZZ_CHECK(seg->seq == b.rcv_nxt);
    }
    if (call == Call::kSegment) check_segment_effects(b, *seg, out);
    if (cfg_.requester)
      check_requester(call, b, rq_before, out);
    else
      check_responder(b, out);

    // The timer model, then I7.
    if (out.timer == TimerOp::kArm) {
      FUZZ_CHECK(timer_duration_ok(out.timer_ms, t));
      timer_armed_ = true;
      timer_deadline_ = now_ + out.timer_ms;
    } else if (out.timer == TimerOp::kCancel) {
      timer_armed_ = false;
    }
    our_ts_ = static_cast<uint32_t>(now_);
    if (now_closed) {
      closed_ = true;
      return;
    }
    check_tcb(b, call);
    if (out.has(event::kTimeWait) && !in_time_wait_) {
      // The runtime moves the connection to its TIME-WAIT store now.
      in_time_wait_ = true;
      tw_ = Endpoint::time_wait_state(t);
    }
    const bool quiet_ok = in_state(t.state, bit(State::kEstablished) | bit(State::kCloseWait) |
                                                bit(State::kFinWait2)) &&
                          t.snd_una == t.snd_nxt && !has_unsent(t) && cfg().idle_timeout_ms == 0 &&
                          (t.state != State::kFinWait2 || cfg().fin_timeout_ms == 0);
    FUZZ_CHECK(timer_armed_ || quiet_ok);
  }

  // A move to CLOSED outside the diagram's edges, with the event that says why:
  // a RST taken (RFC 9293 3.10.7.3/.4 step 2, I6 checks its sequence number),
  // TIME-WAIT's expiry (3.10.8), a handshake given up quietly, the FIN-WAIT-2
  // timeout, an abort (a RST sent) when data retries are exhausted or the
  // connection was idle, or the application's ABORT (3.10.5).
  bool check_close(Call call, const Tcb& b, const Output& out) const {
    if (call == Call::kSegment || call == Call::kCookieAck) {
      if (out.has(event::kResetByPeer)) return true;
      // RFC 9293 3.10.7.4: a new SYN at a passively opened SYN-RECEIVED
      // record returns it to LISTEN, silently; the runtime hands the SYN to
      // the listener.
      if (out.has(event::kReturnedToListen))
        return b.state == State::kSynReceived && !b.has(tcbflag::kActiveOpen) && out.n_tx == 0;
      // The Requester's ABORT (RFC 9293 3.10.5): a RST in the states that
      // send one; none from SYN-SENT, CLOSING, LAST-ACK or TIME-WAIT, which
      // this segment may have entered first (its FIN, our CLOSE).
      if (!cfg_.requester || !out.has(event::kResponseMalformed)) return false;
      const uint16_t silent = bit(State::kSynSent) | bit(State::kClosing) | bit(State::kLastAck) |
                              bit(State::kTimeWait);
      const bool moved_first =
          (seg_had_fin_ || tcb_.has(tcbflag::kFinQueued)) && !in_state(b.state, silent);
      return out.has(event::kResetSent) ? !in_state(b.state, silent)
                                        : in_state(b.state, silent) || moved_first;
    }
    if (call != Call::kTimer) return false;
    if (b.state == State::kTimeWait) return out.has(event::kTimeWaitExpired) && out.n_tx == 0;
    if (in_state(b.state, bit(State::kSynSent) | bit(State::kSynReceived)))
      return out.has(event::kGaveUp) && b.retries() >= cfg().synack_retries && out.n_tx == 0;
    if (!in_state(b.state, kSynchronized)) return false;
    // FIN-WAIT-2 ends silently on its own timer, or on the idle timer when
    // --fin_timeout_ms is 0.
    if (out.has(event::kFinWait2Timeout))
      return b.state == State::kFinWait2 && out.n_tx == 0 &&
             (cfg().fin_timeout_ms != 0 || cfg().idle_timeout_ms != 0);
    const bool gave_up = out.has(event::kGaveUp) && b.retries() >= cfg().data_retries;
    return (gave_up || out.has(event::kIdleTimeout)) && out.n_tx == 1 && out.has(event::kResetSent);
  }

  bool has_unsent(const Tcb& t) const {
    const Seq end = data_end(t);
    return t.snd_nxt < end || (t.has(tcbflag::kFinQueued) && t.snd_nxt == end);
  }

  // I6 for on_segment.
  void check_segment_effects(const Tcb& b, const Segment& s, const Output& out) {
    const Tcb& t = tcb_;
    if (out.drop != Drop::kNone) {
      FUZZ_CHECK(t.state == b.state && t.snd_una == b.snd_una && t.snd_nxt == b.snd_nxt &&
                 t.rcv_nxt == b.rcv_nxt && t.iss == b.iss);
    }
    // A SYN (RST clear: step 2 takes a RST before step 4 looks at the SYN).
    if (in_state(b.state, kSynchronized) && s.has(tcpflag::kSyn) && !s.has(tcpflag::kRst)) {
      FUZZ_CHECK(t.state == b.state);
      // Answered by an ACK (challenge or not), unless this flow sent one
      // less than kOowAckIntervalMs ago.
      FUZZ_CHECK(out.n_tx >= 1 || out.has(event::kAckThrottled));
    }
    if (t.snd_una != b.snd_una && b.state != State::kSynSent) FUZZ_CHECK(t.snd_una == s.ack);
    if (in_state(b.state, kSynchronized | bit(State::kSynReceived)) && t.state != State::kClosed) {
      // RCV.NXT moves over in-order bytes of this segment only.
      FUZZ_CHECK(t.rcv_nxt - b.rcv_nxt >= 0);
      FUZZ_CHECK(static_cast<uint32_t>(t.rcv_nxt - b.rcv_nxt) <= s.len());
      if (t.rcv_nxt != b.rcv_nxt) FUZZ_CHECK(s.seq <= b.rcv_nxt);
    }
  }

  // I2 and the state/flag agreements, for a live TCB.
  void check_tcb(const Tcb& b, Call call) {
    const Tcb& t = tcb_;
    FUZZ_CHECK(t.state != State::kListen);
    FUZZ_CHECK(t.snd_una <= t.snd_nxt);
    const Seq limit = data_end(t) + (t.has(tcbflag::kFinQueued) ? 1 : 0);
    FUZZ_CHECK(t.snd_nxt <= limit);
    FUZZ_CHECK(t.snd_wscale() <= kMaxWscale && t.rcv_wscale() <= kMaxWscale);
    FUZZ_CHECK(t.snd_mss >= 88 && t.snd_mss <= cfg().mss);
    if (call == Call::kSegment || call == Call::kTimer) {
      FUZZ_CHECK(t.iss == b.iss);
      FUZZ_CHECK(t.snd_una >= b.snd_una && t.snd_nxt >= b.snd_nxt);
      FUZZ_CHECK(t.snd_queued >= b.snd_queued);
      if (b.state != State::kSynSent) FUZZ_CHECK(t.rcv_nxt >= b.rcv_nxt);
    }
    // Our FIN is queued exactly in the states after CLOSE.
    const uint16_t after_close = bit(State::kFinWait1) | bit(State::kFinWait2) |
                                 bit(State::kClosing) | bit(State::kLastAck) |
                                 bit(State::kTimeWait);
    FUZZ_CHECK(t.has(tcbflag::kFinQueued) == in_state(t.state, after_close));
    // The peer's FIN is consumed exactly in the states after it.
    const uint16_t after_fin = bit(State::kCloseWait) | bit(State::kClosing) |
                               bit(State::kLastAck) | bit(State::kTimeWait);
    FUZZ_CHECK(t.has(tcbflag::kFinReceived) == in_state(t.state, after_fin));
    // FIN-WAIT-2 and TIME-WAIT: our FIN is acknowledged.
    if (in_state(t.state, bit(State::kFinWait2) | bit(State::kTimeWait)))
      FUZZ_CHECK(t.snd_una == limit && t.snd_nxt == limit);
    // The client role is ours exactly for an active open.
    FUZZ_CHECK(t.has(tcbflag::kActiveOpen) == cfg_.requester);
  }

  // ---- I9: the applications ---------------------------------------------------------

  void check_responder(const Tcb& b, const Output& out) {
    const Tcb& t = tcb_;
    const uint32_t n = static_cast<uint32_t>(cfg_.response.size());
    if (t.state == State::kClosed) return;
    const uint32_t queued = t.snd_queued - (b.state == State::kListen ? 0 : b.snd_queued);
    FUZZ_CHECK(queued == (out.has(event::kRequest) ? n : 0));
    if (n != 0) FUZZ_CHECK(t.snd_queued % n == 0);
    if (cfg_.active_close) FUZZ_CHECK(t.snd_queued <= n);
  }

  uint32_t request_bytes(uint32_t count) const {
    const Requester& r = static_cast<const Requester&>(*app_);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < count; i++) sum += r.request_len(i);
    return sum;
  }

  void check_requester(Call call, const Tcb& b, const RequesterState& s0, const Output& out) {
    const Tcb& t = tcb_;
    const RequesterState& s1 = rq_;
    const uint32_t n = cfg_.rq.requests_per_connection;
    // Counts and their events.
    FUZZ_CHECK(s1.requests_sent >= s0.requests_sent && s1.requests_sent - s0.requests_sent <= 1);
    FUZZ_CHECK(s1.responses_done >= s0.responses_done &&
               s1.responses_done - s0.responses_done <= 1);
    FUZZ_CHECK(out.has(event::kRequestSent) == (s1.requests_sent != s0.requests_sent));
    FUZZ_CHECK(out.has(event::kResponseDone) == (s1.responses_done != s0.responses_done));
    FUZZ_CHECK(s1.requests_sent <= n && s1.responses_done <= s1.requests_sent);
    FUZZ_CHECK(s1.requests_sent <= s1.responses_done + 1);  // no pipelining
    if (out.has(event::kServerEndedEarly)) FUZZ_CHECK(s1.responses_done < n);
    FUZZ_CHECK(!out.has(event::kRequest));
    if (t.state != State::kClosed) FUZZ_CHECK(t.snd_queued == request_bytes(s1.requests_sent));
    // The first request goes when the connection is established.
    if (out.has(event::kEstablished) && t.state != State::kClosed)
      FUZZ_CHECK(s1.requests_sent >= 1);
    // Our FIN: when done (active close), when the server ended first, or
    // answering the server's FIN.
    if (t.has(tcbflag::kFinQueued) && !b.has(tcbflag::kFinQueued) && t.state != State::kClosed) {
      FUZZ_CHECK(
          t.has(tcbflag::kFinReceived) ||
          (cfg_.rq.active_close && (s1.responses_done == n || out.has(event::kServerEndedEarly))));
    }
    if (call != Call::kSegment || in_time_wait_) return;
    predict_responses(b, s0, out);
  }

  // The responses a segment completes, predicted from the stream's framing
  // when everything before the new bytes was whole template responses.
  void predict_responses(const Tcb& b, const RequesterState& s0, const Output& out) {
    const Tcb& t = tcb_;
    if (!irs_known_ || b.state == State::kSynSent ||
        !in_state(b.state, kSynchronized | bit(State::kSynReceived)))
      return;
    const bool fin_now = t.has(tcbflag::kFinReceived) && !b.has(tcbflag::kFinReceived);
    const int32_t a = b.rcv_nxt - (irs_ + 1);
    const int32_t e = t.rcv_nxt - (irs_ + 1) - (fin_now ? 1 : 0);
    if (a < 0 || e < a) return;
    const std::vector<Piece>& pieces = stream_.pieces();
    const uint32_t n = cfg_.rq.requests_per_connection;
    uint32_t done = s0.responses_done, sent = s0.requests_sent;
    bool malformed = false, truncated = false, ended_early = false, request_sent = false;
    bool response_done = false;
    if (out.has(event::kEstablished) && sent == 0) {  // on_established: the first request
      sent = 1;
      request_sent = true;
    }
    // Every piece up to the one in progress must be a response, not raw bytes.
    auto predictable = [&](uint32_t k) {
      if (k >= pieces.size()) return false;
      for (uint32_t i = 0; i <= k; i++)
        if (pieces[i].raw) return false;
      return true;
    };
    // Bytes that arrive before any of the outstanding request has left answer
    // nothing we sent: the segment that completes a simultaneous open queues
    // the first request itself, and a request may wait for the peer's window.
    const bool request_unsent = (request_sent && b.state == State::kSynReceived) ||
                                (sent > done && b.snd_nxt <= b.iss + 1 + request_bytes(sent - 1));
    if (e > a) {
      if (done == sent || request_unsent) {
        malformed = true;  // no request is outstanding, or none of it has left
      } else {
        if (!predictable(done) || pieces[done].until_close ||
            static_cast<uint32_t>(a) < pieces[done].start)
          return;
        const Piece& p = pieces[done];
        if (static_cast<uint32_t>(e) >= p.end) {
          done++;
          response_done = true;
          if (done < n) {
            if (!p.closes && !t.has(tcbflag::kFinReceived)) {
              sent++;
              request_sent = true;
            } else {
              ended_early = true;
            }
          }
          if (static_cast<uint32_t>(e) > p.end) malformed = true;  // bytes nobody asked for
        }
      }
    }
    if (fin_now && !malformed && done != sent) {
      if (!predictable(done) || pieces[done].until_close) return;
      truncated = true;  // a FIN inside a response framed by its length
    }
    FUZZ_CHECK(out.has(event::kResponseMalformed) == malformed);
    if (malformed) {
      FUZZ_CHECK(t.state == State::kClosed);
      return;
    }
    FUZZ_CHECK(out.has(event::kResponseDone) == response_done);
    FUZZ_CHECK(out.has(event::kRequestSent) == request_sent);
    FUZZ_CHECK(rq_.responses_done == done && rq_.requests_sent == sent);
    if (ended_early) FUZZ_CHECK(out.has(event::kServerEndedEarly));
    FUZZ_CHECK(out.has(event::kResponseTruncated) == truncated);
  }

  ByteReader in_;
  Config cfg_;
  std::unique_ptr<Application> app_;
  Endpoint ep_;
  std::vector<uint8_t> request_stream_;
  ServerStream stream_;
  std::vector<uint8_t> payload_;
  RequesterState rq_;
  Tcb tcb_;
  TimeWaitState tw_;
  Seq irs_;
  bool irs_known_ = false;
  uint64_t now_;
  uint32_t peer_ts_ = 0;
  uint32_t our_ts_ = 0;
  bool timer_armed_ = false;
  uint64_t timer_deadline_ = 0;
  bool closed_ = false;
  bool in_time_wait_ = false;
  bool seg_had_fin_ = false;  // the segment of the call being checked carried a FIN
};

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synack::fuzz::Program(data, size).run();
  return 0;
}
