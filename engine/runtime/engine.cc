#include "runtime/engine.h"

#include <rte_cpuflags.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_vect.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "runtime/control.h"
#include "runtime/port.h"
#include "runtime/signals.h"
#include "runtime/stats.h"
#include "runtime/telemetry.h"
#include "runtime/worker.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

// How long a client waits at start-up for the port's link.
constexpr uint32_t kLinkWaitMs = 10000;

// Start-up failures: one line saying what is wrong.
int fail(const std::string& msg) {
  std::fprintf(stderr, "synack: error: %s\n", msg.c_str());
  return 1;
}

bool random_bytes(void* p, size_t n) {
  uint8_t* b = static_cast<uint8_t*>(p);
  while (n) {
    ssize_t r = getrandom(b, n, 0);
    if (r <= 0) return false;
    b += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int worker_main(void* arg) {
  return static_cast<Worker*>(arg)->run();
}

std::string mac_string(const wire::MacAddr& m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.b[0], m.b[1], m.b[2], m.b[3],
                m.b[4], m.b[5]);
  return buf;
}

std::string ip_string(uint32_t ip) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
                ip & 0xff);
  return buf;
}

// Every lcore's connect and response latencies merged into `l` (client mode).
void merge_latencies(const std::vector<WorkerPtr>& workers, ClientLatency* l) {
  l->connect.reset();
  l->response.reset();
  for (const auto& w : workers) {
    if (w->connect_latency()) l->connect.merge(*w->connect_latency());
    if (w->response_latency()) l->response.merge(*w->response_latency());
  }
}

// What is known of where the port puts each flow, for the banner.
std::string placement(const PortInfo& port, uint16_t queues, bool by_our_key, bool handoff) {
  std::string s;
  if (queues == 1) {
    s = "RSS off";
  } else if (by_our_key) {
    s = port.rss_ip_only ? "RSS with our key (addresses only)" : "RSS with our key";
  } else if (port.rss) {
    s = port.rss_key_len == 0 ? "RSS with the driver's own key, the driver places flows"
                              : "RSS asked for, no redirection table to read: the driver "
                                "places flows";
  } else {
    s = "no RSS, the driver places flows";
  }
  if (handoff) {
    s += by_our_key ? "; client segments on another lcore's queue handed over to it"
                    : "; client source pairs split by a key of our own, segments handed "
                      "over in software to the lcore that owns them";
  }
  return s;
}

CounterTotals sum(const std::vector<WorkerPtr>& workers, uint16_t port_id) {
  CounterTotals t;
  for (const auto& w : workers) t.accumulate(w->counters());
  t.port = port_counters(port_id);
  return t;
}

}  // namespace

int run_engine(const RuntimeConfig& cfg) {
  if (rte_eth_dev_count_avail() == 0)
    return fail(
        "no port found: pass a virtual device (--vdev=net_tap0,iface=NAME) or bind a NIC to "
        "DPDK (scripts/bind-nic.sh)");
  if (!rte_eth_dev_is_valid_port(cfg.port_id))
    return fail("--port_id=" + std::to_string(cfg.port_id) + ": no such port");
  std::vector<unsigned> lcores;
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
  if (lcores.empty())
    return fail(
        "no worker lcore: give EAL at least two lcores (-l 0-1), the first is the "
        "control plane");
  const uint16_t queues = static_cast<uint16_t>(lcores.size());

  // Every queue's descriptors, in-flight bursts, each worker's TX array and
  // one flight of extra segments, and the per-lcore mempool caches must fit,
  // or RX stalls under load. Workers also stop allocating extra segments when
  // the pool runs low (worker_tx.cc), so RX refill is never starved.
  uint64_t needed =
      uint64_t{queues} * (cfg.rx_desc + cfg.tx_desc + 6 * kBurst + tcp::Output::kMaxTx) +
      uint64_t{cfg.mbuf_cache} * (queues + 1) + 64;
  if (cfg.num_mbufs < needed)
    return fail("--num_mbufs=" + std::to_string(cfg.num_mbufs) + ": too small for " +
                std::to_string(queues) + " queue(s) of " + std::to_string(cfg.rx_desc) + "+" +
                std::to_string(cfg.tx_desc) + " descriptors (needs at least " +
                std::to_string(needed) + ")");
  int socket = rte_eth_dev_socket_id(cfg.port_id);
  if (socket < 0) socket = static_cast<int>(rte_socket_id());
  rte_mempool* pool = rte_pktmbuf_pool_create("synack_mbufs", cfg.num_mbufs, cfg.mbuf_cache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (!pool)
    return fail("--num_mbufs=" + std::to_string(cfg.num_mbufs) +
                ": cannot allocate the mbuf pool (" + rte_strerror(rte_errno) +
                "): give EAL more memory (-m) or lower --num_mbufs");

  // The largest frame (an MSS-sized segment with timestamps, headers) must
  // fit one mbuf: we send no chains.
  const uint32_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM;
  if (uint32_t{cfg.endpoint.mss} + 40 + wire::kEthHdrLen > data_room) {
    rte_mempool_free(pool);
    return fail("--mss=" + std::to_string(cfg.endpoint.mss) + ": a segment would not fit the " +
                std::to_string(data_room) + "-byte mbuf data room (at most " +
                std::to_string(data_room - 40 - wire::kEthHdrLen) + ")");
  }

  uint8_t rss_key[64];
  if (!random_bytes(rss_key, sizeof rss_key)) {
    rte_mempool_free(pool);
    return fail("getrandom() failed: no RSS key");
  }
  PortInfo port;
  std::string err;
  if (!start_port(cfg.port_id, queues, cfg, pool, rss_key, &port, &err)) {
    rte_eth_dev_close(cfg.port_id);
    rte_mempool_free(pool);
    return fail(err);
  }

  tcp::CookieSecret secret;
  WorkerParams params;
  if (!random_bytes(&secret, sizeof secret) ||
      !random_bytes(&params.isn_key, sizeof params.isn_key) ||
      !random_bytes(&params.flow_key, sizeof params.flow_key) ||
      !random_bytes(&params.limiter_key, sizeof params.limiter_key)) {
    stop_port(cfg.port_id);
    rte_mempool_free(pool);
    return fail("getrandom() failed: no secret for SYN cookies and ISNs");
  }
  ControlBlock control(cfg.syncookies, secret);
  params.port_id = cfg.port_id;
  params.pool = pool;
  params.mac = port.mac;
  params.tx_tcp_csum_offload = port.tx_tcp_csum;
  params.rx_csum_offload = port.rx_csum;
  params.tsc_hz = rte_get_tsc_hz();
  params.tsc_epoch = rte_rdtsc();
  params.workers = queues;
  const bool by_our_key = port.rss && port.rss_key_len != 0 && !port.reta.empty();
  if (by_our_key) {
    params.rss_key = port.rss_key;
    params.rss_key_len = port.rss_key_len;
    params.reta = port.reta.data();
    params.reta_size = static_cast<uint32_t>(port.reta.size());
    params.rss_l4 = port.rss_l4;
  }
  // A client on several lcores: each lcore owns the source pairs the RSS hash
  // gives its queue, and a segment that lands elsewhere is handed over to its
  // owner (worker_handoff.cc). When the port tells no key and table, the
  // pairs are shared out by a key and a table of our own all the same.
  std::vector<uint16_t> own_reta;
  std::unique_ptr<HandoffRings> handoff;
  if (cfg.client_mode && queues > 1) {
    if (!by_our_key) {
      own_reta.resize(RTE_ETH_RSS_RETA_SIZE_128);
      for (size_t i = 0; i < own_reta.size(); i++) own_reta[i] = static_cast<uint16_t>(i % queues);
      params.rss_key = rss_key;
      params.rss_key_len = 40;
      params.reta = own_reta.data();
      params.reta_size = static_cast<uint32_t>(own_reta.size());
      params.rss_l4 = true;
    }
    handoff = HandoffRings::create(lcores, &err);
    if (!handoff) {
      stop_port(cfg.port_id);
      rte_mempool_free(pool);
      return fail(err);
    }
    params.handoff = handoff->rings();
  }
  // The SipHash batch variant, as DPDK's PMDs pick their vector paths: from
  // the CPU's flags and the EAL's SIMD width (--force-max-simd-bitwidth).
  params.sip_lanes = tcp::choose_sip_lanes(rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0,
                                           rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 &&
                                               rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) > 0,
                                           rte_vect_get_max_simd_bitwidth());

  std::vector<WorkerPtr> workers;
  for (uint16_t q = 0; q < queues; q++) {
    params.lcore_id = lcores[q];
    params.queue_id = q;
    auto w = Worker::create(cfg, control, params, &err);
    if (!w) {
      workers.clear();
      handoff.reset();
      stop_port(cfg.port_id);
      rte_mempool_free(pool);
      return fail(err);
    }
    workers.push_back(std::move(w));
  }

  std::printf("synack: %s on port %u (%s, mac %s), %u worker lcore(s),", ip_string(cfg.ip).c_str(),
              cfg.port_id, port.driver.c_str(), mac_string(port.mac).c_str(), queues);
  if (cfg.client_mode) {
    std::printf(" client of %s:%u", ip_string(cfg.client.target_ip).c_str(),
                cfg.client.target_port);
  } else {
    std::printf(" listening on");
    for (uint16_t p : cfg.ports) std::printf(" %u", p);
  }
  std::printf(
      ", %s, TX TCP checksum %s, SipHash %s, syncookies=%s, backlog %u, max_flows %u, "
      "max_time_wait %u per lcore\n",
      placement(port, queues, by_our_key, handoff != nullptr).c_str(),
      port.tx_tcp_csum ? "offloaded" : "in software", tcp::sip_batch(params.sip_lanes).name,
      cookie_mode_name(cfg.syncookies), cfg.backlog, cfg.max_flows, cfg.max_time_wait);
  std::fflush(stdout);

  // A client's first frame is an ARP request: a link still coming up (memif
  // before its peer connects) would lose it and the ARP retry would wait.
  if (cfg.client_mode && !wait_link_up(cfg.port_id, kLinkWaitMs)) {
    std::printf(
        "synack: port %u (%s): link still down after %u ms; starting anyway (the next "
        "hop may not resolve)\n",
        cfg.port_id, port.driver.c_str(), kLinkWaitMs);
    std::fflush(stdout);
  }

  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t start = rte_rdtsc();
  auto rotate = [&control, hz, start]() {
    tcp::CookieSecret s;
    return random_bytes(&s, sizeof s) && control.publish_secret(s, (rte_rdtsc() - start) / hz);
  };
  TelemetryHooks hooks;
  hooks.control = &control;
  hooks.totals = [&workers, &cfg]() { return sum(workers, cfg.port_id); };
  hooks.rotate_secret = rotate;
  telemetry_attach(hooks);

  install_stop_signals();
  for (uint16_t q = 0; q < queues; q++)
    rte_eal_remote_launch(worker_main, workers[q].get(), lcores[q]);

  // Control loop: 50 ms naps; stats, duration, secret rotation, signals.
  uint64_t last_stats = start, last_rotate = start;
  CounterTotals prev;
  ClientLatency line_latency;
  const uint32_t next_hop =
      cfg.client.gateway_ip != 0 ? cfg.client.gateway_ip : cfg.client.target_ip;
  bool said_no_arp = false;
  // Once per next hop: the workers only count (no syscalls on their path);
  // their FAILED gauge or a no_arp failure is noticed here.
  auto notice_no_arp = [&](const CounterTotals& t) {
    if (said_no_arp ||
        (t.lcores_no_arp == 0 && t.failed[static_cast<int>(ClientFailure::no_arp)] == 0))
      return;
    said_no_arp = true;
    std::printf(
        "synack: %s\n",
        format_no_arp_notice(next_hop, cfg.client.target_ip, cfg.client.target_port).c_str());
    std::fflush(stdout);
  };
  while (!stop_signal_received()) {
    usleep(50 * 1000);
    uint64_t now = rte_rdtsc();
    if (cfg.duration_s && now - start >= cfg.duration_s * hz) break;
    if (cfg.client_mode) {
      const CounterTotals t = sum(workers, cfg.port_id);
      notice_no_arp(t);
      // A client run ends when every lcore has run its share of --connections.
      if (cfg.client.connections != 0 && t.lcores_done == queues) break;
    }
    if (cfg.stats_interval_s && now - last_stats >= cfg.stats_interval_s * hz) {
      CounterTotals cur = sum(workers, cfg.port_id);
      const double dt = double(now - last_stats) / double(hz);
      if (cfg.client_mode) {
        merge_latencies(workers, &line_latency);
        std::printf("client: %s\n",
                    format_client_line(cur, prev, dt, line_latency, next_hop).c_str());
      } else {
        std::printf("synack: %s\n",
                    format_stats_line(cur, prev, dt, control.cookie_mode()).c_str());
      }
      std::fflush(stdout);
      prev = cur;
      last_stats = now;
    }
    if (cfg.cookie_rotate_s && now - last_rotate >= cfg.cookie_rotate_s * hz) {
      rotate();
      last_rotate = now;
    }
  }
  if (int sig = stop_signal_received()) std::printf("synack: signal %d, stopping\n", sig);

  control.request_stop();
  rte_eal_mp_wait_lcore();
  telemetry_detach();

  ExitReport report;
  report.totals = sum(workers, cfg.port_id);
  if (cfg.client_mode) notice_no_arp(report.totals);
  for (const auto& w : workers) {
    report.flow_table_bytes += w->flow_table_bytes();
    report.time_wait_bytes += w->time_wait_bytes();
  }
  report.flow_capacity = uint64_t{cfg.max_flows} * queues;
  if (cfg.client_mode) {
    report.client = true;
    merge_latencies(workers, &report.latency);
  }
  report.time_wait_capacity = uint64_t{cfg.max_time_wait} * queues;
  report.workers = queues;
  report.mode = control.cookie_mode();
  report.uptime_s = double(rte_rdtsc() - start) / double(hz);
  report.totals.port = port_counters(cfg.port_id);
  workers.clear();  // flow tables, timers, TIME-WAIT stores; queued frames sent or freed
  handoff.reset();  // frames still in hand-over rings back to the pool
  stop_port(cfg.port_id);
  report.mbufs_total = pool->size;
  report.mbufs_in_use = rte_mempool_in_use_count(pool);
  std::printf("synack: stopped: %lu connections established, %lu drops, mbufs in use %lu\n",
              static_cast<unsigned long>(report.totals.connections_established),
              static_cast<unsigned long>(report.totals.total_drops()),
              static_cast<unsigned long>(report.mbufs_in_use));
  int rc = 0;
  if (!cfg.stats_json.empty() && !write_file(cfg.stats_json, to_json(report), &err)) {
    std::fprintf(stderr, "synack: error: --stats_json=%s\n", err.c_str());
    rc = 1;
  }
  rte_mempool_free(pool);
  return rc;
}

}  // namespace synack::runtime
