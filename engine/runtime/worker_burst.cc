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

#include <cassert>
#include <cstring>
#include <type_traits>

#include "runtime/cookie_synack.h"
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

// A TCP segment of the burst for the general stages: its frame, segment and
// 4-tuple, or (a plain SYN the classifier reduced) its PlainSyn and 4-tuple.
struct Slot {
  wire::Frame f;
  tcp::Segment seg;
  tcp::FourTuple key;
  PlainSyn syn;
};

// The burst's scratch, left uninitialised: every entry is written before it
// is read, and zeroing them (their members have default initialisers) was 14
// instructions per packet by callgrind. As in tcp::Output, the unions keep
// the members from being constructed.
struct Scratch {
  union {
    Slot slots[kBurst];
  };
  union {
    tcp::FourTuple keys[kBurst];  // the slots' keys side by side, for the bulk lookups
  };
  uint64_t w0[kBurst], w1[kBurst];  // cookie ACKs' MAC words
  Scratch() {}
};

// The checksums the port verified for `m` (none without RX offload).
struct RxCsum {
  bool ip, l4;
};
inline RxCsum rx_csum(const rte_mbuf* m, bool offload) {
  if (!offload) return {false, false};
  return {(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD,
          (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD};
}

}  // namespace

// The SYNs of a burst a cookie answers: packet, what the SYN-ACK takes
// besides its 4-tuple, and the two MAC words (the first is the 4-tuple).
struct SynBatch {
  PlainSyn syns[kBurst];
  rte_mbuf* pkts[kBurst];
  uint64_t w0[kBurst], w1[kBurst];  // w0: remote address and both ports
  uint8_t pos[kBurst];              // the first pass's: place in the burst
  uint16_t n = 0;
  uint32_t received = 0;  // SYNs offered to it, the rate-limited ones too

  // The low half of w1 less the MSS index (the counter bits): the same for
  // every SYN of a burst.
  static uint32_t count_bits(uint64_t now_s) {
    return static_cast<uint32_t>(tcp::SynCookieCodec::word1_of(tcp::Seq(0), 0, now_s));
  }
  // add() at entry `k`, the counter bits computed once for the burst; the
  // caller keeps the count.
  [[gnu::always_inline]] void put(uint16_t k, rte_mbuf* m, const tcp::FourTuple& key,
                                  const PlainSyn& syn, uint32_t count) {
    syns[k] = syn;
    w0[k] = tcp::SynCookieCodec::word0_of(key);
    w1[k] = uint64_t{syn.isn} << 32 | (count | syn.mss_index);
    pkts[k] = m;
  }
  void add(rte_mbuf* m, const tcp::FourTuple& key, const PlainSyn& syn, uint64_t now_s) {
    put(n++, m, key, syn, count_bits(now_s));
  }
};

[[gnu::always_inline]] inline void Worker::take_syn(SynBatch& b, rte_mbuf* m,
                                                    const tcp::FourTuple& key,
                                                    const PlainSyn& syn) {
  b.received++;
  if (limiter_on_ && !limiter_->allow(key.remote_ip, now_tsc_)) {
    counters_->syn_rate_limited.add();
    drop(m, DropReason::syn_rate_limited);
    return;
  }
  b.add(m, key, syn, now_s_);
}

// Whether an earlier segment of the burst that stage 4 handles in order
// (slots `gen`, placed in the burst by `pos`) has the remote address and
// ports of `w0` (SynCookieCodec::word0_of) and comes before place `before`:
// a cookie ACK there may create the flow this SYN then meets, so the SYN
// must wait its turn (RFC 9293 3.10.7: segments of a connection in order).
// The local address is not compared: a false match only sends a SYN the
// general way, which answers it as the cookie stage would.
static bool earlier_in_burst(const tcp::FourTuple* keys, const uint16_t* gen, uint16_t n_gen,
                             const uint8_t* pos, uint64_t w0, unsigned before) {
  for (uint16_t g = 0; g < n_gen; g++)
    if (pos[gen[g]] < before && tcp::SynCookieCodec::word0_of(keys[gen[g]]) == w0) return true;
  return false;
}

// The first pass's SYNs (the batch's first `first`), now that the general
// pass has seen the rest of the burst: one with an earlier same-4-tuple segment in stage 4 is
// deferred to stage 4 in its place (`def`, `def_pos`); the others meet the rate limiter in arrival
// order, as take_syn() would have.
uint16_t Worker::admit_first_pass(SynBatch& b, uint16_t first, const tcp::FourTuple* keys,
                                  const uint16_t* gen, uint16_t n_gen, const uint8_t* slot_pos,
                                  rte_mbuf** def, uint8_t* def_pos) {
  uint16_t kept = 0, n_def = 0;
  for (uint16_t k = 0; k < b.n; k++) {
    rte_mbuf* m = b.pkts[k];
    if (k < first) {
      if (n_gen != 0 && earlier_in_burst(keys, gen, n_gen, slot_pos, b.w0[k], b.pos[k])) {
        def[n_def] = m;
        def_pos[n_def++] = b.pos[k];
        continue;
      }
      b.received++;
      if (limiter_on_ && !limiter_->allow(static_cast<uint32_t>(b.w0[k] >> 32), now_tsc_)) {
        counters_->syn_rate_limited.add();
        drop(m, DropReason::syn_rate_limited);
        continue;
      }
    }
    // Stage 3's own SYNs (from `first` on) met the limiter in take_syn().
    b.syns[kept] = b.syns[k];
    b.w0[kept] = b.w0[k];
    b.w1[kept] = b.w1[k];
    b.pkts[kept++] = m;
  }
  b.n = kept;
  return n_def;
}

// A plain SYN the classifier reduced, parsed in full after all (the general
// path takes it); the classifier took it, so it takes it again.
static void parse_in_full(const RxClassifier& rx, const rte_mbuf* m, bool offload,
                          tcp::FourTuple& key, Slot& sl) {
  const RxCsum ok = rx_csum(m, offload);
  PlainSyn unused;
  [[maybe_unused]] const RxKind k = rx.classify(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len,
                                                ok.ip, ok.l4, false, key, unused, sl.f, sl.seg);
  assert(k == RxKind::kTcp);
}

// A SYN admit_first_pass() deferred, in its place among stage 4's segments:
// parsed in full, looked up afresh (an earlier segment may have made a flow).
void Worker::handle_deferred_syn(rte_mbuf* m) {
  Slot sl;
  tcp::FourTuple key;
  parse_in_full(rx_, m, p_.rx_csum_offload, key, sl);
  uint32_t sig;
  signatures(&key, 1, &sig);
  const int32_t slot = flows_->size() != 0 ? flows_->lookup(key, sig) : -1;
  const uint32_t h =
      time_wait_->size() != 0 ? time_wait_->find(key, sig) : flow::TimeWaitStore::kNone;
  handle_tcp(m, sl.f, sl.seg, key, sig, slot, h, nullptr);
}

// Out of line (as answer_syns()): the loop's registers are its own, where
// inlined into process_burst it spilled (callgrind, bench_synack_path).
uint16_t Worker::take_plain_syns(rte_mbuf** pkts, uint16_t n, SynBatch& b, rte_mbuf** left,
                                 uint8_t* left_pos) {
  const uint32_t count_bits = SynBatch::count_bits(now_s_);
  uint16_t n_left = 0;
  // The batch's count in a local: every store into the batch's uint8_t
  // arrays may alias b.n, which the loop then loaded and stored per SYN.
  uint16_t n_syn = b.n;
  // Written out with and without RX checksum offload: without it the
  // offload flags are constants, and the loop has a register more.
  auto loop = [&](auto offload) __attribute__((always_inline)) {
    auto one = [&](uint16_t i) __attribute__((always_inline)) {
      rte_mbuf* m = pkts[i];
      const bool ip_ok =
          offload() && (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
      const bool l4_ok =
          offload() && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
      bool taken = false;
      auto sink = [&](const tcp::FourTuple& key, const PlainSyn& syn)
          __attribute__((always_inline)) {
        if (!listening(key.local_port)) return;
        taken = true;
        b.pos[n_syn] = static_cast<uint8_t>(i);
        b.put(n_syn++, m, key, syn, count_bits);
      };
      if (m->nb_segs != 1 ||
          !rx_.plain_syn(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, ip_ok, l4_ok, sink) ||
          !taken) {
        left_pos[n_left] = static_cast<uint8_t>(i);
        left[n_left++] = m;
      }
    };
    // Two packets ahead prefetched, then the last two without the test:
    // BM_SynCookiePath/avx2/linux/cold took 128 cycles per packet with the
    // prefetch, 186 without (bench_synack_path on this machine).
    uint16_t i = 0;
    for (; i + 2 < n; i++) {
      const auto* ahead = rte_pktmbuf_mtod(pkts[i + 2], const uint8_t*);
      rte_prefetch0(ahead);
      rte_prefetch0(ahead + RTE_CACHE_LINE_SIZE);
      one(i);
    }
    for (; i < n; i++) one(i);
  };
  if (p_.rx_csum_offload)
    loop(std::true_type{});
  else
    loop(std::false_type{});
  b.n = n_syn;
  return n_left;
}

void Worker::answer_syns(SynBatch& b) {
  uint64_t hash[kBurst];
  sip_->hash24(codec_.current_key(), b.w0, b.w1, hash, b.n);
  if (n_tx_ + b.n > kTxMax) flush_tx();
  // Members in locals: every store into a frame (uint8_t) may alias them,
  // so the compiler would load them again for each SYN.
  const tcp::SynCookieCodec::TsClock ts_clock =
      tcp::SynCookieCodec::ts_clock(static_cast<uint32_t>(now_ms_));
  const uint64_t now_s = now_s_;
  const uint64_t ol_flags = tx_ol_flags_, tx_offload = tx_offload_;
  const tcp::SynAckTemplate* templates = synack_tpl_;
  rte_mbuf** tx = tx_ + n_tx_;
  const uint16_t n = b.n;
  // Every template has the port's offload: the loop is written out for each.
  auto loop = [&](auto offload) __attribute__((always_inline)) {
    for (uint16_t k = 0; k < n; k++) {
      const PlainSyn& s = b.syns[k];
      rte_mbuf* m = b.pkts[k];
      write_cookie_synack_as<offload()>(
          m, templates, b.w0[k], s,
          {tcp::SynCookieCodec::isn_from_hash(hash[k], s.mss_index, now_s),
           tcp::SynCookieCodec::ts_val_at(s.ts_bits, ts_clock)},
          ol_flags, tx_offload);
    }
  };
  if (templates[0].csum_offload())
    loop(std::true_type{});
  else
    loop(std::false_type{});
  // Queued after the loop, which then has a register more.
  std::memcpy(tx, b.pkts, sizeof(rte_mbuf*) * n);
  n_tx_ = static_cast<uint16_t>(n_tx_ + b.n);
  // Counted once for the burst.
  WorkerCounters& c = *counters_;
  c.cookies_sent.add(b.n);
  c.synack_sent.add(b.n);
  c.answered[static_cast<int>(ReplyKind::cookie_syn_ack)].add(b.n);
  last_cookie_s_ = now_s + 1;
}

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  // The clocks move at most once per burst: every packet in it sees one "now".
  set_clock(now_tsc);
  WorkerCounters& c = *counters_;
  c.rx_packets.add(n);
  // Decided once for the burst, as nothing in stage 1 changes what they
  // depend on: whether cookies answer SYNs, and whether a table could hold
  // anything a segment would find.
  update_cookie_mode();
  const bool cookies = cookie_active_;
  const bool tables_empty = flows_->size() == 0 && time_wait_->size() == 0;
  // A plain SYN for a listening port then goes straight to the cookie stage.
  const bool direct = cookies && tables_empty;
  const bool rx_offload = p_.rx_csum_offload;
  limiter_on_ = limiter_->enabled();
  const uint64_t now_s = now_s_;

  Scratch sc;
  Slot* slots = sc.slots;
  rte_mbuf* tcp_pkts[kBurst];
  uint16_t n_tcp = 0;
  static_assert(kBurst <= 64);
  uint64_t reduced = 0;  // bit j: slot j is a PlainSyn (its f and seg unset)

  // Stage 1. In a flood at an idle server (cookies on, nothing in the
  // tables) a first pass takes the plain SYNs for listening ports straight
  // to the cookie stage, and leaves every other frame, in order, for the
  // general pass; a frame it leaves is classified again there.
  SynBatch syns;
  rte_mbuf* left[kBurst];
  uint8_t left_pos[kBurst];  // the place in the burst of each frame left
  uint8_t slot_pos[kBurst];  // and of each slot
  if (direct) {
    n = take_plain_syns(pkts, n, syns, left, left_pos);
    pkts = left;
  }
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
    const RxCsum ok = rx_csum(m, rx_offload);
    Slot& sl = slots[n_tcp];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    tcp::FourTuple key;
    PlainSyn syn;
    // Reduced only when tables are not empty (or the first pass took it).
    const RxKind kind =
        rx_.classify(data, m->data_len, ok.ip, ok.l4, cookies && !direct, key, syn, sl.f, sl.seg);
    if (kind == RxKind::kPlainSyn) {
      sl.syn = syn;
      reduced |= uint64_t{1} << n_tcp;
    } else if (kind == RxKind::kOther) {
      parse_ctx_.ip_csum_verified = ok.ip;
      parse_ctx_.l4_csum_verified = ok.l4;
      const wire::ParseError e = wire::parse_frame(data, m->data_len, parse_ctx_, sl.f);
      if (e != wire::ParseError::kOk) {
        drop(m, drop_reason(e));
        continue;
      }
      switch (sl.f.kind) {
        case wire::FrameKind::kArpRequest:
          handle_arp(m, sl.f);
          continue;
        case wire::FrameKind::kArpReply:
          if (client_flows_) {
            client_learn(sl.f, false);
            consume(m);
          } else {
            drop(m, DropReason::arp_reply_unused);
          }
          continue;
        case wire::FrameKind::kIcmpEcho:
          handle_icmp(m, sl.f);
          continue;
        case wire::FrameKind::kTcp:
          break;
      }
      const tcp::Drop d = tcp::parse_segment(data + sl.f.l4_off, sl.f.l4_len, sl.seg);
      if (d != tcp::Drop::kNone) {
        drop(m, drop_reason(d));
        continue;
      }
      key = tcp::FourTuple{sl.f.src_ip, sl.f.dst_ip, sl.seg.src_port, sl.seg.dst_port};
    }
    sc.keys[n_tcp] = key;
    slot_pos[n_tcp] = direct ? left_pos[i] : static_cast<uint8_t>(i);
    tcp_pkts[n_tcp++] = m;
  }

  // A reduced SYN the general path takes after all (it has a flow, a
  // TIME-WAIT entry, no listener, or an earlier segment of its 4-tuple).
  auto unreduce = [&](uint16_t j) {
    [[maybe_unused]] tcp::FourTuple key;
    parse_in_full(rx_, tcp_pkts[j], rx_offload, key, slots[j]);
    assert(key == sc.keys[j]);
  };

  // Stage 2: signatures in one batch, one bulk probe of each table. With
  // both tables empty (a flood at an idle server) every lookup would miss:
  // then the signatures wait until a segment needs one (stage 4).
  int32_t idx[kBurst];
  uint32_t tw[kBurst];
  uint32_t sigs[kBurst];
  if (!tables_empty && n_tcp != 0) {
    const tcp::FourTuple* key_ptrs[kBurst];
    for (uint16_t j = 0; j < n_tcp; j++) key_ptrs[j] = &sc.keys[j];
    signatures(sc.keys, n_tcp, sigs);
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
  }

  // Stage 3: what goes to the listener with no state. The plain SYNs a
  // cookie answers join those of stage 1; `acks` lists the segments whose
  // cookie MAC is computed now for the general path; `done` marks the slots
  // stage 3 finished.
  // A plain SYN with an earlier segment of its 4-tuple among those
  // (`gen`) stays in stage 4, after it.
  uint16_t acks[kBurst];
  uint16_t n_acks = 0;
  uint16_t gen[kBurst];
  uint16_t n_gen = 0;
  uint64_t done = 0;
  rte_mbuf* deferred[kBurst];
  uint8_t deferred_pos[kBurst];
  uint16_t n_deferred = 0;
  const uint16_t first_pass = syns.n;
  for (uint16_t j = 0; j < n_tcp; j++) {
    const bool is_reduced = reduced >> j & 1;
    const tcp::FourTuple& key = sc.keys[j];
    if ((!tables_empty && (idx[j] >= 0 || tw[j] != flow::TimeWaitStore::kNone)) ||
        !listening(key.local_port)) {
      if (is_reduced) unreduce(j);
      continue;
    }
    const tcp::Segment& seg = slots[j].seg;
    if ((is_reduced || (cookies && plain_syn(seg))) &&
        (n_gen == 0 || !earlier_in_burst(sc.keys, gen, n_gen, slot_pos,
                                         tcp::SynCookieCodec::word0_of(key), slot_pos[j]))) {
      done |= uint64_t{1} << j;
      take_syn(syns, tcp_pkts[j], key, is_reduced ? slots[j].syn : reduce_syn(seg.seq, seg.opts));
      continue;
    }
    if (is_reduced) unreduce(j);
    if (cookie_ack_plausible(seg)) acks[n_acks++] = j;
    gen[n_gen++] = j;
  }
  if (first_pass != 0 && (n_gen != 0 || limiter_on_)) {
    n_deferred =
        admit_first_pass(syns, first_pass, sc.keys, gen, n_gen, slot_pos, deferred, deferred_pos);
  } else {
    syns.received += first_pass;
  }
  if (syns.n != 0) answer_syns(syns);
  if (syns.received != 0) c.syn_received.add(syns.received);
  uint64_t hash[kBurst];
  // The MACs cookie ACKs would carry under the current secret, in one batch.
  uint64_t ack_hash[kBurst];
  uint64_t have_hash = 0;  // bit j: ack_hash[j] holds slot j's cookie hash
  if (n_acks != 0) {
    uint16_t n_w = 0;
    for (uint16_t k = 0; k < n_acks; k++) {
      const uint16_t j = acks[k];
      tcp::SynCookieCodec::Words w;
      if (!tcp::SynCookieCodec::validate_words(sc.keys[j], slots[j].seg, now_s, &w)) continue;
      sc.w0[n_w] = w.w0;
      sc.w1[n_w] = w.w1;
      acks[n_w++] = j;
    }
    sip_->hash24(codec_.current_key(), sc.w0, sc.w1, hash, n_w);
    for (uint16_t k = 0; k < n_w; k++) {
      ack_hash[acks[k]] = hash[k];
      have_hash |= uint64_t{1} << acks[k];
    }
  }

  // Stage 4, in arrival order. A segment may add or free a flow (or a
  // TIME-WAIT entry); a later one whose lookups could have changed redoes them.
  uint64_t rest = (n_tcp == 64 ? ~uint64_t{0} : (uint64_t{1} << n_tcp) - 1) & ~done;
  if (tables_empty && rest != 0) signatures(sc.keys, n_tcp, sigs);
  const uint32_t changes_before = table_changes_;
  uint16_t next_deferred = 0;
  for (; rest != 0; rest &= rest - 1) {
    const auto j = static_cast<uint16_t>(__builtin_ctzll(rest));
    while (next_deferred < n_deferred && deferred_pos[next_deferred] < slot_pos[j])
      handle_deferred_syn(deferred[next_deferred++]);
    const tcp::FourTuple& key = sc.keys[j];
    int32_t slot = tables_empty ? -1 : idx[j];
    uint32_t h = tables_empty ? flow::TimeWaitStore::kNone : tw[j];
    if (table_changes_ != changes_before) {
      slot = flows_->lookup(key, sigs[j]);
      h = time_wait_->size() != 0 ? time_wait_->find(key, sigs[j]) : flow::TimeWaitStore::kNone;
    }
    handle_tcp(tcp_pkts[j], slots[j].f, slots[j].seg, key, sigs[j], slot, h,
               (have_hash >> j & 1) ? &ack_hash[j] : nullptr);
  }
  while (next_deferred < n_deferred) handle_deferred_syn(deferred[next_deferred++]);
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
