// Port bring-up: one RX and one TX queue per worker lcore, RSS when the PMD has
// it, checksum offloads when it has them.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/counters.h"
#include "wire/byteorder.h"

namespace synack::runtime {

struct PortInfo {
  std::string driver;
  wire::MacAddr mac;
  uint16_t queues = 0;
  uint16_t mtu = 1500;
  bool rss = false;
  bool rss_ip_only = false;  // hashes on the addresses only (per-source limits)
  uint8_t rss_key[64] = {};  // the Toeplitz key set on the port (random)
  uint8_t rss_key_len = 0;
  bool rss_l4 = false;         // hashes IPv4 TCP on the ports too
  std::vector<uint16_t> reta;  // RSS redirection table: entry -> queue
  bool tx_tcp_csum = false;
  bool rx_csum = false;
};

// Configures and starts `port_id` with `queues` queue pairs from `pool`.
// `rss_key` is random (hash_key_size bytes are used, whatever the PMD's size).
// Returns false with a one-line *err naming what is wrong.
bool start_port(uint16_t port_id, uint16_t queues, const RuntimeConfig& cfg, rte_mempool* pool,
                const uint8_t (&rss_key)[64], PortInfo* info, std::string* err);
// Waits up to timeout_ms for the link to come up; false if it did not.
bool wait_link_up(uint16_t port_id, uint32_t timeout_ms);
// The PMD's own counters (imissed, ierrors, rx_nombuf, oerrors).
PortCounters port_counters(uint16_t port_id);
void stop_port(uint16_t port_id);

}  // namespace synack::runtime
