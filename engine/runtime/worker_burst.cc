// A burst in stages, as VPP's nodes and l3fwd's processx4 do: (1) parse and
// classify every frame, answering ARP and ICMP at once; (2) one keyed
// signature per TCP segment and one bulk flow-table probe for the burst;
// (3) each segment in arrival order to its connection, its TIME-WAIT entry or
// the listener; (4) one tx_burst for everything the burst produced.
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "runtime/worker.h"
#include "tcp/segment_parse.h"
#include "wire/headers.h"

namespace synack::runtime {

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  // The clocks move at most once per burst: every packet in it sees one "now".
  set_clock(now_tsc);
  counters_->rx_packets.add(n);

  wire::Frame frames[kBurst];
  tcp::Segment segs[kBurst];
  rte_mbuf* tcp_pkts[kBurst];
  tcp::FourTuple keys[kBurst];
  const tcp::FourTuple* key_ptrs[kBurst];
  uint32_t sigs[kBurst];
  uint16_t n_tcp = 0;

  // Stage 1: parse and classify.
  for (uint16_t i = 0; i < n; i++) {
    if (i + 2 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void*));
    rte_mbuf* m = pkts[i];
    if (m->nb_segs != 1) {
      drop(m, DropReason::multi_segment);
      continue;
    }
    if (p_.rx_csum_offload) {
      parse_ctx_.ip_csum_verified =
          (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
      parse_ctx_.l4_csum_verified =
          (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    wire::Frame& f = frames[n_tcp];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    const wire::ParseError e = wire::parse_frame(data, m->data_len, parse_ctx_, f);
    if (e != wire::ParseError::kOk) {
      drop(m, drop_reason(e));
      continue;
    }
    switch (f.kind) {
      case wire::FrameKind::kArpRequest:
        handle_arp(m, f);
        continue;
      case wire::FrameKind::kArpReply:
        drop(m, DropReason::arp_reply_unused);
        continue;
      case wire::FrameKind::kIcmpEcho:
        handle_icmp(m, f);
        continue;
      case wire::FrameKind::kTcp:
        break;
    }
    tcp::Segment& s = segs[n_tcp];
    const tcp::Drop d = tcp::parse_segment(data + f.l4_off, f.l4_len, s);
    if (d != tcp::Drop::kNone) {
      drop(m, drop_reason(d));
      continue;
    }
    keys[n_tcp] = tcp::FourTuple{f.src_ip, f.dst_ip, s.src_port, s.dst_port};
    key_ptrs[n_tcp] = &keys[n_tcp];
    tcp_pkts[n_tcp++] = m;
  }
  if (n_tcp != 0) {
    // Stage 2: signatures and one bulk probe.
    for (uint16_t j = 0; j < n_tcp; j++) sigs[j] = flows_->signature(keys[j]);
    int32_t idx[kBurst];
    flows_->lookup_bulk(key_ptrs, sigs, n_tcp, idx);
    // Stage 3, in arrival order. A segment may add or free a flow (or a
    // TIME-WAIT entry); a later one whose own lookup could have changed looks
    // its key up again.
    const uint32_t changes_before = table_changes_;
    for (uint16_t j = 0; j < n_tcp; j++) {
      const int32_t slot =
          table_changes_ == changes_before ? idx[j] : flows_->lookup(keys[j], sigs[j]);
      handle_tcp(tcp_pkts[j], frames[j], segs[j], keys[j], sigs[j], slot);
    }
  }
  // Stage 4.
  flush_tx();
}

void Worker::handle_tcp(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                        const tcp::FourTuple& key, uint32_t sig, int32_t idx) {
  const tcp::Route route{p_.mac, f.src_mac, key};
  if (idx >= 0) {
    flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
    // RFC 4987 3.6 meets a half-open record: an ACK that does not match it may
    // complete a cookie handshake this lcore answered before overload ended.
    if (rec.tcb.state == tcp::State::kSynReceived && seg.ack != rec.tcb.snd_nxt &&
        cookie_ack_plausible(seg)) {
      return handle_cookie_ack(m, f, seg, key, sig, idx);
    }
    const tcp::State before = rec.tcb.state;
    tcp::Output out;
    endpoint_.on_segment(rec.tcb, seg, now_ms_, out, rec.app);
    apply(idx, before, out, m, route);
    return;
  }
  if (time_wait_->size() != 0) {
    const uint32_t h = time_wait_->find(key, sig);
    if (h != flow::TimeWaitStore::kNone) return handle_time_wait(m, f, seg, key, sig, h);
  }
  if (!listening(seg.dst_port)) {
    tcp::Output out;
    tcp::Endpoint::on_closed(seg, out);
    apply(-1, tcp::State::kClosed, out, m, route);
    return;
  }
  handle_listen(m, f, seg, key, sig);
}

}  // namespace synack::runtime
