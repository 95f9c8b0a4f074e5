// Random segments thrown at a TCB in every state: no crash, invariants hold.
#include <gtest/gtest.h>

#include <random>

#include "tcp_test_util.h"

namespace synack::tcp::testing {
namespace {

void reach(Harness& h, State s) {
  switch (s) {
    case State::kSynSent:
      h.syn_sent();
      break;
    case State::kSynReceived:
      h.syn_received(Seg().syn().seq(kCliIsn).mss(100).ws(3).ts(5));
      break;
    case State::kEstablished:
      h.established();
      break;
    case State::kFinWait1:
      h.fin_wait_1();
      break;
    case State::kFinWait2:
      h.fin_wait_2();
      break;
    case State::kCloseWait:
      h.close_wait();
      break;
    case State::kClosing:
      h.closing();
      break;
    case State::kLastAck:
      h.last_ack();
      break;
    case State::kTimeWait:
      h.time_wait();
      break;
    default:
      break;
  }
}

void check(const Harness& h) {
  ASSERT_LE(h.out.n_tx, Output::kMaxTx);
  ASSERT_LE(h.tcb.snd_una, h.tcb.snd_nxt);
  for (int i = 0; i < h.out.n_tx; ++i) {
    const TxSegment& t = h.out.tx[i];
    ASSERT_LE(uint64_t{t.data_off} + t.data_len, h.tcb.snd_queued) << "only queued bytes are sent";
    if (t.data_len > 0) {
      ASSERT_LE(t.data_len, h.tcb.snd_mss);
    }
  }
  if (h.out.has(event::kClosed)) {
    ASSERT_EQ(h.out.timer, TimerOp::kCancel);
  }
}

TEST(Random, SegmentsInEveryStateKeepInvariants) {
  std::mt19937 rng(12345);
  for (int s = 0; s < kNumStates; ++s) {
    for (int run = 0; run < 300; ++run) {
      ServerSetup c;
      c.response_len = rng() % 3 == 0 ? 0 : rng() % 20000;
      // FIN-WAIT-1 and the states after it are reached by an active close.
      const auto st = static_cast<State>(s);
      c.active_close = in_state(st, bit(State::kFinWait1) | bit(State::kFinWait2) |
                                        bit(State::kClosing) | bit(State::kTimeWait)) ||
                       (rng() & 1);
      c.rcv_wnd = rng() % 2 ? 65535u << 7 : 4000;
      // FIN-WAIT-2 and later need the whole response acked in one step.
      if (in_state(st, bit(State::kFinWait2) | bit(State::kClosing) | bit(State::kTimeWait))) {
        c.response_len %= 1000;
      }
      c.data_retries = 3;
      c.synack_retries = 2;
      Harness h(c);
      ASSERT_NO_FATAL_FAILURE(reach(h, static_cast<State>(s)));
      if (h.tcb.state == State::kClosed && s != 0) continue;
      for (int step = 0; step < 40 && h.tcb.state != State::kClosed; ++step) {
        const uint32_t kind = rng() % 10;
        if (kind == 0) {
          h.now += 1000;
          h.timer();
        } else {
          Segment seg;
          // Mostly near the expected numbers, sometimes anywhere.
          const bool near = rng() % 4 != 0;
          seg.seq = near ? h.tcb.rcv_nxt + (rng() % 64) - 32 : Seq(rng());
          seg.ack = near ? h.tcb.snd_una + (rng() % 4096) - 64 : Seq(rng());
          seg.flags = static_cast<uint8_t>(rng());
          if (rng() % 2) seg.flags &= tcpflag::kAck | tcpflag::kFin | tcpflag::kPsh;
          seg.payload_len = rng() % 3 == 0 ? rng() % 3000 : 0;
          seg.wnd = static_cast<uint16_t>(rng());
          if (rng() % 2) {
            seg.opts.has_timestamps = true;
            seg.opts.ts_val = h.tcb.ts_recent + (rng() % 100) - 20;
          }
          if (rng() % 8 == 0) {
            seg.opts.has_mss = true;
            seg.opts.mss = static_cast<uint16_t>(rng());
            seg.opts.has_wscale = true;
            seg.opts.wscale = static_cast<uint8_t>(rng());
          }
          h.in(seg);
        }
        ASSERT_NO_FATAL_FAILURE(check(h));
      }
    }
  }
}

TEST(Random, ListenAndClosedNeverCrash) {
  std::mt19937 rng(777);
  Harness h;
  for (int i = 0; i < 20000; ++i) {
    Segment seg;
    seg.seq = Seq(rng());
    seg.ack = Seq(rng());
    seg.flags = static_cast<uint8_t>(rng());
    seg.payload_len = rng() % 2000;
    h.ep.on_listen(seg, Seq(rng()), h.now, h.tcb, h.out);
    ASSERT_LE(h.out.n_tx, 1);
    if (seg.has(tcpflag::kRst)) {
      ASSERT_EQ(h.out.n_tx, 0) << "never RST a RST";
    }
    Endpoint::on_closed(seg, h.out);
    ASSERT_EQ(h.out.n_tx, seg.has(tcpflag::kRst) ? 0 : 1);
  }
}

}  // namespace
}  // namespace synack::tcp::testing
