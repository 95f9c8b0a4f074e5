#include "runtime/port.h"

#include <rte_cycles.h>

#include <algorithm>
#include <cstdio>

namespace synack::runtime {

PortCounters port_counters(uint16_t port_id) {
  PortCounters c;
  rte_eth_stats st{};
  if (rte_eth_stats_get(port_id, &st) == 0) {
    c.imissed = st.imissed;
    c.ierrors = st.ierrors;
    c.rx_nombuf = st.rx_nombuf;
    c.oerrors = st.oerrors;
  }
  return c;
}

bool start_port(uint16_t port_id, uint16_t queues, const RuntimeConfig& cfg, rte_mempool* pool,
                const uint8_t (&rss_key)[64], PortInfo* info, std::string* err) {
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
  // A per-source SYN limit holds per source only if each source's SYNs meet
  // on one lcore: then hash on the addresses alone (the destination is always
  // ours), not on the ports.
  const bool ip_only = cfg.limiter.rate_per_source > 0;
  const uint64_t want_hf =
      ip_only ? (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER)
              : (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4);
  const uint64_t rss_hf = dev.flow_type_rss_offloads & want_hf;
  if (queues > 1 && rss_hf) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
    // A random Toeplitz key of the PMD's own length (40 bytes on ixgbe and
    // mlx5, 52 on i40e and ice): nobody outside can aim a flood at one queue.
    if (dev.hash_key_size == 0 || dev.hash_key_size > sizeof rss_key) {
      std::printf(
          "synack: port %u (%s): RSS key size %u is not settable: the driver's default "
          "key stays in use\n",
          port_id, info->driver.c_str(), dev.hash_key_size);
    } else {
      std::copy(rss_key, rss_key + dev.hash_key_size, info->rss_key);
      info->rss_key_len = dev.hash_key_size;
      conf.rx_adv_conf.rss_conf.rss_key = info->rss_key;
      conf.rx_adv_conf.rss_conf.rss_key_len = dev.hash_key_size;
    }
    info->rss = true;
    info->rss_ip_only = ip_only && (rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0;
    info->rss_l4 = (rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0;
    if (ip_only && !(dev.flow_type_rss_offloads & RTE_ETH_RSS_IPV4))
      std::printf(
          "synack: port %u (%s) cannot hash on addresses only: a source's SYNs may meet "
          "several lcores, each limiting it to --syn_rate_per_source\n",
          port_id, info->driver.c_str());
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
    info->rss_key_len = 0;
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
  // The redirection table, for a client's source ports (flow/source_port_allocator.h).
  if (info->rss && dev.reta_size != 0) {
    std::vector<rte_eth_rss_reta_entry64> conf((dev.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                               RTE_ETH_RETA_GROUP_SIZE);
    for (auto& c : conf) c.mask = ~uint64_t{0};
    if (rte_eth_dev_rss_reta_query(port_id, conf.data(), dev.reta_size) == 0) {
      info->reta.resize(dev.reta_size);
      for (uint16_t i = 0; i < dev.reta_size; i++)
        info->reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
    }
  }
  uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(port_id, &mtu) == 0 && mtu != 0) info->mtu = mtu;
  if (uint32_t{cfg.endpoint.mss} + 40 > info->mtu) {
    *err = "--mss=" + std::to_string(cfg.endpoint.mss) + ": larger than port " +
           std::to_string(port_id) + "'s MTU " + std::to_string(info->mtu) +
           " allows (MTU - 40 = " + std::to_string(info->mtu - 40) + ")";
    rte_eth_dev_stop(port_id);
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

bool wait_link_up(uint16_t port_id, uint32_t timeout_ms) {
  constexpr uint32_t kStepMs = 10;
  for (uint32_t waited = 0;; waited += kStepMs) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
      return true;
    if (waited >= timeout_ms) return false;
    rte_delay_us_sleep(kStepMs * 1000);
  }
}

void stop_port(uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
}

}  // namespace synack::runtime
