// Port bring-up: one RX and one TX queue per worker lcore, RSS when the PMD has
// it, checksum offloads when it has them.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "runtime/config.h"
#include "wire/byteorder.h"

namespace synack::runtime {

struct PortInfo {
  std::string driver;
  wire::MacAddr mac;
  uint16_t queues = 0;
  bool rss = false;
  bool tx_tcp_csum = false;
  bool rx_csum = false;
};

// Configures and starts `port_id` with `queues` queue pairs from `pool`.
// Returns false with a one-line *err naming what is wrong.
bool start_port(uint16_t port_id, uint16_t queues, const RuntimeConfig& cfg, rte_mempool* pool,
                PortInfo* info, std::string* err);
void stop_port(uint16_t port_id);

}  // namespace synack::runtime
