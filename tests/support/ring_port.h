// A ring-backed ethdev (rte_eth_from_rings) standing in for a NIC, so a Worker
// can be driven frame by frame without hardware: tests and benchmarks push
// mbufs into Worker::process_burst and read the replies off the TX ring.
#pragma once

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>
#include <string>

#include "wire/byteorder.h"

namespace synack::testing {

struct RingPort {
  rte_mempool* pool = nullptr;
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  uint16_t port = 0;
  wire::MacAddr mac;

  // Creates pool, rings and a started port named `name`. False + *err on failure.
  bool open(const std::string& name, unsigned mbufs, std::string* err) {
    pool = rte_pktmbuf_pool_create((name + "_pool").c_str(), mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   0);
    rx = rte_ring_create((name + "_rx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx = rte_ring_create((name + "_tx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!pool || !rx || !tx) {
      *err = "pool/ring allocation failed";
      return false;
    }
    int p = rte_eth_from_rings(name.c_str(), &rx, 1, &tx, 1, 0);
    if (p < 0) {
      *err = "rte_eth_from_rings failed";
      return false;
    }
    port = static_cast<uint16_t>(p);
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(port, 0, 512, 0, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port, 0, 512, 0, nullptr) != 0 || rte_eth_dev_start(port) != 0) {
      *err = "ring port set-up failed";
      return false;
    }
    rte_ether_addr a;
    rte_eth_macaddr_get(port, &a);
    std::memcpy(mac.b, a.addr_bytes, 6);
    return true;
  }

  void close() {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    rte_ring_free(rx);
    rte_ring_free(tx);
    rte_mempool_free(pool);
  }

  // An mbuf holding a copy of `len` bytes, or nullptr when the pool is empty.
  rte_mbuf* frame(const uint8_t* data, uint16_t len) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m) return nullptr;
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), data, len);
    m->data_len = len;
    m->pkt_len = len;
    return m;
  }

  // Takes the next transmitted frame off the TX ring (nullptr when empty).
  rte_mbuf* sent() {
    void* m = nullptr;
    return rte_ring_dequeue(tx, &m) == 0 ? static_cast<rte_mbuf*>(m) : nullptr;
  }

  void drain() {
    while (rte_mbuf* m = sent()) rte_pktmbuf_free(m);
  }
};

}  // namespace synack::testing
