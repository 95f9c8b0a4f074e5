// Scenarios beyond single table rows: timers, negotiation, segmentation,
// closes, SYN cookies and sequence wrap-around.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tcp_test_util.h"

namespace synack::tcp::testing {
namespace {

using tcpflag::kAck;
using tcpflag::kFin;
using tcpflag::kPsh;
using tcpflag::kRst;
using tcpflag::kSyn;

// ---- names -------------------------------------------------------------------

TEST(Names, StatesAndDropsAreDistinctSnakeCase) {
  std::set<std::string> seen;
  for (int i = 0; i < kNumStates; ++i) {
    const std::string n = state_name(static_cast<State>(i));
    EXPECT_TRUE(seen.insert(n).second) << n;
    EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"), std::string::npos);
  }
  EXPECT_EQ(std::string(state_name(State::kFinWait1)), "fin_wait_1");
  seen.clear();
  for (int i = 0; i < kNumDrops; ++i) {
    const std::string n = drop_name(static_cast<Drop>(i));
    EXPECT_TRUE(seen.insert(n).second) << n;
    EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"), std::string::npos);
  }
  EXPECT_EQ(std::string(drop_name(Drop::kOutOfWindow)), "out_of_window");
  EXPECT_EQ(std::string(drop_name(Drop::kDuplicate)), "duplicate");
}

// ---- handshake options (RFC 7323, RFC 9293 3.7.1) ---------------------------------

TEST(Negotiation, FullOptionsSynGetsFullSynAck) {
  Harness h(server(0, true));
  h.now = 777;
  h.listen(Seg().syn().seq(kCliIsn).mss(1400).ws(8).sack().ts(4242).wnd(29200));
  ASSERT_EQ(h.out.n_tx, 1);
  const TxSegment& sa = h.out.tx[0];
  EXPECT_EQ(sa.flags, kSyn | kAck);
  EXPECT_EQ(sa.seq, Seq(kSrvIss));
  EXPECT_EQ(sa.ack, Seq(kCliIsn + 1));
  EXPECT_EQ(sa.wnd, 65535) << "SYN-ACK window is never scaled";
  EXPECT_TRUE(sa.opts.has_mss);
  EXPECT_EQ(sa.opts.mss, 1460);
  EXPECT_TRUE(sa.opts.has_wscale);
  EXPECT_EQ(sa.opts.wscale, 7);
  EXPECT_TRUE(sa.opts.sack_permitted);
  EXPECT_TRUE(sa.opts.has_timestamps);
  EXPECT_EQ(sa.opts.ts_val, 777u);
  EXPECT_EQ(sa.opts.ts_ecr, 4242u);
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 1000u);
  EXPECT_EQ(h.tcb.snd_mss, 1400);
  EXPECT_EQ(h.tcb.snd_wscale(), 8);
  EXPECT_EQ(h.tcb.rcv_wscale(), 7);
  EXPECT_EQ(h.tcb.snd_wnd, 29200u);
  EXPECT_TRUE(h.tcb.has(tcbflag::kWscale));
  EXPECT_TRUE(h.tcb.has(tcbflag::kTimestamps));
  EXPECT_TRUE(h.tcb.has(tcbflag::kSackOk));
  EXPECT_EQ(h.tcb.ts_recent, 4242u);

  // The ACK's window is scaled; our ACKs carry a scaled window and TSopt.
  h.now = 800;
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(100).ts(4243, 777));
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  EXPECT_EQ(h.tcb.snd_wnd, 100u << 8);
  EXPECT_EQ(h.tcb.ts_recent, 4243u);
  h.in(h.next().data(10).ts(4250, 800));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].wnd, 65535) << "rcv_wnd (65535 << 7) >> 7";
  EXPECT_TRUE(h.out.tx[0].opts.has_timestamps);
  EXPECT_EQ(h.out.tx[0].opts.ts_val, 800u);
  EXPECT_EQ(h.out.tx[0].opts.ts_ecr, 4250u);
  EXPECT_FALSE(h.out.tx[0].opts.has_mss);
  EXPECT_FALSE(h.out.tx[0].opts.has_wscale);
}

TEST(Negotiation, BareSynGetsOnlyMss) {
  ServerSetup c = server(0, true);
  c.rcv_wnd = 1 << 20;
  Harness h(c);
  h.listen(Seg().syn().seq(kCliIsn).wnd(1000));
  const TxSegment& sa = h.out.tx[0];
  EXPECT_TRUE(sa.opts.has_mss);
  EXPECT_FALSE(sa.opts.has_wscale);
  EXPECT_FALSE(sa.opts.sack_permitted);
  EXPECT_FALSE(sa.opts.has_timestamps);
  EXPECT_EQ(h.tcb.snd_mss, 536) << "RFC 9293 3.7.1 default";
  EXPECT_EQ(h.tcb.snd_wscale(), 0);
  EXPECT_EQ(h.tcb.rcv_wscale(), 0);
  EXPECT_EQ(h.tcb.flags & (tcbflag::kWscale | tcbflag::kTimestamps | tcbflag::kSackOk), 0);
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(1000).ts(5, 5));
  EXPECT_EQ(h.tcb.snd_wnd, 1000u) << "no scaling without WS in the SYN";
  h.in(h.next().data(3));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].wnd, 65535) << "unscaled window field is capped";
  EXPECT_FALSE(h.out.tx[0].opts.has_timestamps) << "no TSopt unless the SYN had one";
}

TEST(Negotiation, WscaleClampedAndMssBounded) {
  Harness h(server(0, true));
  h.listen(Seg().syn().seq(kCliIsn).ws(15).mss(9000));
  EXPECT_EQ(h.tcb.snd_wscale(), kMaxWscale);
  EXPECT_EQ(h.tcb.snd_mss, 1460) << "never above our MSS";
  Harness tiny(server(0, true));
  tiny.listen(Seg().syn().seq(kCliIsn).mss(1));
  EXPECT_GE(tiny.tcb.snd_mss, 64) << "a silly MSS is raised";
}

TEST(Negotiation, EcnNeverOffered) {
  // RFC 3168 6.1.1: an ECN-setup SYN may be answered by a plain SYN-ACK; we set
  // no ECT and could not echo CE, so we never offer ECN.
  Harness h(server(0, true));
  h.listen(Seg().syn().seq(kCliIsn).flags(kSyn | tcpflag::kEce | tcpflag::kCwr));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kSyn | kAck);
}

// ---- PAWS (RFC 7323 5.3) -----------------------------------------------------------

TEST(Paws, OldTimestampDroppedWithAck) {
  Harness h(server(0, false));
  h.syn_received(Seg().syn().seq(kCliIsn).ts(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).ts(1001, 0));
  ASSERT_EQ(h.tcb.state, State::kEstablished);
  h.in(h.next().data(10).ts(999, 0));
  EXPECT_EQ(h.out.drop, Drop::kPaws);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck);
  EXPECT_EQ(h.out.tx[0].opts.ts_ecr, 1001u);
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 1)) << "payload not taken";
  EXPECT_EQ(h.tcb.snd_queued, 0u) << "no request seen";
  // Wrap-safe: 0x80000000 past TS.Recent is "older".
  h.in(h.next().data(10).ts(1001 + 0x80000000u, 0));
  EXPECT_EQ(h.out.drop, Drop::kPaws);
  // A RST is exempt from PAWS.
  h.in(Seg().rst().seq(h.tcb.rcv_nxt).ts(1, 0));
  EXPECT_TRUE(h.out.has(event::kClosed | event::kResetByPeer));
}

TEST(Paws, TsRecentOnlyFromInSequenceSegments) {
  Harness h(server(0, false));
  h.syn_received(Seg().syn().seq(kCliIsn).ts(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).ts(1001, 0));
  // Out-of-order data with a newer TSval: SEG.SEQ > Last.ACK.sent, not recorded.
  h.in(Seg().seq(h.tcb.rcv_nxt + 100).ack(h.tcb.snd_nxt).data(10).ts(2000, 0));
  EXPECT_EQ(h.tcb.ts_recent, 1001u);
  h.in(h.next().data(10).ts(1500, 0));
  EXPECT_EQ(h.tcb.ts_recent, 1500u);
}

// ---- response segmentation and windows ---------------------------------------------

TEST(Response, SegmentedByMssWithFinOnLast) {
  Harness h(server(3000, true));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(65535));
  h.in(h.next().data(50).psh());
  EXPECT_TRUE(h.out.has(event::kRequest));
  ASSERT_EQ(h.out.n_tx, 3);
  for (int i = 0; i < 3; ++i) {
    const TxSegment& t = h.out.tx[i];
    EXPECT_EQ(t.seq, Seq(kSrvIss + 1 + 1000 * i));
    EXPECT_EQ(t.ack, Seq(kCliIsn + 51));
    EXPECT_EQ(t.data_off, 1000u * i);
    EXPECT_EQ(t.data_len, 1000);
    EXPECT_EQ(t.flags, i == 2 ? (kAck | kPsh | kFin) : kAck);
  }
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1 + 3000 + 1));
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  // The handshake measured the RTT (under a millisecond here): RFC 6298's RTO
  // from it, floored at rto_min_ms.
  EXPECT_EQ(h.out.timer_ms, h.cfg().rto_min_ms);
}

TEST(Response, TimestampOptionComesOutOfTheMss) {
  // RFC 9293 3.7.1: the MSS is data plus options beyond the fixed header, so
  // with timestamps (12 option bytes) a 1460-MSS peer gets 1448-byte segments;
  // a full 1460 would make a 1512-byte IP packet on a 1500 MTU.
  Harness h(server(3000, true));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1460).ts(77));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(65535).ts(78, h.tcb.ts_recent));
  h.in(h.next().data(50).psh().ts(79, 1));
  ASSERT_EQ(h.out.n_tx, 3);
  EXPECT_EQ(h.out.tx[0].data_len, 1448);
  EXPECT_EQ(h.out.tx[1].data_len, 1448);
  EXPECT_EQ(h.out.tx[2].data_len, 3000 - 2 * 1448);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h.out.tx[i].opts.has_timestamps);
}

TEST(Response, PeerWindowLimitsThenAckOpensIt) {
  Harness h(server(3000, true));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(2500));
  h.in(h.next().data(50).wnd(2500));
  ASSERT_EQ(h.out.n_tx, 3);
  EXPECT_EQ(h.out.tx[2].data_len, 500);
  EXPECT_EQ(h.out.tx[2].flags, kAck) << "not the end: no PSH, no FIN";
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1 + 2500));
  // ACK of the first 1000 bytes slides the window by 1000.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1 + 1000).wnd(2500));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 1 + 2500));
  EXPECT_EQ(h.out.tx[0].data_off, 2500u);
  EXPECT_EQ(h.out.tx[0].data_len, 500);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh | kFin);
  EXPECT_EQ(h.out.timer, TimerOp::kArm) << "new data acked: RTO restarted";
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kFinWait2);
}

TEST(Response, ScaledPeerWindow) {
  Harness h(server(5000, false));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000).ws(2));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(500));  // 500 << 2 = 2000 bytes
  h.in(h.next().data(1).wnd(500));
  ASSERT_EQ(h.out.n_tx, 2);
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1 + 2000));
}

TEST(Response, InitialWindowThenSlowStart) {
  // RFC 6928: ten segments go out at once; RFC 5681 slow start releases the
  // rest as ACKs arrive, one more segment for each one acknowledged.
  Harness h(server(20000, true));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000).ws(7));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(65535));
  h.in(h.next().data(10));
  ASSERT_EQ(h.out.n_tx, 10);
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1 + 10000));
  EXPECT_EQ(h.tcb.state, State::kFinWait1) << "CLOSE queued the FIN already";
  // An ACK of two segments: cwnd 10 -> 12 with 8 still in flight: 4 new ones.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1 + 2000).wnd(65535));
  EXPECT_EQ(h.out.n_tx, 4);
  int segments = 14;
  bool fin = false;
  for (int round = 0; round < 10 && !fin; ++round) {
    h.in(h.next());
    segments += h.out.n_tx;
    for (int i = 0; i < h.out.n_tx; ++i) fin |= (h.out.tx[i].flags & kFin) != 0;
  }
  EXPECT_TRUE(fin);
  EXPECT_EQ(segments, 20);
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kFinWait2);
}

TEST(Response, ZeroWindowProbedByTimer) {
  Harness h(server(100, true));
  h.syn_received();
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(0));
  h.in(h.next().data(5).wnd(0));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck) << "only the ACK of the request";
  EXPECT_EQ(h.out.tx[0].data_len, 0);
  EXPECT_EQ(h.out.timer, TimerOp::kArm) << "persist timer";
  h.timer();
  // The probe: an ACK below the window (SND.UNA - 1), no data, as Linux's.
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].data_len, 0);
  EXPECT_EQ(h.out.tx[0].flags, kAck);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss));
  EXPECT_TRUE(h.out.has(event::kRetransmit));
  // The window opens: the whole response goes out with the FIN.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1).wnd(1000));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].data_off, 0u);
  EXPECT_EQ(h.out.tx[0].data_len, 100);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh | kFin);
}

TEST(Response, ZeroLengthResponseActiveCloseSendsFinOnly) {
  Harness h(server(0, true));
  h.established();
  h.request(10);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 11));
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
}

TEST(Response, RetransmittedRequestIsNotAnsweredTwice) {
  Harness h(server(100, false));
  h.established();
  h.request(10);
  ASSERT_EQ(h.out.n_tx, 1);
  h.in(Seg().seq(kCliIsn + 1).ack(h.tcb.snd_nxt).data(10));
  EXPECT_EQ(h.out.drop, Drop::kDuplicate);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck);
  EXPECT_EQ(h.out.tx[0].data_len, 0);
  EXPECT_FALSE(h.out.has(event::kRequest));
  // With a passive close the connection is persistent: a second request is
  // answered with the response again (stream bytes 100..199).
  h.in(h.next().data(7));
  EXPECT_TRUE(h.out.has(event::kRequest));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].data_off, 100u);
  EXPECT_EQ(h.out.tx[0].data_len, 100);
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 18));
}

TEST(Response, ActiveCloseAnswersOnlyTheFirstRequest) {
  Harness h(server(100, true));
  h.established();
  h.request(10);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_TRUE(h.out.has(event::kRequest));
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(h.tcb.snd_una).data(7));
  EXPECT_FALSE(h.out.has(event::kRequest));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].data_len, 0);
}

TEST(Response, OverlappingRetransmissionTakesOnlyNewBytes) {
  Harness h(server(0, false));
  h.established();
  h.request(10);
  h.in(Seg().seq(kCliIsn + 6).ack(h.tcb.snd_nxt).data(10));  // 5 old, 5 new
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 16));
  EXPECT_EQ(h.out.drop, Drop::kNone);
}

TEST(Window, ZeroReceiveWindowTakesOnlyExactEmptySegments) {
  // RFC 9293 step 1, RCV.WND = 0: LEN=0 needs SEG.SEQ = RCV.NXT, LEN>0 never fits.
  ServerSetup c = server(100, true);
  c.rcv_wnd = 0;
  Harness h(c);
  h.established();
  EXPECT_EQ(h.out.drop, Drop::kNone);
  h.in(h.next().data(10));
  EXPECT_EQ(h.out.drop, Drop::kOutOfWindow);
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 1));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].wnd, 0);
  h.in(Seg().seq(kCliIsn + 2).ack(h.tcb.snd_nxt));
  EXPECT_EQ(h.out.drop, Drop::kOutOfWindow);
}

TEST(Window, DataBeyondReceiveWindowIsTrimmed) {
  ServerSetup c = server(0, false);
  c.rcv_wnd = 100;
  Harness h(c);
  h.syn_received(Seg().syn().seq(kCliIsn));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1));
  h.in(h.next().data(150).fin());
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 101)) << "only RCV.WND bytes taken";
  EXPECT_EQ(h.tcb.state, State::kEstablished) << "the FIN lies beyond the window";
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 101));
}

// ---- closes --------------------------------------------------------------------

TEST(Close, PassiveCloseWaitsForPeerFin) {
  Harness h(server(100, false));
  h.established();
  h.request(10);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh);
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  h.in(h.next());  // response acked
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 300000u) << "idle timer";
  h.in(h.next().fin());
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 101));
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 12));
  EXPECT_EQ(h.tcb.state, State::kLastAck);
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kClosed);
  EXPECT_TRUE(h.out.has(event::kClosed));
  EXPECT_FALSE(h.out.has(event::kResetByPeer));
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
}

TEST(Close, RequestWithFinPassiveSendsResponseThenFin) {
  Harness h(server(100, false));
  h.established();
  h.in(h.next().data(10).fin());
  EXPECT_TRUE(h.out.has(event::kRequest));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh | kFin);
  EXPECT_EQ(h.out.tx[0].data_len, 100);
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 12));
  EXPECT_EQ(h.tcb.state, State::kLastAck);
}

TEST(Close, ActiveCloseFullSequenceToTimeWaitExpiry) {
  Harness h(server(100, true));
  h.established();
  h.request(10);
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kFinWait2);
  h.in(h.next().fin());
  EXPECT_EQ(h.tcb.state, State::kTimeWait);
  EXPECT_TRUE(h.out.has(event::kTimeWait));
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 60000u);
  h.timer();
  EXPECT_EQ(h.tcb.state, State::kClosed);
  EXPECT_TRUE(h.out.has(event::kClosed | event::kTimeWaitExpired));
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
  EXPECT_EQ(h.out.n_tx, 0);
}

TEST(Close, SimultaneousCloseThroughClosing) {
  Harness h(server(100, true));
  h.closing();
  EXPECT_EQ(h.out.tx[0].flags, kAck);
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kTimeWait);
  EXPECT_TRUE(h.out.has(event::kTimeWait));
}

TEST(Close, PeerFinWhileResponseIsWindowLimited) {
  Harness h(server(3000, true));
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(1000));
  h.in(h.next().data(10).wnd(1000));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
  // The peer closes without acking anything new: CLOSING with 2000 bytes unsent.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1).wnd(1000).fin());
  EXPECT_EQ(h.tcb.state, State::kClosing);
  // Window updates in CLOSING still release the rest of the response and the FIN.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1001).wnd(2000));
  ASSERT_EQ(h.out.n_tx, 2);
  EXPECT_EQ(h.out.tx[1].flags, kAck | kPsh | kFin);
  EXPECT_EQ(h.tcb.state, State::kClosing);
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kTimeWait);
}

// ---- timers ------------------------------------------------------------------------

TEST(TimeWait, NewerSynMayReopen) {
  // RFC 6191 with timestamps, RFC 1122 4.2.2.13 by sequence number without.
  Harness h(server(0, true));
  h.time_wait();
  const Seq nxt = h.tcb.rcv_nxt;
  const TimeWaitState tw = Endpoint::time_wait_state(h.tcb);
  EXPECT_TRUE(Endpoint::syn_reopens_time_wait(tw, Seg().syn().seq(nxt + 100)));
  EXPECT_FALSE(Endpoint::syn_reopens_time_wait(tw, Seg().syn().seq(nxt - 100)));
  EXPECT_FALSE(Endpoint::syn_reopens_time_wait(tw, Seg().syn().seq(nxt + 100).ack(1)));
  EXPECT_FALSE(Endpoint::syn_reopens_time_wait(tw, Seg().rst().seq(nxt + 100)));
  Harness ts(server(0, true));
  ts.syn_received(Seg().syn().seq(kCliIsn).mss(1460).ts(500));
  const TimeWaitState tws = Endpoint::time_wait_state(ts.tcb);
  const Seq rnxt = ts.tcb.rcv_nxt;
  EXPECT_TRUE(Endpoint::syn_reopens_time_wait(tws, Seg().syn().seq(kCliIsn - 5).ts(501)));
  EXPECT_FALSE(Endpoint::syn_reopens_time_wait(tws, Seg().syn().seq(kCliIsn + 9999).ts(499)));
  // RFC 6191: an equal timestamp with a newer sequence number also reopens.
  EXPECT_TRUE(Endpoint::syn_reopens_time_wait(tws, Seg().syn().seq(rnxt + 1).ts(500)));
  EXPECT_FALSE(Endpoint::syn_reopens_time_wait(tws, Seg().syn().seq(rnxt - 1).ts(500)));
}

// TIME-WAIT answers from the compact record as the full TCB would: an old
// ACK (everything we sent is acknowledged) is no reason for an ACK, however
// small the peer's last window (the compact record keeps none); the per-flow
// ACK throttle (RFC 5961 7) travels with the record.
TEST(TimeWait, CompactRecordAnswersAsTheFullOne) {
  Harness h(server(0, true));
  h.time_wait();
  TimeWaitState tw = Endpoint::time_wait_state(h.tcb);
  const Seq una = h.tcb.snd_una;
  Output out;
  h.ep.on_time_wait_segment(tw, Seg().seq(h.tcb.rcv_nxt).ack(una - 200000), h.now, out);
  EXPECT_EQ(out.n_tx, 0) << "an old ACK in TIME-WAIT is ignored";
  EXPECT_EQ(out.drop, Drop::kNone);
  // Out of window: one ACK, then throttled for 500 ms by the record's stamp.
  h.ep.on_time_wait_segment(tw, Seg().seq(h.tcb.rcv_nxt + 0x40000000).ack(una), h.now, out);
  ASSERT_EQ(out.n_tx, 1);
  EXPECT_NE(tw.oow_ack_stamp, 0);
  h.ep.on_time_wait_segment(tw, Seg().seq(h.tcb.rcv_nxt + 0x40000000).ack(una), h.now + 400, out);
  EXPECT_EQ(out.n_tx, 0);
  EXPECT_TRUE(out.has(event::kAckThrottled));
  h.ep.on_time_wait_segment(tw, Seg().seq(h.tcb.rcv_nxt + 0x40000000).ack(una), h.now + 520, out);
  EXPECT_EQ(out.n_tx, 1);
}

TEST(Timer, SynAckRetransmitBackoffAndGiveUp) {
  ServerSetup c = server(0, true);
  c.synack_retries = 3;
  c.rto_max_ms = 3000;
  Harness h(c);
  h.syn_received(Seg().syn().seq(kCliIsn).ts(9));
  EXPECT_EQ(h.out.timer_ms, 1000u);
  const uint32_t want_ms[] = {2000, 3000, 3000};  // capped by rto_max_ms
  for (uint32_t ms : want_ms) {
    h.now += 1000;
    h.timer();
    ASSERT_EQ(h.out.n_tx, 1);
    EXPECT_EQ(h.out.tx[0].flags, kSyn | kAck);
    EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss));
    EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 1));
    EXPECT_EQ(h.out.tx[0].opts.ts_val, h.now);
    EXPECT_EQ(h.out.tx[0].opts.ts_ecr, 9u);
    EXPECT_TRUE(h.out.has(event::kSynAckRetransmit));
    EXPECT_EQ(h.out.timer, TimerOp::kArm);
    EXPECT_EQ(h.out.timer_ms, ms);
  }
  h.timer();
  EXPECT_EQ(h.out.n_tx, 0) << "give up quietly";
  EXPECT_TRUE(h.out.has(event::kClosed | event::kGaveUp));
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
  EXPECT_EQ(h.tcb.state, State::kClosed);
}

TEST(Timer, SynRetransmitAndGiveUp) {
  ServerSetup c = server(0, true);
  c.synack_retries = 2;
  Harness h(c);
  h.syn_sent();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kSyn);
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kSyn);
  EXPECT_TRUE(h.out.has(event::kRetransmit));
  EXPECT_EQ(h.out.timer_ms, 2000u);
  h.timer();
  EXPECT_EQ(h.out.timer_ms, 4000u);
  h.timer();
  EXPECT_TRUE(h.out.has(event::kClosed | event::kGaveUp));
}

TEST(Timer, DataAndFinRetransmitGoBackNThenReset) {
  ServerSetup c = server(1500, true);
  c.data_retries = 2;
  Harness h(c);
  h.syn_received(Seg().syn().seq(kCliIsn).mss(1000));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1));
  h.request(10);
  ASSERT_EQ(h.out.n_tx, 2);
  // First 1000 bytes acked; 500 + FIN outstanding.
  h.in(Seg().seq(h.tcb.rcv_nxt).ack(kSrvIss + 1001));
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 1001));
  EXPECT_EQ(h.out.tx[0].data_off, 1000u);
  EXPECT_EQ(h.out.tx[0].data_len, 500);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh | kFin);
  EXPECT_TRUE(h.out.has(event::kRetransmit));
  // RFC 6298 5.5: the measured RTO (rto_min_ms here), doubled per timeout.
  EXPECT_EQ(h.out.timer_ms, 2 * h.cfg().rto_min_ms);
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1502)) << "SND.NXT unchanged";
  h.timer();
  EXPECT_EQ(h.out.timer_ms, 4 * h.cfg().rto_min_ms);
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kRst | kAck);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 1502));
  EXPECT_TRUE(h.out.has(event::kClosed | event::kGaveUp | event::kResetSent));
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
}

TEST(Timer, FinOnlyRetransmitInLastAck) {
  Harness h(server(0, true));
  h.last_ack();
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kFin);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 1));
  // Partial retry progress is forgotten when the FIN is finally acked.
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kClosed);
}

TEST(Timer, IdleTimeoutResets) {
  Harness h(server(0, false));
  h.established();
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 300000u);
  h.timer();
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kRst | kAck);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss + 1));
  EXPECT_TRUE(h.out.has(event::kClosed | event::kIdleTimeout | event::kResetSent));
  EXPECT_EQ(h.tcb.state, State::kClosed);
}

TEST(Timer, IdleTimeoutZeroCancels) {
  ServerSetup c = server(0, false);
  c.idle_timeout_ms = 0;
  Harness h(c);
  h.established();
  EXPECT_EQ(h.out.timer, TimerOp::kCancel);
}

TEST(Timer, RetransmittedFinInTimeWaitRestarts2Msl) {
  Harness h(server(0, true));
  h.time_wait();
  h.in(Seg().seq(h.tcb.rcv_nxt - 1).ack(h.tcb.snd_nxt).fin());
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  EXPECT_EQ(h.out.timer_ms, 60000u);
  EXPECT_EQ(h.tcb.state, State::kTimeWait);
}

// ---- active open (SYN-SENT) ----------------------------------------------------------

TEST(ActiveOpen, SynCarriesAllOptionsAndSynAckNegotiates) {
  Harness h(server(0, true));
  h.now = 55;
  h.syn_sent();
  const TxSegment& syn = h.out.tx[0];
  EXPECT_EQ(syn.seq, Seq(kSrvIss));
  EXPECT_TRUE(syn.opts.has_mss && syn.opts.has_wscale && syn.opts.sack_permitted &&
              syn.opts.has_timestamps);
  EXPECT_EQ(syn.opts.wscale, 7);
  EXPECT_EQ(syn.opts.ts_val, 55u);
  EXPECT_EQ(h.out.timer, TimerOp::kArm);
  // SYN-ACK without WS/TS: neither is used.
  h.in(Seg().syn().ack(kSrvIss + 1).seq(kCliIsn).mss(1200).wnd(4000));
  EXPECT_TRUE(h.out.has(event::kEstablished));
  EXPECT_EQ(h.tcb.snd_wscale(), 0);
  EXPECT_EQ(h.tcb.rcv_wscale(), 0);
  EXPECT_FALSE(h.tcb.has(tcbflag::kTimestamps));
  EXPECT_EQ(h.tcb.snd_mss, 1200);
  EXPECT_EQ(h.tcb.snd_wnd, 4000u);
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 1));
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].wnd, 65535);
  // The client app does not answer data.
  h.in(h.next().data(10));
  EXPECT_FALSE(h.out.has(event::kRequest));
  EXPECT_EQ(h.out.tx[0].data_len, 0);
}

TEST(ActiveOpen, SynAckWithWsAndTs) {
  Harness h(server(0, true));
  h.syn_sent();
  h.in(Seg().syn().ack(kSrvIss + 1).seq(kCliIsn).ws(3).ts(77, 100).wnd(1000));
  EXPECT_EQ(h.tcb.snd_wscale(), 3);
  EXPECT_EQ(h.tcb.rcv_wscale(), 7);
  EXPECT_EQ(h.tcb.snd_wnd, 1000u) << "SYN-ACK window unscaled";
  EXPECT_TRUE(h.tcb.has(tcbflag::kTimestamps));
  EXPECT_EQ(h.out.tx[0].opts.ts_ecr, 77u);
}

TEST(ActiveOpen, SimultaneousOpenWithPeerSynAck) {
  Harness h(server(0, true));
  h.syn_sent();
  h.in(Seg().syn().seq(kCliIsn).ws(2));
  ASSERT_EQ(h.tcb.state, State::kSynReceived);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kSyn | kAck);
  EXPECT_EQ(h.out.tx[0].seq, Seq(kSrvIss));
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 1));
  EXPECT_TRUE(h.out.tx[0].opts.has_wscale);
  // The peer's SYN-ACK (its SYN again, acking ours) completes the handshake.
  h.in(Seg().syn().seq(kCliIsn).ack(kSrvIss + 1));
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  EXPECT_TRUE(h.out.has(event::kEstablished));
  EXPECT_EQ(h.out.drop, Drop::kNone);
}

TEST(ActiveOpen, SimultaneousOpenWithPlainAck) {
  Harness h(server(0, true));
  h.syn_sent();
  h.in(Seg().syn().seq(kCliIsn));
  h.in(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1));
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  // RST in SYN-RECEIVED of an active open: connection refused.
  Harness r(server(0, true));
  r.syn_sent();
  r.in(Seg().syn().seq(kCliIsn));
  r.in(Seg().rst().seq(kCliIsn + 1));
  EXPECT_TRUE(r.out.has(event::kClosed | event::kResetByPeer));
}

// ---- SYN cookies ---------------------------------------------------------------------

TEST(Cookie, SynAckEchoesOnlyOfferedOptions) {
  Harness h(server(0, true));
  const Endpoint& ep = h.ep;
  const TxSegment t = ep.cookie_synack(Seg().syn().seq(kCliIsn).mss(1400).ws(9).sack().ts(31337),
                                       Seq(0xABCDEF01u), 0x1234);
  EXPECT_EQ(t.flags, kSyn | kAck);
  EXPECT_EQ(t.seq, Seq(0xABCDEF01u));
  EXPECT_EQ(t.ack, Seq(kCliIsn + 1));
  EXPECT_EQ(t.wnd, 65535);
  EXPECT_EQ(t.opts.mss, 1460);
  EXPECT_TRUE(t.opts.has_wscale);
  EXPECT_EQ(t.opts.wscale, 7);
  EXPECT_TRUE(t.opts.sack_permitted);
  EXPECT_TRUE(t.opts.has_timestamps);
  EXPECT_EQ(t.opts.ts_val, 0x1234u);
  EXPECT_EQ(t.opts.ts_ecr, 31337u);

  const TxSegment plain = ep.cookie_synack(Seg().syn().seq(kCliIsn), Seq(7), 0x1234);
  EXPECT_TRUE(plain.opts.has_mss);
  EXPECT_FALSE(plain.opts.has_wscale);
  EXPECT_FALSE(plain.opts.sack_permitted);
  EXPECT_FALSE(plain.opts.has_timestamps);
  // Without timestamps a cookie cannot carry window scale or SACK-permitted,
  // so its SYN-ACK does not offer them (as Linux); the stateful path does.
  const TxSegment no_ts = ep.cookie_synack(Seg().syn().seq(kCliIsn).ws(7).sack(), Seq(7), 0);
  EXPECT_FALSE(no_ts.opts.has_wscale);
  EXPECT_FALSE(no_ts.opts.sack_permitted);
  h.listen(Seg().syn().seq(kCliIsn).ws(7).sack());
  EXPECT_TRUE(h.out.tx[0].opts.has_wscale);
  EXPECT_TRUE(h.out.tx[0].opts.sack_permitted);
}

TEST(Cookie, AckBuildsEstablishedTcb) {
  Harness h(server(0, true));
  CookieOptions co;
  co.mss = 1200;
  co.wscale = 6;
  co.sack_permitted = true;
  co.timestamps = true;
  h.ep.on_cookie_ack(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(100).ts(500, 0x1234), co, h.now,
                     h.tcb, h.out);
  EXPECT_TRUE(h.out.has(event::kCreated | event::kEstablished));
  EXPECT_EQ(h.out.n_tx, 0);
  EXPECT_EQ(h.tcb.state, State::kEstablished);
  EXPECT_EQ(h.tcb.iss, Seq(kSrvIss));
  EXPECT_EQ(h.tcb.snd_una, Seq(kSrvIss + 1));
  EXPECT_EQ(h.tcb.snd_nxt, Seq(kSrvIss + 1));
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(kCliIsn + 1));
  EXPECT_EQ(h.tcb.snd_mss, 1200);
  EXPECT_EQ(h.tcb.snd_wscale(), 6);
  EXPECT_EQ(h.tcb.rcv_wscale(), 7);
  EXPECT_EQ(h.tcb.snd_wnd, 100u << 6);
  EXPECT_EQ(h.tcb.ts_recent, 500u);
  EXPECT_TRUE(h.tcb.has(tcbflag::kSackOk));
  EXPECT_EQ(h.out.timer, TimerOp::kArm) << "idle timer";
}

TEST(Cookie, AckWithRequestIsAnswered) {
  Harness h(server(100, true));
  CookieOptions co;  // no wscale, no timestamps
  co.mss = 536;
  h.ep.on_cookie_ack(Seg().seq(kCliIsn + 1).ack(kSrvIss + 1).wnd(8000).data(20).psh(), co, h.now,
                     h.tcb, h.out);
  EXPECT_TRUE(h.out.has(event::kCreated | event::kEstablished | event::kRequest));
  EXPECT_EQ(h.tcb.snd_wscale(), 0);
  EXPECT_EQ(h.tcb.rcv_wscale(), 0);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kAck | kPsh | kFin);
  EXPECT_EQ(h.out.tx[0].ack, Seq(kCliIsn + 21));
  EXPECT_EQ(h.out.tx[0].data_len, 100);
  EXPECT_EQ(h.tcb.state, State::kFinWait1);
}

// ---- wrap-around -----------------------------------------------------------------------

TEST(Wrap, HandshakeAndResponseAcrossZero) {
  Harness h(server(3000, true));
  const uint32_t cli = 0xFFFFFFF0u;
  h.ep.on_listen(Seg().syn().seq(cli).mss(1000), Seq(0xFFFFFC00u), h.now, h.tcb, h.out);
  h.in(Seg().seq(cli + 1).ack(0xFFFFFC01u));
  ASSERT_EQ(h.tcb.state, State::kEstablished);
  h.in(h.next().data(100));  // crosses zero on the receive side
  EXPECT_EQ(h.tcb.rcv_nxt, Seq(cli + 101));
  ASSERT_EQ(h.out.n_tx, 3);  // crosses zero on the send side
  EXPECT_EQ(h.out.tx[2].data_off, 2000u);
  EXPECT_EQ(h.out.tx[2].seq, Seq(0xFFFFFC01u + 2000));
  h.in(h.next());
  EXPECT_EQ(h.tcb.state, State::kFinWait2);
  h.in(h.next().fin());
  EXPECT_EQ(h.tcb.state, State::kTimeWait);
}

// ---- no TCB ------------------------------------------------------------------------

TEST(Closed, OnSegmentWithClosedTcbActsAsClosedPort) {
  Harness h(server(0, true));
  h.in(Seg().seq(1).ack(2));
  EXPECT_EQ(h.out.drop, Drop::kClosedPort);
  ASSERT_EQ(h.out.n_tx, 1);
  EXPECT_EQ(h.out.tx[0].flags, kRst);
}

}  // namespace
}  // namespace synack::tcp::testing
