// ARP (RFC 826, RFC 5227 probes) and ICMP echo (RFC 792), answered in place.
#include "runtime/worker.h"
#include "wire/craft.h"

namespace synack::runtime {

void Worker::handle_arp(rte_mbuf* m, const wire::Frame& f) {
  if (client_flows_) client_learn(f, true);
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  // For whichever of our addresses was asked (a client owns --src_ips).
  const uint16_t len = wire::arp_reply_in_place(data, p_.mac, f.dst_ip);
  m->data_len = len;
  m->pkt_len = len;
  m->ol_flags = 0;
  answered(m, ReplyKind::arp);
}

void Worker::handle_icmp(rte_mbuf* m, const wire::Frame& f) {
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  const uint16_t len = wire::icmp_echo_reply_in_place(data, f, p_.mac);
  m->data_len = len;
  m->pkt_len = len;
  m->ol_flags = 0;
  answered(m, ReplyKind::icmp_echo);
}

}  // namespace synack::runtime
