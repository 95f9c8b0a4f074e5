#include "tcp/synack.h"

#include <algorithm>

namespace synack::tcp {

SynAckPromise promise_of(const Tcb& tcb) {
  SynAckPromise p;
  p.peer_mss = tcb.snd_mss;
  p.wscale = tcb.has(tcbflag::kWscale);
  p.peer_wscale = tcb.snd_wscale();
  p.our_wscale = tcb.rcv_wscale();
  p.sack = tcb.has(tcbflag::kSackOk);
  p.timestamps = tcb.has(tcbflag::kTimestamps);
  return p;
}

TxSegment build_synack(const SynAckPromise& p, const EndpointConfig& cfg, Seq iss, Seq ack,
                       uint32_t ts_val, uint32_t ts_ecr) {
  TxSegment t;
  t.seq = iss;
  t.ack = ack;
  t.flags = 0x12;  // SYN, ACK
  t.wnd = static_cast<uint16_t>(std::min<uint32_t>(cfg.rcv_wnd, 0xFFFF));
  t.opts.has_mss = true;
  t.opts.mss = cfg.mss;
  if (p.wscale) {
    t.opts.has_wscale = true;
    t.opts.wscale = p.our_wscale;
  }
  t.opts.sack_permitted = p.sack;
  if (p.timestamps) {
    t.opts.has_timestamps = true;
    t.opts.ts_val = ts_val;
    t.opts.ts_ecr = ts_ecr;
  }
  return t;
}

void apply_promise(const SynAckPromise& p, Tcb& tcb) {
  tcb.snd_mss = p.peer_mss;
  tcb.flags &= static_cast<uint8_t>(~(tcbflag::kWscale | tcbflag::kSackOk | tcbflag::kTimestamps));
  if (p.wscale) {
    tcb.flags |= tcbflag::kWscale;
    tcb.set_wscales(p.peer_wscale, p.our_wscale);
  } else {
    tcb.set_wscales(0, 0);
  }
  if (p.sack) tcb.flags |= tcbflag::kSackOk;
  if (p.timestamps) tcb.flags |= tcbflag::kTimestamps;
}

}  // namespace synack::tcp
