// A burst in stages, as VPP's nodes and l3fwd's processx4 do:
//   1. parse and classify every frame (rx_classifier.h for the common case),
//      answering ARP and ICMP at once, prefetching two packets ahead;
//   2. one keyed signature per TCP segment, all of them in one SipHash-1-3
//      batch, and one bulk flow-table probe (the TIME-WAIT store too when it
//      holds anything); the signature is reused for inserts;
//   3. the plain SYNs a cookie answers: every MAC of the burst in one
//      SipHash-2-4 batch, each SYN-ACK written over its SYN from a template;
//      and the MACs of ACKs that may complete a cookie handshake;
//   4. every other segment in arrival order, by the general per-packet path;
//   5. one tx_burst for all the burst produced.
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "runtime/worker.h"
#include "tcp/listen_decision.h"
#include "tcp/segment_parse.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

// A SYN the cookie fast path may answer: SYN alone among FIN/SYN/RST/ACK
// (URG, PSH, ECE and CWR change nothing at a listener), no payload to think
// about; the rest of listen_decision()'s table goes the general way.
bool plain_syn(const tcp::Segment& s) {
  using namespace tcp::tcpflag;
  return (s.flags & (kFin | kSyn | kRst | kAck)) == kSyn && s.payload_len == 0;
}

// The burst's parsed frames and segments, left uninitialised: every slot a
// frame uses is written by the parser before it is read, and zeroing all of
// them (their members have default initialisers) was 14 instructions per
// packet by callgrind. As in tcp::Output, the union keeps the members from
// being constructed.
struct Parsed {
  union {
    wire::Frame frames[kBurst];
  };
  union {
    tcp::Segment segs[kBurst];
  };
  Parsed() {}
};

}  // namespace

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  // The clocks move at most once per burst: every packet in it sees one "now".
  set_clock(now_tsc);
  WorkerCounters& c = *counters_;
  c.rx_packets.add(n);

  Parsed parsed;
  wire::Frame* frames = parsed.frames;
  tcp::Segment* segs = parsed.segs;
  rte_mbuf* tcp_pkts[kBurst];
  tcp::FourTuple keys[kBurst];
  const tcp::FourTuple* key_ptrs[kBurst];
  uint64_t w0[kBurst], w1[kBurst], hash[kBurst];
  uint32_t sigs[kBurst];
  uint16_t n_tcp = 0;

  // Stage 1.
  for (uint16_t i = 0; i < n; i++) {
    if (i + 2 < n) {
      const auto* ahead = rte_pktmbuf_mtod(pkts[i + 2], const uint8_t*);
      rte_prefetch0(ahead);
      rte_prefetch0(ahead + RTE_CACHE_LINE_SIZE);
    }
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
    tcp::Segment& s = segs[n_tcp];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    if (!rx_.parse(data, m->data_len, parse_ctx_.ip_csum_verified, parse_ctx_.l4_csum_verified,
                   f, s)) {
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
          if (client_flows_) {
            client_learn(f, false);
            consume(m);
          } else {
            drop(m, DropReason::arp_reply_unused);
          }
          continue;
        case wire::FrameKind::kIcmpEcho:
          handle_icmp(m, f);
          continue;
        case wire::FrameKind::kTcp:
          break;
      }
      const tcp::Drop d = tcp::parse_segment(data + f.l4_off, f.l4_len, s);
      if (d != tcp::Drop::kNone) {
        drop(m, drop_reason(d));
        continue;
      }
    }
    keys[n_tcp] = tcp::FourTuple{f.src_ip, f.dst_ip, s.src_port, s.dst_port};
    key_ptrs[n_tcp] = &keys[n_tcp];
    tcp_pkts[n_tcp++] = m;
  }
  if (n_tcp == 0) {
    flush_tx();
    return;
  }

  // Stage 2: signatures in one batch, one bulk probe of each table. With
  // both tables empty (a flood at an idle server) every lookup would miss:
  // then the signatures wait until a segment needs one (stage 4).
  int32_t idx[kBurst];
  uint32_t tw[kBurst];
  const bool tables_empty = flows_->size() == 0 && time_wait_->size() == 0;
  if (!tables_empty) signatures(keys, n_tcp, sigs);
  if (flows_->size() != 0) {
    flows_->lookup_bulk(key_ptrs, sigs, n_tcp, idx);
  } else {
    for (uint16_t j = 0; j < n_tcp; j++) idx[j] = -1;
  }
  if (time_wait_->size() != 0) {
    time_wait_->find_bulk(key_ptrs, sigs, n_tcp, tw);
  } else {
    for (uint16_t j = 0; j < n_tcp; j++) tw[j] = flow::TimeWaitStore::kNone;
  }

  // Stage 3: what goes to the listener with no state. `fast` lists the plain
  // SYNs a cookie answers, `acks` the segments whose cookie MAC is computed
  // now for the general path; `done` marks the frames stage 3 finished.
  uint16_t fast[kBurst], acks[kBurst];
  uint16_t n_fast = 0, n_acks = 0;
  static_assert(kBurst <= 64);
  uint64_t done = 0;  // bit j: frame j was finished in stage 3
  update_cookie_mode();
  const bool cookies = cookie_active_;
  for (uint16_t j = 0; j < n_tcp; j++) {
    if (idx[j] >= 0 || tw[j] != flow::TimeWaitStore::kNone || !listening(segs[j].dst_port))
      continue;
    if (cookies && plain_syn(segs[j])) {
      fast[n_fast++] = j;
    } else if (cookie_ack_plausible(segs[j])) {
      acks[n_acks++] = j;
    }
  }
  if (n_fast != 0) {
    tcp::SynCookieCodec::Words words[kBurst];
    uint16_t n_ok = 0;
    for (uint16_t k = 0; k < n_fast; k++) {
      const uint16_t j = fast[k];
      done |= uint64_t{1} << j;
      if (limiter_->enabled() && !limiter_->allow(keys[j].remote_ip, now_tsc_)) {
        c.syn_rate_limited.add();
        drop(tcp_pkts[j], DropReason::syn_rate_limited);
        continue;
      }
      words[n_ok] = tcp::SynCookieCodec::encode_words(keys[j], segs[j].seq, segs[j].opts, now_s_);
      w0[n_ok] = words[n_ok].w0;
      w1[n_ok] = words[n_ok].w1;
      fast[n_ok++] = j;
    }
    sip_->hash24(codec_.current_key(), w0, w1, hash, n_ok);
    for (uint16_t k = 0; k < n_ok; k++) {
      const uint16_t j = fast[k];
      write_cookie_synack(tcp_pkts[j], frames[j], segs[j], keys[j],
                          tcp::SynCookieCodec::encode_from_hash(hash[k], words[k], segs[j].opts,
                                                                now_s_,
                                                                static_cast<uint32_t>(now_ms_)));
      send(tcp_pkts[j]);
    }
    // Counted once for the burst.
    c.syn_received.add(n_fast);
    c.cookies_sent.add(n_ok);
    c.synack_sent.add(n_ok);
    c.answered[static_cast<int>(ReplyKind::cookie_syn_ack)].add(n_ok);
    if (n_ok != 0) last_cookie_s_ = now_s_ + 1;
  }
  // The MACs cookie ACKs would carry under the current secret, in one batch.
  uint64_t ack_hash[kBurst];
  uint64_t have_hash = 0;  // bit j: ack_hash[j] holds frame j's cookie hash
  if (n_acks != 0) {
    uint16_t n_w = 0;
    for (uint16_t k = 0; k < n_acks; k++) {
      tcp::SynCookieCodec::Words w;
      if (!tcp::SynCookieCodec::validate_words(keys[acks[k]], segs[acks[k]], now_s_, &w)) continue;
      w0[n_w] = w.w0;
      w1[n_w] = w.w1;
      acks[n_w++] = acks[k];
    }
    sip_->hash24(codec_.current_key(), w0, w1, hash, n_w);
    for (uint16_t k = 0; k < n_w; k++) {
      ack_hash[acks[k]] = hash[k];
      have_hash |= uint64_t{1} << acks[k];
    }
  }

  // Stage 4, in arrival order. A segment may add or free a flow (or a
  // TIME-WAIT entry); a later one whose lookups could have changed redoes them.
  if (tables_empty && done != (n_tcp == 64 ? ~uint64_t{0} : (uint64_t{1} << n_tcp) - 1))
    signatures(keys, n_tcp, sigs);
  const uint32_t changes_before = table_changes_;
  for (uint16_t j = 0; j < n_tcp; j++) {
    if (done >> j & 1) continue;
    int32_t slot = idx[j];
    uint32_t h = tw[j];
    if (table_changes_ != changes_before) {
      slot = flows_->lookup(keys[j], sigs[j]);
      h = time_wait_->size() != 0 ? time_wait_->find(keys[j], sigs[j]) : flow::TimeWaitStore::kNone;
    }
    handle_tcp(tcp_pkts[j], frames[j], segs[j], keys[j], sigs[j], slot, h,
               (have_hash >> j & 1) ? &ack_hash[j] : nullptr);
  }
  // Stage 5.
  flush_tx();
}

void Worker::signatures(const tcp::FourTuple* keys, uint16_t n, uint32_t* sigs) {
  uint64_t w0[kBurst], w1[kBurst], hash[kBurst];
  for (uint16_t j = 0; j < n; j++) {
    w0[j] = flow::FlowHash::word0(keys[j]);
    w1[j] = flow::FlowHash::word1(keys[j]);
  }
  // GCC cannot see that the batch reads only the first n words (an indirect
  // call); zeroing the arrays to quiet it would cost more than the hashes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  sip_->hash13(flows_->hash().key(), w0, w1, hash, n);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  for (uint16_t j = 0; j < n; j++) sigs[j] = static_cast<uint32_t>(hash[j]);
}

void Worker::handle_tcp(rte_mbuf* m, const wire::Frame& f, const tcp::Segment& seg,
                        const tcp::FourTuple& key, uint32_t sig, int32_t idx, uint32_t tw,
                        const uint64_t* cookie_hash) {
  const tcp::Route route{p_.mac, f.src_mac, key};
  if (idx >= 0) {
    flow::FlowRecord& rec = flows_->at(static_cast<uint32_t>(idx));
    // RFC 4987 3.6 meets a half-open record: an ACK that does not match it may
    // complete a cookie handshake this lcore answered before overload ended.
    if (rec.tcb.state == tcp::State::kSynReceived && seg.ack != rec.tcb.snd_nxt &&
        cookie_ack_plausible(seg)) {
      return handle_cookie_ack(m, f, seg, key, sig, idx, nullptr);
    }
    const tcp::State before = rec.tcb.state;
    tcp::Output out;
    endpoint_.on_segment(rec.tcb, seg, now_ms_, out, app_state(static_cast<uint32_t>(idx)));
    if (!out.has(tcp::event::kReturnedToListen)) {
      apply(idx, before, out, m, route);
      return;
    }
    // RFC 9293 3.10.7.4: the half-open record is gone; the SYN is new.
    apply(idx, before, out, nullptr, route);
    return handle_listen(m, f, seg, key, sig, cookie_hash);
  }
  if (tw != flow::TimeWaitStore::kNone) return handle_time_wait(m, f, seg, key, sig, tw);
  if (!listening(seg.dst_port)) {
    tcp::Output out;
    tcp::Endpoint::on_closed(seg, out);
    apply(-1, tcp::State::kClosed, out, m, route);
    return;
  }
  handle_listen(m, f, seg, key, sig, cookie_hash);
}

}  // namespace synack::runtime
