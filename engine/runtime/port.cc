#include "runtime/port.h"

#include <cstdio>

namespace synack::runtime {

namespace {
// Toeplitz key that hashes (src, dst) and (dst, src) alike (0x6d5a repeated),
// so both directions of a flow meet on one queue; DPDK's own "symmetric RSS"
// recipe.
uint8_t kSymmetricRssKey[40] = {0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};
}  // namespace

bool start_port(uint16_t port_id, uint16_t queues, const RuntimeConfig& cfg, rte_mempool* pool,
                PortInfo* info, std::string* err) {
  rte_eth_dev_info dev{};
  if (rte_eth_dev_info_get(port_id, &dev) != 0) {
    *err = "port " + std::to_string(port_id) + ": cannot read device info";
    return false;
  }
  info->driver = dev.driver_name ? dev.driver_name : "?";
  if (dev.max_rx_queues < queues || dev.max_tx_queues < queues) {
    *err = "port " + std::to_string(port_id) + " (" + info->driver + ") has " +
           std::to_string(dev.max_rx_queues) + " RX queues, " + std::to_string(queues) +
           " worker lcores need one each: give EAL fewer lcores";
    return false;
  }
  rte_eth_conf conf{};
  uint64_t rss_hf = dev.flow_type_rss_offloads &
                    (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4);
  if (queues > 1 && rss_hf) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
    if (dev.hash_key_size == sizeof kSymmetricRssKey) {
      conf.rx_adv_conf.rss_conf.rss_key = kSymmetricRssKey;
      conf.rx_adv_conf.rss_conf.rss_key_len = sizeof kSymmetricRssKey;
    }
    info->rss = true;
  }
  const uint64_t want_tx = RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  if (cfg.tx_csum_offload && (dev.tx_offload_capa & want_tx) == want_tx) {
    conf.txmode.offloads |= want_tx;
    info->tx_tcp_csum = true;
  }
  const uint64_t want_rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  if ((dev.rx_offload_capa & want_rx) == want_rx) {
    conf.rxmode.offloads |= want_rx;
    info->rx_csum = true;
  }
  int rc = rte_eth_dev_configure(port_id, queues, queues, &conf);
  if (rc != 0 && info->rss) {
    // Some PMDs advertise RSS flow types and still refuse the configuration.
    std::printf("synack: port %u (%s): RSS configuration refused (%s); retrying without RSS\n",
                port_id, info->driver.c_str(), rte_strerror(-rc));
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    conf.rx_adv_conf.rss_conf = {};
    info->rss = false;
    rc = rte_eth_dev_configure(port_id, queues, queues, &conf);
  }
  if (rc != 0) {
    *err = "port " + std::to_string(port_id) + ": configure failed: " + rte_strerror(-rc);
    return false;
  }
  uint16_t rxd = cfg.rx_desc, txd = cfg.tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd);
  int socket = rte_eth_dev_socket_id(port_id);
  if (socket < 0) socket = 0;
  for (uint16_t q = 0; q < queues; q++) {
    rte_eth_rxconf rxc = dev.default_rxconf;
    rxc.offloads = conf.rxmode.offloads;
    rc = rte_eth_rx_queue_setup(port_id, q, rxd, static_cast<unsigned>(socket), &rxc, pool);
    if (rc != 0) {
      *err = "port " + std::to_string(port_id) + ": RX queue " + std::to_string(q) +
             " setup failed: " + rte_strerror(-rc) + " (--rx_desc, --num_mbufs)";
      return false;
    }
    rte_eth_txconf txc = dev.default_txconf;
    txc.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(port_id, q, txd, static_cast<unsigned>(socket), &txc);
    if (rc != 0) {
      *err = "port " + std::to_string(port_id) + ": TX queue " + std::to_string(q) +
             " setup failed: " + rte_strerror(-rc) + " (--tx_desc)";
      return false;
    }
  }
  rc = rte_eth_dev_start(port_id);
  if (rc != 0) {
    *err = "port " + std::to_string(port_id) + ": start failed: " + rte_strerror(-rc);
    return false;
  }
  rte_ether_addr mac;
  rte_eth_macaddr_get(port_id, &mac);
  std::copy(mac.addr_bytes, mac.addr_bytes + 6, info->mac.b);
  info->queues = queues;
  if (queues > 1 && !info->rss)
    std::printf(
        "synack: port %u (%s) has no usable RSS: %u queues get whatever the driver spreads to "
        "them (flows stay on one queue as long as the driver hashes them consistently)\n",
        port_id, info->driver.c_str(), queues);
  return true;
}

void stop_port(uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
}

}  // namespace synack::runtime
