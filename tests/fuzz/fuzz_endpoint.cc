// The pure tcp::Endpoint driven by the input as a program: a configuration,
// then connections, each opened by on_listen (a SYN), open (active) or
// on_cookie_ack, then fed segments and timer expiries until it closes or the
// input ends. The clock only moves forward; the flow's one timer is modelled
// the way the runtime's wheel keeps it (kArm/kCancel/kKeep, disarmed before
// it fires).
//
// Program layout (little-endian, see tests/fuzz/make_corpus.py):
//   config: 6 bytes (config_from)
//   per connection: open byte, then the open's fields, then ops:
//     op & 7 in 0..4: a segment (seg_from), op 5: fire the timer, op 6: let
//     time pass, op 7: end this connection (the next one starts).
//
// Invariants, checked after every call (check_call and friends):
//  I1  Output.n_tx <= Output::kMaxTx; drop and events are known values.
//  I2  SND.UNA =< SND.NXT, and SND.NXT never passes what exists to send:
//      ISS + 1 + response (once requested) + our FIN (once queued).
//      SND.UNA, SND.NXT and RCV.NXT never move backwards; ISS never changes
//      and IRS not once synchronized. SND.UNA only takes a SEG.ACK value.
//  I3  The state moves only along RFC 9293's diagram (Figure 5 and the event
//      processing of 3.10.7): one segment may take one acknowledgment edge,
//      then one FIN edge, then the server's CLOSE (kEdges / allowed()); a
//      reset, a give-up or an expiry goes to CLOSED.
//  I4  kClosed is reported exactly when the state became CLOSED, and then the
//      timer is cancelled, never (re)armed (no timer op after close); a
//      stale expiry on the closed TCB does nothing.
//  I5  Every transmitted segment is one of:
//      - a RST for the segment at hand (RFC 9293 3.10.7.1/.2/.3, and
//        SYN-RECEIVED's bad ACK, 3.10.7.4 step 5): <SEQ=SEG.ACK><CTL=RST>, or
//        <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> when it had no ACK; never
//        for a RST, and never in a synchronized state (RFC 5961 3/4/5 answer
//        those with ACKs);
//      - an abort (RFC 9293 3.10.4/3.8.3 R2, on_timer only):
//        <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> that closes the TCB;
//      - our SYN <SEQ=ISS> in SYN-SENT, or SYN-ACK <SEQ=ISS><ACK=RCV.NXT> in
//        SYN-RECEIVED, with MSS and only the options the peer offered;
//      - an ACK-bearing segment with ACK = RCV.NXT (we acknowledge at once)
//        and SND.UNA =< SEG.SEQ, SEG.SEQ + SEG.LEN =< SND.NXT: its data is
//        response[SEG.SEQ - ISS - 1, +len) within the MSS (less TSopt), its FIN
//        at the end of the response; TSopt exactly when negotiated (RFC 7323
//        3.2), TSecr = TS.Recent, no SYN-only options. A challenge ACK
//        (RFC 5961 3.2, 4.2) is this form at <SEQ=SND.NXT>, and changes nothing.
//  I6  A RST closes the connection only at SEG.SEQ = RCV.NXT (RFC 5961 3.2), or
//      in SYN-SENT with an acceptable ACK (RFC 9293 3.10.7.3); a SYN without
//      RST on a synchronized connection never changes its state and is
//      answered with an ACK (RFC 5961 4.2); a
//      dropped segment changes no sequence variable and no state.
//  I7  A live connection always has its timer armed, unless idle timeouts are
//      off and it is ESTABLISHED, CLOSE-WAIT or FIN-WAIT-2 with nothing in
//      flight or waiting to be sent; the timer is armed for a configured
//      duration only (an RTO step, TIME-WAIT or idle).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_input.h"
#include "tcp/options.h"
#include "tcp/segment.h"
#include "tcp/state_machine.h"
#include "tcp/tcb.h"

namespace synack::fuzz {
namespace {

using namespace synack::tcp;

// ---- I3: the RFC 9293 state diagram --------------------------------------------

enum class Phase : uint8_t {
  kOpen,   // on_listen / open / on_cookie_ack
  kAck,    // SYN and ACK processing of an arriving segment (3.10.7.3, 3.10.7.4 step 5)
  kFin,    // step 8, the peer's FIN
  kClose,  // the server application's CLOSE call (3.10.4)
};

struct Edge {
  State from;
  State to;
  Phase phase;
};

// Figure 5 of RFC 9293 with the event-processing text that refines it. LISTEN
// stands for "no TCB, a listening port". Any state -> CLOSED (reset, give-up,
// expiry) is allowed separately, in allowed().
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

// Transitions that follow the diagram's edges; the other ways to CLOSED (a
// RST, retries exhausted, an expiry) are checked with their events in
// check_close().
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
constexpr uint16_t kKnownEvents = (1u << 13) - 1;

// ---- the program ----------------------------------------------------------------

EndpointConfig config_from(ByteReader& in) {
  // Within what engine/app/flags.cc accepts: MSS 88..9000, wscale 0..14,
  // RCV.WND = 65535 << wscale, RTO 10..60000 ms, retries 0..15, TIME-WAIT
  // 1..600000 ms, idle any (0 = off), response up to 1 MiB.
  static constexpr uint32_t kResponse[] = {0, 1, 38, 1448, 1460, 4000, 70000, 1u << 20};
  static constexpr uint16_t kMss[] = {1460, 536, 88, 9000};
  static constexpr uint32_t kRto[] = {1000, 10, 200, 60000};
  static constexpr uint32_t kTimeWait[] = {60000, 1, 100, 600000};
  static constexpr uint32_t kIdle[] = {300000, 0, 10, 0xFFFFFFFFu};
  EndpointConfig c;
  const uint8_t a = in.u8();
  c.response_len = kResponse[a & 7];
  c.active_close = (a & 8) == 0;
  c.rcv_wscale = static_cast<uint8_t>(((a >> 4) & 15) % 15);
  c.rcv_wnd = 65535u << c.rcv_wscale;
  const uint8_t b = in.u8();
  c.mss = kMss[b & 3];
  c.rto_initial_ms = kRto[(b >> 2) & 3];
  c.time_wait_ms = kTimeWait[(b >> 4) & 3];
  c.idle_timeout_ms = kIdle[(b >> 6) & 3];
  const uint8_t r = in.u8();
  c.synack_retries = r & 15;
  c.data_retries = r >> 4;
  const uint16_t mss = in.u16();  // an exact MSS when it is in range
  if (mss >= 88 && mss <= 9000) c.mss = mss;
  in.u8();  // reserved, so seeds stay valid when a field is added
  return c;
}

class Program {
 public:
  Program(const uint8_t* data, size_t size) : in_(data, size), ep_(config_from(in_)) {}

  void run() {
    while (!in_.empty()) connection();
  }

 private:
  const EndpointConfig& cfg() const { return ep_.config(); }

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
        s.seq = tcb_.irs + static_cast<uint32_t>(delta8());
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
    return s;
  }

  // The runtime's millisecond clock is 32 bits; programs stay well inside it
  // so that it only moves forward.
  static constexpr uint32_t kMaxNow = 0xF0000000u;
  void pass_time(uint32_t ms) { now_ = ms < kMaxNow - now_ ? now_ + ms : kMaxNow; }

  // ---- one connection --------------------------------------------------------

  void connection() {
    timer_armed_ = false;
    closed_ = false;
    const uint8_t how = in_.u8();
    pass_time(in_.u8());
    switch (how % 3) {
      case 0:
        if (!open_listen()) return;
        break;
      case 1:
        open_active();
        break;
      default:
        open_cookie();
    }
    while (!closed_ && !in_.empty()) {
      const uint8_t op = in_.u8();
      switch (op & 7) {
        case 5:
          if (!timer_armed_ || timer_deadline_ > kMaxNow) break;
          // The wheel fires at or after the deadline (later under its cap).
          if (timer_deadline_ > now_) now_ = static_cast<uint32_t>(timer_deadline_);
          pass_time(in_.u8() & 15);
          fire_timer();
          break;
        case 6:
          pass_time((op & 8) ? uint32_t{in_.u16()} * 100 : in_.u16());
          break;
        case 7:
          return;
        default: {
          pass_time(op >> 5);
          const Segment s = seg_from();
          on_segment(s);
        }
      }
    }
    if (closed_) stale_timer_after_close();
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
    peer_ts_ = syn.opts.ts_val;
    const Seq iss(in_.u32());
    Tcb t;
    Output out;
    ep_.on_listen(syn, iss, now_, t, out);
    check_output_basics(out);
    if (!out.has(event::kCreated)) {
      // RFC 9293 3.10.7.2: a RST is ignored, an ACK gets <SEQ=SEG.ACK><CTL=RST>,
      // anything else without SYN is dropped.
      FUZZ_CHECK(out.events == 0 && out.drop != Drop::kNone && out.timer == TimerOp::kKeep);
      if (syn.has(tcpflag::kRst)) {
        FUZZ_CHECK(out.n_tx == 0 && out.drop == Drop::kListenRst);
      } else if (syn.has(tcpflag::kAck)) {
        FUZZ_CHECK(out.n_tx == 1 && out.drop == Drop::kListenAck);
        check_reset_for(out.tx[0], syn);
      } else {
        FUZZ_CHECK(out.n_tx == 0 && out.drop == Drop::kListenNoSyn);
      }
      return false;
    }
    FUZZ_CHECK(syn.has(tcpflag::kSyn) && !syn.has(tcpflag::kAck) && !syn.has(tcpflag::kRst));
    FUZZ_CHECK(t.state == State::kSynReceived && t.iss == iss && t.irs == syn.seq);
    FUZZ_CHECK(t.rcv_nxt == syn.seq + 1 && t.snd_una == iss && t.snd_nxt == iss + 1);
    FUZZ_CHECK(out.n_tx == 1 && out.tx[0].flags == (tcpflag::kSyn | tcpflag::kAck));
    Tcb before;
    before.state = State::kListen;
    tcb_ = t;
    after_call(Call::kListen, before, nullptr, out);
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
    after_call(Call::kOpen, before, nullptr, out);
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
    const uint8_t b = in_.u8();
    static constexpr uint16_t kCookieMss[] = {536, 1300, 1440, 1460};  // syn_cookie.h's table
    CookieOptions co;
    co.mss = kCookieMss[b & 3];
    if (ack.opts.has_timestamps) {
      co.timestamps = true;
      co.wscale = (b >> 2) & 15;
      if (co.wscale > kMaxWscale) co.wscale = kNoWscale;
      co.sack_permitted = (b & 64) != 0;
      co.ecn = (b & 128) != 0;
    }
    Tcb t;
    Output out;
    ep_.on_cookie_ack(ack, co, now_, t, out);
    check_output_basics(out);
    FUZZ_CHECK(out.has(event::kCreated) && out.has(event::kEstablished));
    FUZZ_CHECK(t.iss == ack.ack - 1 && t.irs == ack.seq - 1);
    Tcb before;
    before.state = State::kListen;
    tcb_ = t;
    after_call(Call::kCookieAck, before, &ack, out);
  }

  void on_segment(const Segment& s) {
    const Tcb before = tcb_;
    Output out;
    ep_.on_segment(tcb_, s, now_, out);
    check_output_basics(out);
    FUZZ_CHECK(!out.has(event::kCreated));
    after_call(Call::kSegment, before, &s, out);
  }

  void fire_timer() {
    timer_armed_ = false;  // the wheel disarms a timer before running it
    const Tcb before = tcb_;
    Output out;
    ep_.on_timer(tcb_, now_, out);
    check_output_basics(out);
    FUZZ_CHECK(!out.has(event::kCreated) && !out.has(event::kEstablished));
    FUZZ_CHECK(out.drop == Drop::kNone);
    after_call(Call::kTimer, before, nullptr, out);
  }

  // I4: an expiry that raced with the close must find nothing to do.
  void stale_timer_after_close() {
    Tcb t = tcb_;
    Output out;
    ep_.on_timer(t, now_, out);
    FUZZ_CHECK(out.n_tx == 0 && out.events == 0 && out.timer != TimerOp::kArm);
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

  Seq data_end(const Tcb& t) const {
    const bool requested = t.has(tcbflag::kRequestSeen);
    return t.iss + 1 + (requested ? cfg().response_len : 0);
  }

  bool timer_duration_ok(uint32_t ms) const {
    if (ms == 0) return false;
    if (ms == cfg().time_wait_ms || ms == cfg().idle_timeout_ms) return true;
    for (uint8_t k = 0; k < 32; k++) {  // an RTO step: min(initial << k, max), RFC 6298 5.5
      const uint64_t rto = uint64_t{cfg().rto_initial_ms} << k;
      if (ms == (rto < cfg().rto_max_ms ? rto : cfg().rto_max_ms)) return true;
    }
    return false;
  }

  // I5 for one transmitted segment; `b` is the TCB before the call, `seg` the
  // segment that caused it (nullptr for opens without one and timers).
  void check_tx(const TxSegment& x, Call call, const Tcb& b, const Segment* seg,
                const Output& out) {
    const Tcb& t = tcb_;
    if (x.flags & tcpflag::kRst) {
      FUZZ_CHECK(seg == nullptr || !seg->has(tcpflag::kRst));
      FUZZ_CHECK(x.data_len == 0 && !x.opts.has_mss && !x.opts.has_wscale);
      if (call == Call::kTimer) {  // abort
        FUZZ_CHECK(x.flags == (tcpflag::kRst | tcpflag::kAck) && x.seq == t.snd_nxt &&
                   x.ack == t.rcv_nxt);
        FUZZ_CHECK(out.has(event::kResetSent) && t.state == State::kClosed);
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
        if (x.opts.has_wscale) FUZZ_CHECK(x.opts.wscale == t.rcv_wscale && x.opts.wscale <= 14);
      } else {
        FUZZ_CHECK(t.state == State::kSynSent && x.flags == tcpflag::kSyn);
      }
      return;
    }
    // Everything else carries the current acknowledgment (RFC 9293 3.10.7.4).
    FUZZ_CHECK((x.flags & tcpflag::kAck) != 0);
    FUZZ_CHECK(x.ack == t.rcv_nxt);
    FUZZ_CHECK(t.state != State::kClosed);
    const uint32_t len = x.data_len + ((x.flags & tcpflag::kFin) ? 1u : 0u);
    FUZZ_CHECK(t.snd_una <= x.seq && x.seq + len <= t.snd_nxt);
    FUZZ_CHECK(!x.opts.has_mss && !x.opts.has_wscale && !x.opts.sack_permitted);
    FUZZ_CHECK(x.opts.has_timestamps == t.has(tcbflag::kTimestamps));
    if (x.opts.has_timestamps) {
      FUZZ_CHECK(x.opts.ts_val == now_);
      FUZZ_CHECK(x.opts.ts_ecr == t.ts_recent || x.opts.ts_ecr == b.ts_recent);
    }
    if (x.data_len > 0) {
      FUZZ_CHECK(t.has(tcbflag::kRequestSeen) && !t.has(tcbflag::kActiveOpen));
      FUZZ_CHECK(x.data_off == static_cast<uint32_t>(x.seq - (t.iss + 1)));
      FUZZ_CHECK(uint64_t{x.data_off} + x.data_len <= cfg().response_len);
      const uint32_t ts = t.has(tcbflag::kTimestamps) ? 12 : 0;
      FUZZ_CHECK(x.data_len <= t.snd_mss - ts);
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
    std::fprintf(stderr, "t=%u %s %s -> %s", now_, kCall[static_cast<int>(call)],
                 state_name(b.state), state_name(t.state));
    if (seg)
      std::fprintf(stderr, " | seg flags=%02x seq=%u ack=%u len=%u wnd=%u ts=%d/%u/%u", seg->flags,
                   seg->seq.raw(), seg->ack.raw(), seg->payload_len, seg->wnd,
                   seg->opts.has_timestamps, seg->opts.ts_val, seg->opts.ts_ecr);
    std::fprintf(stderr,
                 "\n    before una=%u nxt=%u rcv=%u iss=%u irs=%u flags=%02x retries=%u"
                 "\n    after  una=%u nxt=%u rcv=%u iss=%u irs=%u flags=%02x retries=%u wnd=%u"
                 "\n    out events=%04x drop=%s timer=%d/%u",
                 b.snd_una.raw(), b.snd_nxt.raw(), b.rcv_nxt.raw(), b.iss.raw(), b.irs.raw(),
                 b.flags, b.retries, t.snd_una.raw(), t.snd_nxt.raw(), t.rcv_nxt.raw(), t.iss.raw(),
                 t.irs.raw(), t.flags, t.retries, t.snd_wnd, out.events, drop_name(out.drop),
                 static_cast<int>(out.timer), out.timer_ms);
    for (int i = 0; i < out.n_tx; i++)
      std::fprintf(stderr, "\n    tx flags=%02x seq=%u ack=%u off=%u len=%u ts=%d/%u/%u",
                   out.tx[i].flags, out.tx[i].seq.raw(), out.tx[i].ack.raw(), out.tx[i].data_off,
                   out.tx[i].data_len, out.tx[i].opts.has_timestamps, out.tx[i].opts.ts_val,
                   out.tx[i].opts.ts_ecr);
    std::fprintf(stderr, "\n");
  }

  void after_call(Call call, const Tcb& b, const Segment* seg, const Output& out) {
    trace(call, b, seg, out);
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
      FUZZ_CHECK(out.n_tx == 1);
    }
    // Events that name a transition happened in it.
    FUZZ_CHECK(out.has(event::kTimeWait) ==
               (t.state == State::kTimeWait && b.state != State::kTimeWait));
    if (out.has(event::kTimeWait))
      FUZZ_CHECK(out.timer == TimerOp::kArm && out.timer_ms == cfg().time_wait_ms);
    if (out.has(event::kEstablished))
      FUZZ_CHECK(
          in_state(b.state, bit(State::kListen) | bit(State::kSynSent) | bit(State::kSynReceived)));
    if (out.has(event::kRequest))
      FUZZ_CHECK(t.has(tcbflag::kRequestSeen) && !b.has(tcbflag::kRequestSeen));
    if (out.has(event::kResetByPeer)) {
      // I6: a RST is taken only at RCV.NXT, or in SYN-SENT with an acceptable ACK.
      FUZZ_CHECK(seg != nullptr && seg->has(tcpflag::kRst) && now_closed);
      if (b.state == State::kSynSent)
        FUZZ_CHECK(seg->has(tcpflag::kAck) && b.iss < seg->ack && seg->ack <= b.snd_nxt);
      else
        FUZZ_CHECK(seg->seq == b.rcv_nxt);
    }
    if (call == Call::kSegment) check_segment_effects(b, *seg, out);

    // The timer model, then I7.
    if (out.timer == TimerOp::kArm) {
      FUZZ_CHECK(timer_duration_ok(out.timer_ms));
      timer_armed_ = true;
      timer_deadline_ = uint64_t{now_} + out.timer_ms;
    } else if (out.timer == TimerOp::kCancel) {
      timer_armed_ = false;
    }
    if (now_closed) {
      closed_ = true;
      return;
    }
    check_tcb(b, call);
    const bool idle_ok_unarmed =
        cfg().idle_timeout_ms == 0 &&
        in_state(t.state,
                 bit(State::kEstablished) | bit(State::kCloseWait) | bit(State::kFinWait2)) &&
        t.snd_una == t.snd_nxt && !has_unsent(t);
    FUZZ_CHECK(timer_armed_ || idle_ok_unarmed);
    our_ts_ = now_;
  }

  // A move to CLOSED outside the diagram's edges, with the event that says why:
  // a RST taken (RFC 9293 3.10.7.3/.4 step 2, I6 checks its sequence number),
  // TIME-WAIT's expiry (3.10.8), a handshake given up quietly, or an abort (a
  // RST sent) when data retries are exhausted or the connection was idle.
  bool check_close(Call call, const Tcb& b, const Output& out) const {
    if (call == Call::kSegment) return out.has(event::kResetByPeer);
    if (call != Call::kTimer) return false;
    if (b.state == State::kTimeWait) return out.has(event::kTimeWaitExpired) && out.n_tx == 0;
    if (in_state(b.state, bit(State::kSynSent) | bit(State::kSynReceived)))
      return out.has(event::kGaveUp) && b.retries >= cfg().synack_retries && out.n_tx == 0;
    if (!in_state(b.state, kSynchronized)) return false;
    const bool gave_up = out.has(event::kGaveUp) && b.retries >= cfg().data_retries;
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
                 t.rcv_nxt == b.rcv_nxt && t.iss == b.iss && t.irs == b.irs);
    }
    // A SYN (RST clear: step 2 takes a RST before step 4 looks at the SYN).
    if (in_state(b.state, kSynchronized) && s.has(tcpflag::kSyn) && !s.has(tcpflag::kRst)) {
      FUZZ_CHECK(t.state == b.state);
      FUZZ_CHECK(out.n_tx >= 1);  // answered by an ACK (challenge or not)
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
    FUZZ_CHECK(t.snd_wscale <= kMaxWscale && t.rcv_wscale <= kMaxWscale);
    FUZZ_CHECK(t.snd_mss >= 88 && t.snd_mss <= cfg().mss);
    if (call == Call::kSegment || call == Call::kTimer) {
      FUZZ_CHECK(t.iss == b.iss);
      FUZZ_CHECK(t.snd_una >= b.snd_una && t.snd_nxt >= b.snd_nxt);
      if (b.state != State::kSynSent) {
        FUZZ_CHECK(t.irs == b.irs);
        FUZZ_CHECK(t.rcv_nxt >= b.rcv_nxt);
      }
    }
    // Our FIN is queued exactly in the states after CLOSE (the server closes
    // only from ESTABLISHED or CLOSE-WAIT).
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
  }

  ByteReader in_;
  Endpoint ep_;
  Tcb tcb_;
  uint32_t now_ = 1;
  uint32_t peer_ts_ = 0;
  uint32_t our_ts_ = 0;
  bool timer_armed_ = false;
  uint64_t timer_deadline_ = 0;
  bool closed_ = false;
};

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synack::fuzz::Program(data, size).run();
  return 0;
}
