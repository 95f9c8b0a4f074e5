// RFC 9293 3.10.7.3 SYN-SENT as a table, through a client Endpoint running
// the Requester: {incoming segment, expected reply, next state, drop, events,
// timer, what was negotiated}. Then simultaneous open to its end, and the SYN
// on its timer: exponential backoff, give-up, RTT samples (Karn).
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "client_test_util.h"
#include "tcp_test_util.h"

namespace synack::tcp::testing {
namespace {

constexpr uint8_t S = tcpflag::kSyn;
constexpr uint8_t A = tcpflag::kAck;
constexpr uint8_t F = tcpflag::kFin;
constexpr uint8_t R = tcpflag::kRst;
constexpr uint8_t P = tcpflag::kPsh;

// The client's ISS is kSrvIss (Harness::syn_sent), so SND.NXT = kSrvIss + 1;
// the peer's ISN is kCliIsn.
constexpr uint32_t kIss = kSrvIss;
constexpr uint32_t kPeerIsn = kCliIsn;

// Options on the incoming segment.
constexpr uint8_t kOMss = 1;
constexpr uint8_t kOWs = 2;
constexpr uint8_t kOSack = 4;
constexpr uint8_t kOTs = 8;
constexpr uint32_t kPeerTsVal = 4242;

// Which step of 3.10.7.3 decides the row.
enum class Step : uint8_t {
  kFirstAck,
  kSecondRstAck,
  kSecondRstNoAck,
  kFourthSynAck,
  kFourthSyn,
  kFifth
};

struct In {
  uint8_t flags = 0;
  int32_t ack = 0;  // SEG.ACK - SND.NXT
  uint8_t opts = 0;
  uint16_t mss = 1460;
  uint8_t ws = 0;
  uint16_t wnd = 65535;
  uint32_t len = 0;
};

inline constexpr int64_t kAny = INT64_MIN;
inline constexpr int kRequest = -2;  // the reply carries the whole request

struct Reply {
  uint8_t flags = 0;   // 0: nothing is sent
  int64_t seq = kAny;  // relative to ISS
  int64_t ack = kAny;  // relative to SEG.SEQ
  int data = -1;       // payload bytes, kRequest, or -1: not checked
};
inline constexpr Reply kNothing{};

enum class Tm : uint8_t { kAnyTimer, kKeep, kArm, kCancel };

// What the connection uses afterwards (checked when has is set).
struct Negotiated {
  bool has = false;
  uint16_t snd_mss = 0;
  int8_t snd_ws = -1;  // -1: no window scaling
  bool sack = false;
  bool ts = false;
  uint32_t snd_wnd = 0;
};
constexpr Negotiated neg(uint16_t mss, int8_t ws, bool sack, bool ts, uint32_t wnd = 65535) {
  return {true, mss, ws, sack, ts, wnd};
}

struct Row {
  const char* what;
  Step step;
  In in;
  Reply reply;
  State next;
  Drop drop = Drop::kNone;
  uint32_t events = 0;  // all set
  uint32_t absent = 0;  // none set
  Tm timer = Tm::kAnyTimer;
  Negotiated n = {};
};

constexpr uint32_t kApp = event::kRequestSent | event::kResponseDone | event::kResponseTruncated |
                          event::kResponseMalformed;
constexpr uint32_t kEst = event::kEstablished | event::kRequestSent;
constexpr uint32_t kRefused = event::kClosed | event::kResetByPeer;
constexpr In syn_ack(uint8_t opts = 0) {
  In i;
  i.flags = S | A;
  i.opts = opts;
  return i;
}
constexpr In with(In i, uint16_t mss, uint8_t ws = 0, uint16_t wnd = 65535, uint32_t len = 0) {
  i.mss = mss;
  i.ws = ws;
  i.wnd = wnd;
  i.len = len;
  return i;
}
constexpr In seg(uint8_t flags, int32_t ack = 0, uint32_t len = 0) {
  In i;
  i.flags = flags;
  i.ack = ack;
  i.len = len;
  return i;
}

const Reply kAckWithRequest{A | P, 1, 1, kRequest};

// clang-format off
const Row kRows[] = {
  // ---- fourth, SYN with an acceptable ACK: ESTABLISHED, the request on the ACK ----------
  {"synack_bare", Step::kFourthSynAck, syn_ack(), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(536, -1, false, false)},
  {"synack_mss", Step::kFourthSynAck, with(syn_ack(kOMss), 1200), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1200, -1, false, false)},
  {"synack_mss_above_ours", Step::kFourthSynAck, with(syn_ack(kOMss), 9000), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, -1, false, false)},
  {"synack_mss_tiny_floored", Step::kFourthSynAck, with(syn_ack(kOMss), 40), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(88, -1, false, false)},
  {"synack_mss_zero_is_none", Step::kFourthSynAck, with(syn_ack(kOMss), 0), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(536, -1, false, false)},
  {"synack_ws", Step::kFourthSynAck, with(syn_ack(kOMss | kOWs), 1460, 3), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, 3, false, false)},
  {"synack_ws_zero_still_scaling", Step::kFourthSynAck, with(syn_ack(kOMss | kOWs), 1460, 0), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, 0, false, false)},
  {"synack_ws_15_taken_as_14", Step::kFourthSynAck, with(syn_ack(kOMss | kOWs), 1460, 15), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, 14, false, false)},
  {"synack_sack", Step::kFourthSynAck, with(syn_ack(kOMss | kOSack), 1460), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, -1, true, false)},
  {"synack_ts", Step::kFourthSynAck, with(syn_ack(kOMss | kOTs), 1460), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, -1, false, true)},
  {"synack_all_options", Step::kFourthSynAck, with(syn_ack(kOMss | kOWs | kOSack | kOTs), 1400, 6), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1400, 6, true, true)},
  {"synack_window_never_scaled", Step::kFourthSynAck, with(syn_ack(kOMss | kOWs), 1460, 5, 1000), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, 5, false, false, 1000)},
  {"synack_zero_window_holds_request", Step::kFourthSynAck, with(syn_ack(kOMss), 1460, 0, 0), {A, 1, 1, 0}, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, -1, false, false, 0)},
  {"synack_small_window_part_of_request", Step::kFourthSynAck, with(syn_ack(kOMss), 1460, 0, 10), {A, 1, 1, 10}, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm, neg(1460, -1, false, false, 10)},
  {"synack_with_data_not_taken", Step::kFourthSynAck, with(syn_ack(kOMss), 1460, 0, 65535, 20), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, event::kResponseDone, Tm::kArm},
  {"synack_with_fin_not_taken", Step::kFourthSynAck, seg(S | A | F), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm},
  {"synack_psh", Step::kFourthSynAck, seg(S | A | P), kAckWithRequest, State::kEstablished, Drop::kNone, kEst, 0, Tm::kArm},

  // ---- first, the ACK: unacceptable (=< ISS or > SND.NXT) gets <SEQ=SEG.ACK><CTL=RST> ---
  {"synack_ack_of_iss", Step::kFirstAck, seg(S | A, -1), {R, 0}, State::kSynSent, Drop::kAckInSynSent, 0, kApp | event::kEstablished, Tm::kKeep},
  {"synack_ack_below_iss", Step::kFirstAck, seg(S | A, -1000), {R, -999}, State::kSynSent, Drop::kAckInSynSent, 0, kApp, Tm::kKeep},
  {"synack_ack_half_space_below", Step::kFirstAck, seg(S | A, INT32_MIN + 2), {R, int64_t{INT32_MIN} + 3}, State::kSynSent, Drop::kAckInSynSent, 0, kApp, Tm::kKeep},
  {"synack_ack_of_unsent", Step::kFirstAck, seg(S | A, 1), {R, 2}, State::kSynSent, Drop::kAckInSynSent, 0, kApp, Tm::kKeep},
  {"synack_ack_far_ahead", Step::kFirstAck, seg(S | A, 100000), {R, 100001}, State::kSynSent, Drop::kAckInSynSent, 0, kApp, Tm::kKeep},
  {"ack_alone_unacceptable", Step::kFirstAck, seg(A, -1), {R, 0}, State::kSynSent, Drop::kAckInSynSent},
  {"ack_with_data_unacceptable", Step::kFirstAck, seg(A | P, 5, 10), {R, 6}, State::kSynSent, Drop::kAckInSynSent},
  {"fin_ack_unacceptable", Step::kFirstAck, seg(F | A, -1), {R, 0}, State::kSynSent, Drop::kAckInSynSent},
  {"rst_ack_of_iss_dropped", Step::kFirstAck, seg(R | A, -1), kNothing, State::kSynSent, Drop::kAckInSynSent, 0, event::kClosed, Tm::kKeep},
  {"rst_ack_of_unsent_dropped", Step::kFirstAck, seg(R | A, 1), kNothing, State::kSynSent, Drop::kAckInSynSent, 0, event::kClosed, Tm::kKeep},
  {"syn_rst_ack_unacceptable_dropped", Step::kFirstAck, seg(S | R | A, 3), kNothing, State::kSynSent, Drop::kAckInSynSent, 0, event::kClosed},

  // ---- second, RST with an acceptable ACK: refused ----------------------------------------
  {"rst_ack_refused", Step::kSecondRstAck, seg(R | A), kNothing, State::kClosed, Drop::kNone, kRefused, kApp, Tm::kCancel},
  {"rst_ack_with_data_refused", Step::kSecondRstAck, seg(R | A, 0, 5), kNothing, State::kClosed, Drop::kNone, kRefused, kApp, Tm::kCancel},
  {"syn_rst_ack_refused", Step::kSecondRstAck, seg(S | R | A), kNothing, State::kClosed, Drop::kNone, kRefused, kApp | event::kEstablished, Tm::kCancel},
  {"rst_fin_ack_refused", Step::kSecondRstAck, seg(R | F | A), kNothing, State::kClosed, Drop::kNone, kRefused, kApp, Tm::kCancel},

  // ---- second, RST without ACK: dropped (RFC 5961 3.2: it must ack our SYN) ----------------
  {"rst_alone_dropped", Step::kSecondRstNoAck, seg(R), kNothing, State::kSynSent, Drop::kRstOutOfWindow, 0, event::kClosed, Tm::kKeep},
  {"syn_rst_dropped", Step::kSecondRstNoAck, seg(S | R), kNothing, State::kSynSent, Drop::kRstOutOfWindow, 0, event::kClosed, Tm::kKeep},
  {"rst_fin_dropped", Step::kSecondRstNoAck, seg(R | F), kNothing, State::kSynSent, Drop::kRstOutOfWindow, 0, event::kClosed},
  {"rst_with_data_dropped", Step::kSecondRstNoAck, seg(R | P, 0, 10), kNothing, State::kSynSent, Drop::kRstOutOfWindow, 0, event::kClosed},

  // ---- fourth, SYN without ACK: simultaneous open, SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  {"syn_simultaneous_open", Step::kFourthSyn, seg(S), {S | A, 0, 1, 0}, State::kSynReceived, Drop::kNone, 0, kApp | event::kEstablished, Tm::kArm, neg(536, -1, false, false)},
  {"syn_with_options", Step::kFourthSyn, with(In{S, 0, kOMss | kOWs | kOSack | kOTs}, 1300, 4), {S | A, 0, 1, 0}, State::kSynReceived, Drop::kNone, 0, kApp, Tm::kArm, neg(1300, 4, true, true)},
  {"syn_with_data_not_taken", Step::kFourthSyn, seg(S, 0, 20), {S | A, 0, 1, 0}, State::kSynReceived, Drop::kNone, 0, kApp, Tm::kArm},
  {"syn_fin_not_taken", Step::kFourthSyn, seg(S | F), {S | A, 0, 1, 0}, State::kSynReceived, Drop::kNone, 0, kApp, Tm::kArm},

  // ---- fifth, neither SYN nor RST: dropped ----------------------------------------------------
  {"ack_alone_acceptable_dropped", Step::kFifth, seg(A), kNothing, State::kSynSent, Drop::kSynSentNoSyn, 0, kApp | event::kEstablished, Tm::kKeep},
  {"ack_with_data_acceptable_dropped", Step::kFifth, seg(A | P, 0, 10), kNothing, State::kSynSent, Drop::kSynSentNoSyn, 0, kApp, Tm::kKeep},
  {"fin_alone_dropped", Step::kFifth, seg(F), kNothing, State::kSynSent, Drop::kSynSentNoSyn, 0, kApp, Tm::kKeep},
  {"fin_ack_acceptable_dropped", Step::kFifth, seg(F | A), kNothing, State::kSynSent, Drop::kSynSentNoSyn, 0, kApp, Tm::kKeep},
  {"data_alone_dropped", Step::kFifth, seg(P, 0, 10), kNothing, State::kSynSent, Drop::kSynSentNoSyn},
  {"no_flags_dropped", Step::kFifth, seg(0), kNothing, State::kSynSent, Drop::kSynSentNoSyn},
};
// clang-format on

Segment build(const In& in) {
  Seg s;
  s.flags(in.flags).seq(kPeerIsn).wnd(in.wnd).data(in.len);
  if (in.flags & A) s.ack(Seq(kIss + 1) + static_cast<uint32_t>(in.ack));
  if (in.opts & kOMss) s.mss(in.mss);
  if (in.opts & kOWs) s.ws(in.ws);
  if (in.opts & kOSack) s.sack();
  if (in.opts & kOTs) s.ts(kPeerTsVal, 777);
  return s;
}

class SynSentTable : public ::testing::TestWithParam<Row> {};

TEST_P(SynSentTable, Row) {
  const Row& row = GetParam();
  Harness h;
  h.use_requester(requester_config(1, true));
  h.now = 1000;
  h.syn_sent();
  const Segment in = build(row.in);
  h.now = 1020;
  h.in(in);
  const Output& out = h.out;

  EXPECT_EQ(state_name(h.tcb.state), std::string(state_name(row.next)));
  EXPECT_EQ(drop_name(out.drop), std::string(drop_name(row.drop)));
  EXPECT_EQ(out.events & row.events, row.events) << "events 0x" << std::hex << out.events;
  EXPECT_EQ(out.events & row.absent, 0u) << "events 0x" << std::hex << out.events;
  if (row.reply.flags == 0) {
    EXPECT_EQ(out.n_tx, 0);
  } else {
    ASSERT_EQ(out.n_tx, 1);
    const TxSegment& tx = out.tx[0];
    EXPECT_EQ(int{tx.flags}, int{row.reply.flags});
    if (row.reply.seq != kAny) {
      EXPECT_EQ(tx.seq, Seq(kIss) + static_cast<uint32_t>(row.reply.seq)) << tx.seq.raw();
    }
    if (row.reply.ack != kAny) {
      EXPECT_EQ(tx.ack, in.seq + static_cast<uint32_t>(row.reply.ack)) << tx.ack.raw();
    }
    if (row.reply.data == kRequest) {
      EXPECT_EQ(tx.data_len, h.requester->request_len(0));
      EXPECT_EQ(tx.data_off, 0u);
    } else if (row.reply.data >= 0) {
      EXPECT_EQ(tx.data_len, row.reply.data);
    }
    // The window we advertise: unscaled on a SYN, else RCV.WND >> our shift.
    if (tx.flags & A) {
      const uint32_t shift = (tx.flags & S) ? 0 : h.tcb.rcv_wscale();
      EXPECT_EQ(tx.wnd, std::min<uint32_t>(h.cfg().rcv_wnd >> shift, 65535));
    }
    // Timestamps echo the peer's TSval once in use (RFC 7323 3.2).
    if ((tx.flags & A) && h.tcb.has(tcbflag::kTimestamps)) {
      EXPECT_TRUE(tx.opts.has_timestamps);
      EXPECT_EQ(tx.opts.ts_ecr, kPeerTsVal);
      EXPECT_EQ(tx.opts.ts_val, 1020u);
    }
    if (tx.flags & R) {
      EXPECT_FALSE(tx.flags & A) << "<SEQ=SEG.ACK><CTL=RST>";
    }
  }
  switch (row.timer) {
    case Tm::kAnyTimer:
      break;
    case Tm::kKeep:
      EXPECT_EQ(out.timer, TimerOp::kKeep);
      break;
    case Tm::kArm:
      EXPECT_EQ(out.timer, TimerOp::kArm);
      break;
    case Tm::kCancel:
      EXPECT_EQ(out.timer, TimerOp::kCancel);
      break;
  }
  if (row.n.has) {
    const Tcb& t = h.tcb;
    EXPECT_EQ(t.snd_mss, row.n.snd_mss);
    EXPECT_EQ(t.has(tcbflag::kWscale), row.n.snd_ws >= 0);
    EXPECT_EQ(t.snd_wscale(), row.n.snd_ws >= 0 ? row.n.snd_ws : 0);
    EXPECT_EQ(t.rcv_wscale(), row.n.snd_ws >= 0 ? h.cfg().rcv_wscale : 0);
    EXPECT_EQ(t.has(tcbflag::kSackOk), row.n.sack);
    EXPECT_EQ(t.has(tcbflag::kTimestamps), row.n.ts);
    if (row.n.ts) {
      EXPECT_EQ(t.ts_recent, kPeerTsVal);
    }
    if (row.next == State::kEstablished) {
      EXPECT_EQ(t.snd_wnd, row.n.snd_wnd);
    }
  }
  if (row.next == State::kEstablished || row.next == State::kSynReceived) {
    EXPECT_EQ(h.tcb.rcv_nxt, in.seq + 1) << "IRS = SEG.SEQ; text and FIN are not taken";
  }
  if (row.next == State::kEstablished) {
    EXPECT_EQ(h.tcb.snd_una, Seq(kIss + 1));
    EXPECT_EQ(h.req_state.requests_sent, 1);
  } else {
    EXPECT_EQ(h.req_state.requests_sent, 0);
    EXPECT_EQ(h.tcb.snd_una, Seq(kIss));
  }
  if (row.next == State::kClosed) {
    EXPECT_EQ(out.timer, TimerOp::kCancel);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc9293, SynSentTable, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return std::string(info.param.what);
                         });

// Every step of 3.10.7.3 that decides something has rows, and every
// combination of the control bits SYN, ACK, RST, FIN meets SYN-SENT.
TEST(SynSentTableCoverage, EveryStepAndEveryControlCombination) {
  int per_step[6] = {};
  bool seen[16] = {};
  for (const Row& r : kRows) {
    ++per_step[static_cast<int>(r.step)];
    const uint8_t f = r.in.flags;
    seen[((f & S) ? 1 : 0) | ((f & A) ? 2 : 0) | ((f & R) ? 4 : 0) | ((f & F) ? 8 : 0)] = true;
  }
  for (int s = 0; s < 6; ++s) EXPECT_GE(per_step[s], 4) << s;
  // SYN,RST,FIN combinations without ACK or with one are covered but for those below;
  // run them here: whatever the bits, the outcome is one of the table's.
  for (int m = 0; m < 16; ++m) {
    if (seen[m]) continue;
    const uint8_t flags = static_cast<uint8_t>(((m & 1) ? S : 0) | ((m & 2) ? A : 0) |
                                               ((m & 4) ? R : 0) | ((m & 8) ? F : 0));
    SCOPED_TRACE(flag_text(flags));
    Harness h;
    h.use_requester(requester_config(1, true));
    h.syn_sent();
    h.in(build(seg(flags)));
    // RST decides before SYN, SYN before the rest (steps 2, 4, 5).
    if (flags & R) {
      EXPECT_EQ(h.tcb.state, (flags & A) ? State::kClosed : State::kSynSent);
    } else if (flags & S) {
      EXPECT_EQ(h.tcb.state, (flags & A) ? State::kEstablished : State::kSynReceived);
    } else {
      EXPECT_EQ(h.tcb.state, State::kSynSent);
    }
  }
}

// ---- simultaneous open to its end --------------------------------------------------

void simultaneous(Harness& h) {
  h.use_requester(requester_config(1, true));
  h.syn_sent();
  h.in(Seg().syn().seq(kPeerIsn).mss(1460));
  ASSERT_EQ(h.tcb.state, State::kSynReceived);
  ASSERT_EQ(h.req_state.requests_sent, 0) << "nothing is sent before ESTABLISHED";
}

TEST(SimultaneousOpen, PeerSynAckCompletesItAndTheRequestGoes) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(simultaneous(h));
  h.in(Seg().syn().seq(kPeerIsn).ack(kIss + 1).mss(1460));
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  EXPECT_TRUE(h.out.has(event::kEstablished | event::kRequestSent));
  EXPECT_EQ(h.out.drop, Drop::kNone);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, A | P);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kIss + 1));
  EXPECT_EQ(h.out.tx[0].ack, Seq(kPeerIsn + 1));
  EXPECT_EQ(h.out.tx[0].data_len, h.requester->request_len(0));
  // And the response then completes the request.
  h.in(h.next().bytes("HTTP/1.1 204 No Content\r\n\r\n"));
  EXPECT_TRUE(h.out.has(event::kResponseDone));
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
}

TEST(SimultaneousOpen, PeerAckCompletesItAndTheRequestGoes) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(simultaneous(h));
  h.in(Seg().seq(kPeerIsn + 1).ack(kIss + 1));
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  EXPECT_TRUE(h.out.has(event::kEstablished | event::kRequestSent));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].data_len, h.requester->request_len(0));
  EXPECT_EQ(h.out.timer, TimerOp::kArm) << "the request's retransmission timer";
}

TEST(SimultaneousOpen, UnacceptableAckGetsRst) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(simultaneous(h));
  h.in(Seg().seq(kPeerIsn + 1).ack(kIss + 7));
  EXPECT_EQ(h.tcb.state, State::kSynReceived);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, R);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kIss + 7));
}

TEST(SimultaneousOpen, RstRefuses) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(simultaneous(h));
  h.in(Seg().rst().seq(kPeerIsn + 1));
  EXPECT_TRUE(h.out.has(event::kClosed | event::kResetByPeer));
  EXPECT_FALSE(h.out.has(event::kRequestSent));
}

TEST(SimultaneousOpen, SynAckRetransmittedOnTheTimer) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(simultaneous(h));
  EXPECT_EQ(h.out.timer_ms, 1000u);
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, S | A);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kIss));
  EXPECT_EQ(h.out.tx[0].ack, Seq(kPeerIsn + 1));
  EXPECT_TRUE(h.out.has(event::kSynAckRetransmit));
  EXPECT_EQ(h.out.timer_ms, 2000u);
}

// ---- the SYN on its timer ------------------------------------------------------------

TEST(SynTimer, ExponentialBackoffThenGiveUp) {
  ServerSetup c;
  c.synack_retries = 4;
  c.rto_max_ms = 6000;
  Harness h(c);
  h.use_requester(requester_config(1, true));
  h.now = 10;
  h.syn_sent();
  const TxSegment first = h.out.tx[0];
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 1000u);
  const uint32_t want_ms[] = {2000, 4000, 6000, 6000};  // doubled (RFC 6298 5.5), capped
  for (uint32_t ms : want_ms) {
    h.now += 1000;
    h.timer();
    ASSERT_EQ(h.out.n_tx, 1);
    const TxSegment& syn = h.out.tx[0];
    EXPECT_EQ(syn.flags, S);
    EXPECT_EQ(syn.seq, first.seq) << "the same ISS";
    EXPECT_EQ(syn.wnd, first.wnd);
    EXPECT_TRUE(syn.opts.has_mss && syn.opts.has_wscale && syn.opts.sack_permitted &&
                syn.opts.has_timestamps);
    EXPECT_EQ(syn.opts.ts_val, h.now) << "a fresh TSval";
    EXPECT_TRUE(h.out.has(event::kRetransmit));
    EXPECT_EQ(h.out.timer, TimerOp::kArm);
    EXPECT_EQ(h.out.timer_ms, ms);
    EXPECT_EQ(h.tcb.state, State::kSynSent);
  }
  h.timer();
  EXPECT_EQ(h.out.n_tx, 0) << "give up quietly: no RST to a peer that never answered";
  EXPECT_TRUE(h.out.has(event::kClosed | event::kGaveUp));
  EXPECT_FALSE(h.out.has(event::kRequestSent));
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
  EXPECT_EQ(h.tcb.state, State::kClosed);
  EXPECT_EQ(h.req_state.requests_sent, 0);
}

// RFC 6298 3 (Karn): the SYN-ACK of a retransmitted SYN gives no RTT sample
// without timestamps; with them TSecr names the SYN it answers (RFC 7323 4).
TEST(SynTimer, RttSampleOnlyFromAnUnambiguousSynAck) {
  {
    Harness h;
    h.use_requester(requester_config(1, true));
    h.now = 1000;
    h.syn_sent();
    h.now = 1040;
    h.in(Seg().syn().ack(kIss + 1).seq(kPeerIsn).mss(1460));
    EXPECT_EQ(h.tcb.srtt_ms, 40);
  }
  {
    Harness h;
    h.use_requester(requester_config(1, true));
    h.now = 1000;
    h.syn_sent();
    h.now = 2000;
    h.timer();
    h.now = 2040;
    h.in(Seg().syn().ack(kIss + 1).seq(kPeerIsn).mss(1460));
    EXPECT_EQ(h.tcb.srtt_ms, 0) << "which SYN did it answer?";
    EXPECT_EQ(h.tcb.backoff(), 0) << "the backoff ends with the handshake";
    EXPECT_EQ(h.out.timer_ms, 1000u) << "the request's RTO: rto_initial, no doubling";
  }
  {
    Harness h;
    h.use_requester(requester_config(1, true));
    h.now = 1000;
    h.syn_sent();
    h.now = 2000;
    h.timer();
    h.now = 2030;
    h.in(Seg().syn().ack(kIss + 1).seq(kPeerIsn).mss(1460).ts(5, 2000));
    EXPECT_EQ(h.tcb.srtt_ms, 30) << "TSecr = the retransmitted SYN's TSval";
  }
}

}  // namespace
}  // namespace synack::tcp::testing
