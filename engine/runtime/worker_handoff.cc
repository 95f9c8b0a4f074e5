// Client mode with several worker lcores: each lcore owns the source pairs
// whose replies the RSS hash (our key, the port's redirection table) places
// on its queue, and only it holds their flows. A driver that places flows
// itself (net_tap: the kernel's tun queue selection, whatever key we set;
// memif, af_packet, ring: no RSS at all) delivers a reply to any queue, where
// the lcore has no flow for it and would answer with a RST. So before a burst
// is processed, every segment from the target whose owner is another lcore
// goes to that lcore's hand-over ring, which the owner drains like a second
// RX queue. Ownership is SourcePortAllocator::reply_queue, the computation the
// pairs were given out by, so it holds whatever the driver does; on a NIC
// that honours the key nothing is ever handed over.
//
// ARP replies are shared: every lcore resolves the next hop for itself, and
// the reply to any of their requests may come in on any queue; each lcore
// gets a reference to it (read-only: a reply is learned from and freed).
//
// Counting: a frame handed over is counted (rx_packets, then answered,
// consumed or dropped) by the lcore that processes it; the lcore it came in
// on counts only handed_over, or, when the owner's ring is full, rx_packets
// and the drop (handoff_full). A shared ARP reply is received once per lcore.
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "runtime/worker.h"
#include "wire/byteorder.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

constexpr int32_t kKeep = -1;
constexpr int32_t kShare = -2;  // an ARP reply: every lcore learns from it

}  // namespace

std::unique_ptr<HandoffRings> HandoffRings::create(const std::vector<unsigned>& lcores,
                                                   std::string* err) {
  std::unique_ptr<HandoffRings> h(new HandoffRings());
  for (size_t q = 0; q < lcores.size(); q++) {
    const unsigned s = rte_lcore_to_socket_id(lcores[q]);
    const int socket =
        s == static_cast<unsigned>(SOCKET_ID_ANY) ? SOCKET_ID_ANY : static_cast<int>(s);
    rte_ring* r = rte_ring_create(("synack_handoff_" + std::to_string(q)).c_str(), kSize, socket,
                                  RING_F_SC_DEQ);
    if (r == nullptr) {
      *err = "client mode: cannot create the hand-over ring of lcore " + std::to_string(lcores[q]) +
             ": " + rte_strerror(rte_errno) + " (give EAL more memory, -m)";
      return nullptr;
    }
    h->rings_.push_back(r);
  }
  return h;
}

HandoffRings::~HandoffRings() {
  for (rte_ring* r : rings_) {
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
}

uint16_t Worker::hand_over(rte_mbuf** pkts, uint16_t n) {
  const ClientConfig& c = cfg_.client;
  int32_t owner[kBurst];
  uint16_t away = 0;
  for (uint16_t i = 0; i < n; i++) {
    owner[i] = kKeep;
    const rte_mbuf* m = pkts[i];
    const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint16_t len = m->data_len;
    if (len < wire::kEthHdrLen + wire::kArpLen) continue;  // nothing shorter is handed over
    const uint16_t type = wire::load_be16(d + wire::eth::kType);
    if (type == wire::kEtherTypeArp) {
      if (wire::load_be16(d + wire::kEthHdrLen + wire::arp::kOper) == wire::arp::kOpReply) {
        owner[i] = kShare;
        away++;
      }
      continue;
    }
    if (type != wire::kEtherTypeIpv4) continue;
    const uint8_t* ip = d + wire::kEthHdrLen;
    const uint16_t ihl = (ip[wire::ip::kVerIhl] & 0xf) * 4;
    if ((ip[wire::ip::kVerIhl] >> 4) != 4 || ihl < wire::kIpv4MinHdrLen ||
        wire::kEthHdrLen + ihl + 4 > len || ip[wire::ip::kProto] != wire::kProtoTcp ||
        (wire::load_be16(ip + wire::ip::kFragOff) & (wire::ip::kFlagMf | wire::ip::kOffsetMask)))
      continue;
    const uint8_t* tcp = ip + ihl;
    // Only the target's segments belong to a flow of ours; anything else is
    // answered (or dropped) where it came in.
    if (wire::load_be32(ip + wire::ip::kSrc) != c.target_ip ||
        wire::load_be16(tcp + wire::tcp::kSport) != c.target_port)
      continue;
    const int32_t q = ports_->reply_queue(wire::load_be32(ip + wire::ip::kDst),
                                          wire::load_be16(tcp + wire::tcp::kDport));
    if (q < 0 || q == p_.queue_id || q >= p_.workers) continue;
    owner[i] = q;
    away++;
  }
  if (away == 0) return n;

  // Each owner's frames in one enqueue, in arrival order.
  rte_mbuf* batch[kBurst];
  uint16_t kept = 0;
  uint64_t sent = 0;  // bit i: frame i went to its owner's batch
  static_assert(kBurst <= 64);
  for (uint16_t i = 0; i < n; i++) {
    if (owner[i] < 0 || (sent >> i & 1)) continue;
    const int32_t q = owner[i];
    uint16_t nb = 0;
    for (uint16_t j = i; j < n; j++) {
      if (owner[j] != q) continue;
      batch[nb++] = pkts[j];
      sent |= uint64_t{1} << j;
    }
    const unsigned in =
        rte_ring_enqueue_burst(handoff_[q], reinterpret_cast<void**>(batch), nb, nullptr);
    counters_->handed_over.add(in);
    if (in < nb) {
      counters_->rx_packets.add(nb - in);
      for (unsigned k = in; k < nb; k++) drop(batch[k], DropReason::handoff_full);
    }
  }
  for (uint16_t i = 0; i < n; i++) {
    if (owner[i] == kShare) {
      // This lcore keeps the reply; every other one gets a reference.
      rte_mbuf* m = pkts[i];
      for (uint16_t q = 0; q < p_.workers; q++) {
        if (q == p_.queue_id) continue;
        rte_mbuf_refcnt_update(m, 1);
        if (rte_ring_enqueue(handoff_[q], m) == 0) {
          counters_->handed_over.add();
        } else {
          counters_->rx_packets.add();
          drop(m, DropReason::handoff_full);  // the reference, not the frame
        }
      }
    }
    if (owner[i] < 0) pkts[kept++] = pkts[i];
  }
  return kept;
}

void Worker::take_handed_over(uint64_t now_tsc) {
  rte_mbuf* pkts[kBurst];
  const unsigned n =
      rte_ring_sc_dequeue_burst(handoff_in_, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  if (n) process_burst(pkts, static_cast<uint16_t>(n), now_tsc);
}

}  // namespace synack::runtime
