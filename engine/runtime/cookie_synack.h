// The cookie SYN-ACK, written over the SYN it answers from the template of
// its shape: the one writer of the burst's fast path and of a SYN the general
// path answers with a cookie.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "runtime/rx_classifier.h"
#include "tcp/syn_cookie.h"
#include "tcp/synack_template.h"
#include "wire/headers.h"

namespace synack::runtime {

// `tuple` is the SYN's 4-tuple as SynCookieCodec::word0_of() gives it (the
// peer's address and port, our port); `templates` are indexed by
// tcp::cookie_shape(); `ol_flags` and `tx_offload` are the port's TX
// checksum request (0 without offload). Inline: once per SYN, in the burst's
// loop.
// `kOffload` must be the templates' csum_offload() (write_cookie_synack()
// tests it once; a loop over a burst, once for the burst).
template <bool kOffload>
[[gnu::always_inline]] inline void write_cookie_synack_as(rte_mbuf* m,
                                                          const tcp::SynAckTemplate* templates,
                                                          uint64_t tuple, const PlainSyn& syn,
                                                          const tcp::SynCookieCodec::Cookie& c,
                                                          uint64_t ol_flags, uint64_t tx_offload) {
  const tcp::SynAckTemplate& t = templates[syn.shape];
  // The peer's MAC is the SYN's source, read before the headroom moves.
  const uint8_t* peer_mac = rte_pktmbuf_mtod(m, const uint8_t*) + wire::eth::kSrc;
  rte_pktmbuf_reset_headroom(m);
  const uint16_t len = t.write_as<kOffload>(
      rte_pktmbuf_mtod(m, uint8_t*),
      {peer_mac, static_cast<uint32_t>(tuple >> 32), static_cast<uint32_t>(tuple), c.isn.raw(),
       syn.isn + 1, c.ts_val, syn.ts_val});
  m->data_len = len;
  m->pkt_len = len;
  m->ol_flags = ol_flags;
  m->tx_offload = tx_offload;
}

[[gnu::always_inline]] inline void write_cookie_synack(rte_mbuf* m,
                                                       const tcp::SynAckTemplate* templates,
                                                       uint64_t tuple, const PlainSyn& syn,
                                                       const tcp::SynCookieCodec::Cookie& c,
                                                       uint64_t ol_flags, uint64_t tx_offload) {
  if (templates[syn.shape].csum_offload())
    write_cookie_synack_as<true>(m, templates, tuple, syn, c, ol_flags, tx_offload);
  else
    write_cookie_synack_as<false>(m, templates, tuple, syn, c, ol_flags, tx_offload);
}

}  // namespace synack::runtime
