// Transmission: segments written into mbufs (the first reply over the frame
// it answers), the lcore's ACK budget (RFC 5961 7), the per-burst TX array,
// and the accounting of every received frame: answered, consumed or dropped.
#include <rte_mbuf.h>

#include "runtime/cookie_synack.h"
#include "runtime/worker.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

ReplyKind kind_of(const tcp::TxSegment& s) {
  using namespace tcp::tcpflag;
  if (s.flags & kRst) return ReplyKind::rst;
  if ((s.flags & (kSyn | kAck)) == (kSyn | kAck)) return ReplyKind::syn_ack;
  if (s.data_len != 0 || (s.flags & kFin)) return ReplyKind::data;
  return ReplyKind::ack;
}

}  // namespace

void Worker::send(rte_mbuf* m) {
  if (n_tx_ == kTxMax) flush_tx();
  tx_[n_tx_++] = m;
}

void Worker::flush_tx() {
  if (n_tx_ == 0) return;
  const uint16_t sent = rte_eth_tx_burst(p_.port_id, p_.queue_id, tx_, n_tx_);
  counters_->tx_packets.add(sent);
  if (sent < n_tx_) {
    counters_->tx_dropped.add(n_tx_ - sent);
    rte_pktmbuf_free_bulk(tx_ + sent, n_tx_ - sent);
  }
  n_tx_ = 0;
}

void Worker::answered(rte_mbuf* m, ReplyKind k) {
  counters_->answer(k);
  send(m);
}

void Worker::drop(rte_mbuf* m, DropReason r) {
  counters_->drop(r);
  rte_pktmbuf_free(m);
}

void Worker::consume(rte_mbuf* m) {
  counters_->consumed.add();
  rte_pktmbuf_free(m);
}

// RFC 5961 7: at most --challenge_ack_limit provoked ACKs per second and lcore
// (as Linux's tcp_challenge_ack_limit, a per-second window).
bool Worker::take_ack_budget() {
  if (cfg_.challenge_ack_limit == 0) return true;
  if (now_s_ != ack_budget_s_) {
    ack_budget_s_ = now_s_;
    ack_budget_used_ = 0;
  }
  if (ack_budget_used_ >= cfg_.challenge_ack_limit) return false;
  ack_budget_used_++;
  return true;
}

// `m` is the received frame being answered (nullptr for timer output): the
// first reply is written over it, later ones take fresh mbufs. `tcb` gives
// the application its connection when a segment carries data.
void Worker::emit(const tcp::Output& out, rte_mbuf* m, const tcp::Route& route, const tcp::Tcb* tcb,
                  const void* app) {
  int first = 0;
  if (out.n_tx > 0 && out.has(tcp::event::kRateLimitedAck) && !take_ack_budget()) {
    counters_->acks_rate_limited.add();
    first = 1;  // tx[0] was the provoked ACK; nothing else rides with it
  }
  WorkerCounters& c = *counters_;
  for (int i = first; i < out.n_tx; i++) {
    const tcp::TxSegment& s = out.tx[i];
    const bool in_place = m != nullptr;
    rte_mbuf* b = in_place ? m : pool_low_ ? nullptr : rte_pktmbuf_alloc(p_.pool);
    if (b == nullptr) {
      c.tx_no_mbuf.add();
      continue;
    }
    m = nullptr;
    if (!write_segment(b, s, route, tcb, app)) {
      rte_pktmbuf_free(b);
      if (in_place) c.drop(DropReason::reply_too_large);
      continue;
    }
    // Counted once written: a reply with no mbuf was not sent.
    if (s.flags & tcp::tcpflag::kRst) c.rst_sent.add();
    if ((s.flags & (tcp::tcpflag::kSyn | tcp::tcpflag::kAck)) ==
        (tcp::tcpflag::kSyn | tcp::tcpflag::kAck)) {
      c.synack_sent.add();
      if (out.has(tcp::event::kSynAckRetransmit)) c.synack_retransmits.add();
    }
    if (i == 0 && out.has(tcp::event::kChallengeAck)) c.challenge_acks_sent.add();
    if (!in_place) {
      send(b);
      continue;
    }
    // The frame's one count: its first reply's kind, and the TCP layer's
    // reason when that reply did not take it (a RST, a challenge ACK).
    if (out.drop != tcp::Drop::kNone) c.rejected[static_cast<int>(out.drop)].add();
    answered(b, kind_of(s));
  }
  if (m == nullptr) return;
  // No reply used the frame: taken, or discarded for one reason.
  if (out.drop != tcp::Drop::kNone)
    drop(m, drop_reason(out.drop));
  else
    consume(m);
}

void Worker::send_cookie_synack(rte_mbuf* m, const wire::Frame&, const tcp::Segment& syn,
                                const tcp::FourTuple& key, const tcp::SynCookieCodec::Cookie& c) {
  write_cookie_synack(m, synack_tpl_, tcp::SynCookieCodec::word0_of(key),
                      reduce_syn(syn.seq, syn.opts), c, tx_ol_flags_, tx_offload_);
  WorkerCounters& cn = *counters_;
  cn.cookies_sent.add();
  cn.synack_sent.add();
  last_cookie_s_ = now_s_ + 1;
  answered(m, ReplyKind::cookie_syn_ack);
}

// Builds the whole frame at the start of `b`: for the first reply that is the
// received frame's own memory (answered in place, no allocation).
bool Worker::write_segment(rte_mbuf* b, const tcp::TxSegment& s, const tcp::Route& route,
                           const tcp::Tcb* tcb, const void* app) {
  rte_pktmbuf_reset_headroom(b);
  const uint16_t hdr = tcp::segment_header_len(s);
  if (uint32_t{hdr} + s.data_len > uint32_t{rte_pktmbuf_data_room_size(b->pool)} - b->data_off)
    return false;
  uint8_t* frame = rte_pktmbuf_mtod(b, uint8_t*);
  if (s.data_len != 0 && tcb != nullptr)
    app_->copy_out(*tcb, app, s.data_off, frame + hdr, s.data_len);
  b->data_len = tcp::write_segment(frame, route, s, p_.tx_tcp_csum_offload);
  b->pkt_len = b->data_len;
  b->nb_segs = 1;
  b->next = nullptr;
  if (p_.tx_tcp_csum_offload) {
    b->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
    b->l2_len = wire::kEthHdrLen;
    b->l3_len = wire::kIpv4MinHdrLen;
  } else {
    b->ol_flags = 0;
  }
  return true;
}

}  // namespace synack::runtime
