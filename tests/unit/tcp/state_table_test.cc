// RFC 9293 3.10.7 as a table: {start state, incoming segment, expected reply,
// next state, drop, events}. Every start state is reached by a real handshake
// (tcp_test_util.h); segments are written relative to the TCB they meet.
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "tcp_test_util.h"

namespace synack::tcp::testing {
namespace {

// Flag shorthands as the RFC writes them: <CTL=SYN,ACK> = S | A.
constexpr uint8_t S = tcpflag::kSyn;
constexpr uint8_t A = tcpflag::kAck;
constexpr uint8_t F = tcpflag::kFin;
constexpr uint8_t R = tcpflag::kRst;
constexpr uint8_t P = tcpflag::kPsh;

// Where a row starts. kClosed means "no TCB" (Endpoint::on_closed) and
// kListen "listener, no TCB" (Endpoint::on_listen); the others hold a TCB.
using St = State;

// The incoming segment, relative to the TCB it meets.
struct In {
  uint8_t flags = 0;
  int32_t seq = 0;  // SEG.SEQ - RCV.NXT
  int32_t ack = 0;  // SEG.ACK - SND.NXT
  uint32_t len = 0;
};

inline constexpr int64_t kAny = INT64_MIN;

// The first segment we send, relative to SND.NXT / RCV.NXT before the event.
// flags == 0: nothing is sent.
struct Reply {
  uint8_t flags = 0;
  int64_t seq = kAny;
  int64_t ack = kAny;
};
inline constexpr Reply kNothing{};

enum class Tm : uint8_t { kAnyTimer, kKeep, kArm, kCancel };

struct Row {
  const char* what;
  St start;
  In in;
  Reply reply;
  St next;
  Drop drop = Drop::kNone;
  uint32_t events = 0;  // all of these must be set
  Tm timer = Tm::kAnyTimer;
};

// The table uses one server configuration: a 100-byte response and an active
// close, so a request in ESTABLISHED is answered by <ACK,PSH,FIN> with 100 bytes.
ServerSetup table_config() {
  return server(100, true);
}

constexpr int32_t kFar = 9'000'000;  // beyond RCV.WND = 65535 << 7

// clang-format off
const Row kRows[] = {
  // ---- 3.10.7.1 CLOSED: no TCB ----------------------------------------------
  {"closed_syn_gets_rst_ack", St::kClosed, {S}, {R | A, -int64_t{kSrvIss}, 1}, St::kClosed, Drop::kClosedPort},
  {"closed_data_gets_rst_ack_seq_plus_len", St::kClosed, {P, 0, 0, 10}, {R | A, -int64_t{kSrvIss}, 10}, St::kClosed, Drop::kClosedPort},
  {"closed_fin_counts_in_len", St::kClosed, {F, 0, 0, 10}, {R | A, -int64_t{kSrvIss}, 11}, St::kClosed, Drop::kClosedPort},
  {"closed_ack_gets_rst_seq_seg_ack", St::kClosed, {A, 0, 7}, {R, 7}, St::kClosed, Drop::kClosedPort},
  {"closed_rst_is_never_answered", St::kClosed, {R | A, 0, 7}, kNothing, St::kClosed, Drop::kClosedPort},

  // ---- 3.10.7.2 LISTEN ---------------------------------------------------------
  {"listen_syn_gets_synack", St::kListen, {S}, {S | A, 0, 1}, St::kSynReceived, Drop::kNone, event::kCreated, Tm::kArm},
  {"listen_syn_payload_not_acked", St::kListen, {S, 0, 0, 20}, {S | A, 0, 1}, St::kSynReceived, Drop::kNone, event::kCreated, Tm::kArm},
  {"listen_rst_ignored", St::kListen, {R}, kNothing, St::kListen, Drop::kListenRst},
  {"listen_syn_rst_ignored", St::kListen, {S | R}, kNothing, St::kListen, Drop::kListenRst},
  {"listen_ack_gets_rst", St::kListen, {A, 0, 9}, {R, 9}, St::kListen, Drop::kListenAck},
  {"listen_synack_gets_rst", St::kListen, {S | A, 0, 9}, {R, 9}, St::kListen, Drop::kListenAck},
  {"listen_syn_fin_dropped", St::kListen, {S | F}, kNothing, St::kListen, Drop::kListenSynFin},
  {"listen_fin_dropped", St::kListen, {F}, kNothing, St::kListen, Drop::kListenNoSyn},
  {"listen_no_flags_dropped", St::kListen, {0, 0, 0, 5}, kNothing, St::kListen, Drop::kListenNoSyn},

  // ---- 3.10.7.3 SYN-SENT (SND.NXT = ISS+1) -----------------------------------------
  {"syn_sent_synack_establishes", St::kSynSent, {S | A}, {A, 0, 1}, St::kEstablished, Drop::kNone, event::kEstablished, Tm::kArm},
  {"syn_sent_synack_acking_iss_gets_rst", St::kSynSent, {S | A, 0, -1}, {R, -1}, St::kSynSent, Drop::kAckInSynSent, 0, Tm::kKeep},
  {"syn_sent_synack_acking_future_gets_rst", St::kSynSent, {S | A, 0, 5}, {R, 5}, St::kSynSent, Drop::kAckInSynSent},
  {"syn_sent_ack_only_dropped", St::kSynSent, {A}, kNothing, St::kSynSent, Drop::kSynSentNoSyn},
  {"syn_sent_rst_with_bad_ack_dropped", St::kSynSent, {R | A, 0, 5}, kNothing, St::kSynSent, Drop::kAckInSynSent},
  {"syn_sent_rst_ack_refused", St::kSynSent, {R | A}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer, Tm::kCancel},
  {"syn_sent_rst_without_ack_dropped", St::kSynSent, {R}, kNothing, St::kSynSent, Drop::kRstOutOfWindow},
  {"syn_sent_syn_simultaneous_open", St::kSynSent, {S}, {S | A, -1, 1}, St::kSynReceived, Drop::kNone, 0, Tm::kArm},
  {"syn_sent_fin_dropped", St::kSynSent, {F}, kNothing, St::kSynSent, Drop::kSynSentNoSyn},

  // ---- SYN-RECEIVED (SND.UNA = ISS, SND.NXT = ISS+1) ------------------------------
  {"syn_rcvd_ack_establishes", St::kSynReceived, {A}, kNothing, St::kEstablished, Drop::kNone, event::kEstablished, Tm::kArm},
  {"syn_rcvd_ack_with_request_answered", St::kSynReceived, {A | P, 0, 0, 10}, {A | P | F, 0, 10}, St::kFinWait1, Drop::kNone, event::kEstablished | event::kRequest, Tm::kArm},
  {"syn_rcvd_ack_fin_closes_both_ways", St::kSynReceived, {A | F}, {A | F, 0, 1}, St::kLastAck, Drop::kNone, event::kEstablished},
  {"syn_rcvd_ack_of_iss_gets_rst", St::kSynReceived, {A, 0, -1}, {R, -1}, St::kSynReceived, Drop::kAckUnacceptable},
  {"syn_rcvd_ack_of_future_gets_rst", St::kSynReceived, {A, 0, 3}, {R, 3}, St::kSynReceived, Drop::kAckUnacceptable},
  {"syn_rcvd_retransmitted_syn_gets_synack", St::kSynReceived, {S, -1}, {S | A, -1, 0}, St::kSynReceived, Drop::kDuplicate, 0, Tm::kKeep},
  {"syn_rcvd_new_syn_returns_to_listen", St::kSynReceived, {S, 100}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kReturnedToListen, Tm::kCancel},
  {"syn_rcvd_rst_exact_closes", St::kSynReceived, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer, Tm::kCancel},
  {"syn_rcvd_rst_in_window_dropped", St::kSynReceived, {R, 100}, kNothing, St::kSynReceived, Drop::kRstInexact},
  {"syn_rcvd_rst_out_of_window_silent", St::kSynReceived, {R, -100}, kNothing, St::kSynReceived, Drop::kRstOutOfWindow},
  {"syn_rcvd_data_without_ack_dropped", St::kSynReceived, {P, 0, 0, 10}, kNothing, St::kSynReceived, Drop::kNoAck},
  {"syn_rcvd_out_of_window_acked", St::kSynReceived, {A, kFar}, {A, 0, 0}, St::kSynReceived, Drop::kOutOfWindow},

  // ---- ESTABLISHED (SND.UNA = SND.NXT = ISS+1) ----------------------------------
  {"est_pure_ack_arms_idle", St::kEstablished, {A}, kNothing, St::kEstablished, Drop::kNone, 0, Tm::kArm},
  {"est_old_ack_within_max_wnd_ignored", St::kEstablished, {A, 0, -10}, kNothing, St::kEstablished},
  {"est_ack_too_old_rfc5961", St::kEstablished, {A, 0, -70000}, {A, 0, 0}, St::kEstablished, Drop::kAckUnacceptable, 0, Tm::kKeep},
  {"est_ack_of_unsent", St::kEstablished, {A, 0, 1}, {A, 0, 0}, St::kEstablished, Drop::kAckUnacceptable},
  {"est_request_answered_with_fin", St::kEstablished, {A | P, 0, 0, 10}, {A | P | F, 0, 10}, St::kFinWait1, Drop::kNone, event::kRequest, Tm::kArm},
  {"est_request_and_fin", St::kEstablished, {A | P | F, 0, 0, 10}, {A | P | F, 0, 11}, St::kLastAck, Drop::kNone, event::kRequest},
  {"est_out_of_order_data_acks_rcv_nxt", St::kEstablished, {A, 10, 0, 10}, {A, 0, 0}, St::kEstablished},
  {"est_old_data_duplicate", St::kEstablished, {A, -10, 0, 10}, {A, 0, 0}, St::kEstablished, Drop::kDuplicate},
  {"est_fin_answered_with_fin", St::kEstablished, {A | F}, {A | F, 0, 1}, St::kLastAck, Drop::kNone, 0, Tm::kArm},
  {"est_out_of_order_fin_not_taken", St::kEstablished, {A | F, 5}, {A, 0, 0}, St::kEstablished},
  {"est_rst_exact_closes", St::kEstablished, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer, Tm::kCancel},
  {"est_rst_ack_exact_closes", St::kEstablished, {R | A}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer, Tm::kCancel},
  {"est_rst_in_window_challenged", St::kEstablished, {R, 1000}, {A, 0, 0}, St::kEstablished, Drop::kRstChallenged, event::kChallengeAck, Tm::kKeep},
  {"est_rst_out_of_window_silent", St::kEstablished, {R, kFar}, kNothing, St::kEstablished, Drop::kRstOutOfWindow},
  {"est_rst_old_silent", St::kEstablished, {R, -1}, kNothing, St::kEstablished, Drop::kRstOutOfWindow},
  {"est_syn_in_window_challenged", St::kEstablished, {S, 5}, {A, 0, 0}, St::kEstablished, Drop::kSynChallenged, event::kChallengeAck},
  {"est_syn_old_challenged", St::kEstablished, {S, -1000}, {A, 0, 0}, St::kEstablished, Drop::kSynChallenged, event::kChallengeAck},
  {"est_synack_challenged", St::kEstablished, {S | A}, {A, 0, 0}, St::kEstablished, Drop::kSynChallenged, event::kChallengeAck},
  {"est_data_out_of_window", St::kEstablished, {A, kFar, 0, 10}, {A, 0, 0}, St::kEstablished, Drop::kOutOfWindow},
  {"est_old_pure_ack_out_of_window", St::kEstablished, {A, -1}, {A, 0, 0}, St::kEstablished, Drop::kOutOfWindow},
  {"est_data_without_ack_dropped", St::kEstablished, {P, 0, 0, 10}, kNothing, St::kEstablished, Drop::kNoAck},

  // ---- FIN-WAIT-1 (100 bytes + FIN in flight: SND.NXT = SND.UNA + 101) --------------
  {"fw1_ack_of_all_enters_fw2", St::kFinWait1, {A}, kNothing, St::kFinWait2, Drop::kNone, 0, Tm::kArm},
  {"fw1_partial_ack_stays", St::kFinWait1, {A, 0, -51}, kNothing, St::kFinWait1, Drop::kNone, 0, Tm::kArm},
  {"fw1_ack_of_data_not_fin_stays", St::kFinWait1, {A, 0, -1}, kNothing, St::kFinWait1},
  {"fw1_dup_ack_keeps_rto", St::kFinWait1, {A, 0, -101}, kNothing, St::kFinWait1, Drop::kNone, 0, Tm::kKeep},
  {"fw1_fin_simultaneous_close_closing", St::kFinWait1, {A | F, 0, -101}, {A, 0, 1}, St::kClosing},
  {"fw1_fin_acking_our_fin_time_wait", St::kFinWait1, {A | F}, {A, 0, 1}, St::kTimeWait, Drop::kNone, event::kTimeWait, Tm::kArm},
  {"fw1_rst_exact_closes", St::kFinWait1, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer},
  {"fw1_rst_in_window_challenged", St::kFinWait1, {R, 3}, {A, 0, 0}, St::kFinWait1, Drop::kRstChallenged, event::kChallengeAck},
  {"fw1_syn_challenged", St::kFinWait1, {S}, {A, 0, 0}, St::kFinWait1, Drop::kSynChallenged, event::kChallengeAck},
  {"fw1_ack_of_unsent", St::kFinWait1, {A, 0, 1}, {A, 0, 0}, St::kFinWait1, Drop::kAckUnacceptable},
  {"fw1_retransmitted_request_duplicate", St::kFinWait1, {A | P, -10, -101, 10}, {A, 0, 0}, St::kFinWait1, Drop::kDuplicate},

  // ---- FIN-WAIT-2 --------------------------------------------------------------------
  {"fw2_fin_enters_time_wait", St::kFinWait2, {A | F}, {A, 0, 1}, St::kTimeWait, Drop::kNone, event::kTimeWait, Tm::kArm},
  {"fw2_data_acked_no_second_response", St::kFinWait2, {A | P, 0, 0, 5}, {A, 0, 5}, St::kFinWait2},
  {"fw2_pure_ack", St::kFinWait2, {A}, kNothing, St::kFinWait2},
  {"fw2_rst_exact_closes", St::kFinWait2, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer},
  {"fw2_syn_challenged", St::kFinWait2, {S, 7}, {A, 0, 0}, St::kFinWait2, Drop::kSynChallenged, event::kChallengeAck},
  {"fw2_out_of_window", St::kFinWait2, {A, kFar, 0, 1}, {A, 0, 0}, St::kFinWait2, Drop::kOutOfWindow},

  // ---- CLOSE-WAIT (client role: the app does not close) --------------------------
  {"cw_pure_ack", St::kCloseWait, {A}, kNothing, St::kCloseWait},
  {"cw_retransmitted_fin_reacked", St::kCloseWait, {A | F, -1}, {A, 0, 0}, St::kCloseWait, Drop::kDuplicate},
  {"cw_data_after_fin_ignored", St::kCloseWait, {A, 0, 0, 10}, kNothing, St::kCloseWait},
  {"cw_rst_exact_closes", St::kCloseWait, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer},
  {"cw_syn_challenged", St::kCloseWait, {S}, {A, 0, 0}, St::kCloseWait, Drop::kSynChallenged, event::kChallengeAck},

  // ---- CLOSING -------------------------------------------------------------------
  {"closing_ack_of_fin_time_wait", St::kClosing, {A}, kNothing, St::kTimeWait, Drop::kNone, event::kTimeWait, Tm::kArm},
  {"closing_partial_ack_stays", St::kClosing, {A, 0, -1}, kNothing, St::kClosing},
  {"closing_retransmitted_fin_reacked", St::kClosing, {A | F, -1, -101}, {A, 0, 0}, St::kClosing, Drop::kDuplicate},
  {"closing_rst_exact_closes", St::kClosing, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer},
  {"closing_syn_challenged", St::kClosing, {S}, {A, 0, 0}, St::kClosing, Drop::kSynChallenged, event::kChallengeAck},

  // ---- LAST-ACK (peer closed first; our FIN in flight) ----------------------------------
  {"last_ack_ack_of_fin_closes", St::kLastAck, {A}, kNothing, St::kClosed, Drop::kNone, event::kClosed, Tm::kCancel},
  {"last_ack_dup_ack_stays", St::kLastAck, {A, 0, -1}, kNothing, St::kLastAck},
  {"last_ack_retransmitted_fin_reacked", St::kLastAck, {A | F, -1, -1}, {A, 0, 0}, St::kLastAck, Drop::kDuplicate},
  {"last_ack_rst_exact_closes", St::kLastAck, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer},
  {"last_ack_rst_in_window_challenged", St::kLastAck, {R, 9}, {A, 0, 0}, St::kLastAck, Drop::kRstChallenged, event::kChallengeAck},
  {"last_ack_syn_challenged", St::kLastAck, {S}, {A, 0, 0}, St::kLastAck, Drop::kSynChallenged, event::kChallengeAck},
  {"last_ack_ack_of_unsent", St::kLastAck, {A, 0, 1}, {A, 0, 0}, St::kLastAck, Drop::kAckUnacceptable},

  // ---- TIME-WAIT ----------------------------------------------------------------------
  {"tw_retransmitted_fin_reacked_restarts_2msl", St::kTimeWait, {A | F, -1}, {A, 0, 0}, St::kTimeWait, Drop::kDuplicate, 0, Tm::kArm},
  {"tw_syn_challenged", St::kTimeWait, {S, 100}, {A, 0, 0}, St::kTimeWait, Drop::kSynChallenged, event::kChallengeAck, Tm::kKeep},
  {"tw_rst_exact_closes", St::kTimeWait, {R}, kNothing, St::kClosed, Drop::kNone, event::kClosed | event::kResetByPeer, Tm::kCancel},
  {"tw_rst_in_window_challenged", St::kTimeWait, {R, 5}, {A, 0, 0}, St::kTimeWait, Drop::kRstChallenged, event::kChallengeAck},
  {"tw_pure_ack_nothing", St::kTimeWait, {A}, kNothing, St::kTimeWait, Drop::kNone, 0, Tm::kKeep},
  {"tw_old_segment_acked", St::kTimeWait, {A, -100}, {A, 0, 0}, St::kTimeWait, Drop::kOutOfWindow},
};
// clang-format on

void reach(Harness& h, St s) {
  switch (s) {
    case St::kClosed:
    case St::kListen:
      break;
    case St::kSynSent:
      h.syn_sent();
      break;
    case St::kSynReceived:
      h.syn_received();
      break;
    case St::kEstablished:
      h.established();
      break;
    case St::kFinWait1:
      h.fin_wait_1();
      break;
    case St::kFinWait2:
      h.fin_wait_2();
      break;
    case St::kCloseWait:
      h.close_wait();
      break;
    case St::kClosing:
      h.closing();
      break;
    case St::kLastAck:
      h.last_ack();
      break;
    case St::kTimeWait:
      h.time_wait();
      break;
  }
}

class StateTable : public ::testing::TestWithParam<Row> {};

TEST_P(StateTable, Row) {
  const Row& row = GetParam();
  Harness h(table_config());
  ASSERT_NO_FATAL_FAILURE(reach(h, row.start));
  const bool no_tcb = row.start == St::kClosed || row.start == St::kListen;
  const Seq rcv_nxt = no_tcb ? Seq(kCliIsn) : h.tcb.rcv_nxt;
  const Seq snd_nxt = no_tcb ? Seq(kSrvIss) : h.tcb.snd_nxt;

  Seg seg;
  seg.flags(row.in.flags).seq(rcv_nxt + static_cast<uint32_t>(row.in.seq)).data(row.in.len);
  if (row.in.flags & A) seg.ack(snd_nxt + static_cast<uint32_t>(row.in.ack));

  St next;
  if (row.start == St::kClosed) {
    Endpoint::on_closed(seg, h.out);
    next = St::kClosed;
  } else if (row.start == St::kListen) {
    h.listen(seg);
    next = h.out.has(event::kCreated) ? h.tcb.state : St::kListen;
  } else {
    h.in(seg);
    next = h.tcb.state;
  }
  const Output& out = h.out;

  EXPECT_EQ(state_name(next), std::string(state_name(row.next)));
  EXPECT_EQ(drop_name(out.drop), std::string(drop_name(row.drop)));
  EXPECT_EQ(out.events & row.events, row.events) << "events 0x" << std::hex << out.events;
  if (row.reply.flags == 0) {
    EXPECT_EQ(out.n_tx, 0);
  } else {
    ASSERT_GE(out.n_tx, 1);
    const TxSegment& tx = out.tx[0];
    EXPECT_EQ(int{tx.flags}, int{row.reply.flags});
    if (row.reply.seq != kAny) {
      EXPECT_EQ(tx.seq, snd_nxt + static_cast<uint32_t>(row.reply.seq)) << tx.seq.raw();
    }
    if (row.reply.ack != kAny) {
      EXPECT_EQ(tx.ack, rcv_nxt + static_cast<uint32_t>(row.reply.ack)) << tx.ack.raw();
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
  // Every move to CLOSED says so and cancels the timer.
  if (!no_tcb && next == St::kClosed) {
    EXPECT_TRUE(out.has(event::kClosed));
    EXPECT_EQ(out.timer, TimerOp::kCancel);
  }
  EXPECT_LE(h.tcb.snd_una, h.tcb.snd_nxt);
}

INSTANTIATE_TEST_SUITE_P(Rfc9293, StateTable, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return std::string(info.param.what);
                         });

// The table covers every state at least once.
TEST(StateTableCoverage, EveryStateHasRows) {
  std::vector<int> per_state(kNumStates, 0);
  for (const Row& r : kRows) ++per_state[static_cast<int>(r.start)];
  for (int s = 0; s < kNumStates; ++s) {
    EXPECT_GE(per_state[s], 4) << state_name(static_cast<State>(s));
  }
}

}  // namespace
}  // namespace synack::tcp::testing
