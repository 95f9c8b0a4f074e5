// A Worker driven frame by frame over a ring port (ring_port.h) on a synthetic
// clock, with its replies decoded by the independent decoder
// (frame_decoder.h), and a client that keeps one connection's sequence
// numbers and timestamps. For the Worker's unit tests.
//
// Time: test millisecond t is the Worker's millisecond ms_offset + 1 + t
// (worker.cc adds one so that 0 never means "never"); the Worker's TSval is
// that modulo 2^32.
#pragma once

#include <gtest/gtest.h>
#include <rte_cpuflags.h>
#include <rte_cycles.h>
// Before any header that includes rte_vect.h: DPDK 22.11 declares
// rte_vect_get_max_simd_bitwidth() outside extern "C" unless rte_ethdev.h
// brought it in.
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_vect.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "runtime/worker.h"
#include "support/frame_builder.h"
#include "support/frame_decoder.h"
#include "support/ring_port.h"

namespace synack::testing {

inline constexpr uint32_t kEngineIp = 0xC6120002;  // 198.18.0.2
inline constexpr uint32_t kPeerIp = 0xC6120001;    // 198.18.0.1
inline const Mac kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};

// A reply and the test millisecond it came out at.
struct Sent {
  Decoded d;
  uint64_t ms = 0;
};

class WorkerHarness {
 public:
  runtime::RuntimeConfig cfg;
  uint64_t ms_offset = 0;
  uint64_t now = 0;  // test milliseconds

  WorkerHarness() {
    cfg.ip = kEngineIp;
    cfg.ports = {80};
    cfg.max_flows = 256;
    cfg.max_time_wait = 1024;
    cfg.backlog = 16;
    // Linux's passive-close default (app/flags.cc): no Connection header.
    set_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  }
  ~WorkerHarness() { close(); }

  void set_response(const std::string& r) { cfg.response.assign(r.begin(), r.end()); }

  // Port and pool; call once, before start().
  bool open(std::string* err) {
    static int n = 0;
    opened_ = port_.open("wh" + std::to_string(n++), 8191, err);
    return opened_;
  }

  // A fresh Worker in `mode` at test millisecond 0.
  bool start(runtime::CookieMode mode, std::string* err) {
    worker_.reset();
    cfg.syncookies = mode;
    tcp::CookieSecret secret{{0x0123456789abcdefull, 0xfedcba9876543210ull}};
    ctl_ = std::make_unique<runtime::ControlBlock>(mode, secret);
    runtime::WorkerParams p;
    p.lcore_id = rte_lcore_id();
    p.port_id = port_.port;
    p.pool = port_.pool;
    p.mac = port_.mac;
    p.tsc_hz = rte_get_tsc_hz();
    p.tsc_epoch = kEpoch;
    p.ms_offset = ms_offset;
    p.isn_key = tcp::SipKey{5, 6};
    p.flow_key = tcp::SipKey{7, 8};
    p.limiter_key = tcp::SipKey{9, 10};
    // The SipHash batch the engine would pick (engine.cc), so that
    // --force-max-simd-bitwidth selects it for a test run. (An experimental
    // DPDK symbol; the engine's libraries allow those, tests do not.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    p.sip_lanes = tcp::choose_sip_lanes(rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0,
                                        rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 &&
                                            rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) > 0,
                                        rte_vect_get_max_simd_bitwidth());
#pragma GCC diagnostic pop
    now = 0;
    worker_ = runtime::Worker::create(cfg, *ctl_, p, err);
    if (!worker_) return false;
    mbufs_at_start_ = rte_mempool_in_use_count(port_.pool);
    return true;
  }

  void close() {
    worker_.reset();
    ctl_.reset();
    if (opened_) {
      port_.drain();
      port_.close();
      opened_ = false;
    }
  }

  runtime::Worker& worker() {
    return *worker_;
  }
  runtime::ControlBlock& control() {
    return *ctl_;
  }
  const runtime::WorkerCounters& counters() const {
    return worker_->counters();
  }
  Mac engine_mac() const {
    Mac m;
    std::memcpy(m.b, port_.mac.b, 6);
    return m;
  }
  unsigned mbufs_in_use() const {
    return rte_mempool_in_use_count(port_.pool);
  }
  unsigned mbufs_at_start() const {
    return mbufs_at_start_;
  }

  // The Worker's own millisecond and TSval for test millisecond t.
  uint64_t engine_ms(uint64_t t) const {
    return ms_offset + 1 + t;
  }
  uint32_t engine_ts(uint64_t t) const {
    return static_cast<uint32_t>(engine_ms(t));
  }

  uint64_t drops(runtime::DropReason r) const {
    return counters().drops[static_cast<int>(r)].get();
  }
  uint64_t answered(runtime::ReplyKind k) const {
    return counters().answered[static_cast<int>(k)].get();
  }
  uint64_t rejected(tcp::Drop d) const {
    return counters().rejected[static_cast<int>(d)].get();
  }
  uint64_t total_answered() const {
    uint64_t n = 0;
    for (int i = 0; i < runtime::kNumReplyKinds; i++) n += counters().answered[i].get();
    return n;
  }
  uint64_t total_drops() const {
    uint64_t n = 0;
    for (int i = 0; i < runtime::kNumDropReasons; i++) n += counters().drops[i].get();
    return n;
  }
  // Every received frame counted once: answered, consumed or dropped.
  void expect_accounting(const char* where = "") const {
    const runtime::WorkerCounters& c = counters();
    EXPECT_EQ(c.rx_packets.get(), total_answered() + c.consumed.get() + total_drops())
        << where << ": rx_packets != sum(answered) + consumed + sum(drops)"
        << " (answered " << total_answered() << ", consumed " << c.consumed.get() << ", drops "
        << total_drops() << ")";
    uint64_t rejected_sum = 0;
    for (int i = 0; i < tcp::kNumDrops; i++) rejected_sum += c.rejected[i].get();
    EXPECT_LE(rejected_sum, total_answered()) << where << ": rejected is a part of answered";
  }
  // Nonzero counters, for failure messages.
  std::string counter_dump() const {
    std::string s;
    const runtime::WorkerCounters& c = counters();
#define SYNACK_DUMP(name, desc) \
  if (c.name.get()) s += std::string(" ") + #name + "=" + std::to_string(c.name.get());
    SYNACK_COUNTERS(SYNACK_DUMP)
#undef SYNACK_DUMP
    for (int i = 0; i < runtime::kNumDropReasons; i++)
      if (c.drops[i].get())
        s += std::string(" drop.") +
             runtime::drop_reason_name(static_cast<runtime::DropReason>(i)) + "=" +
             std::to_string(c.drops[i].get());
    for (int i = 0; i < runtime::kNumReplyKinds; i++)
      if (c.answered[i].get())
        s += std::string(" answered.") +
             runtime::reply_kind_name(static_cast<runtime::ReplyKind>(i)) + "=" +
             std::to_string(c.answered[i].get());
    return s;
  }

  // A TCP frame from `src_ip`/`src_mac` to the engine.
  Bytes tcp_frame(const TcpSpec& s, uint32_t src_ip = kPeerIp,
                  const Mac& src_mac = kPeerMac) const {
    FrameBuilder fb;
    fb.dst_mac = engine_mac();
    fb.src_mac = src_mac;
    fb.src_ip = src_ip;
    fb.dst_ip = kEngineIp;
    fb.tcp(s);
    return fb.build();
  }

  // Frames as one burst at test millisecond `at` (>= now), then one tick;
  // returns the replies.
  std::vector<Decoded> send_at(uint64_t at, const std::vector<Bytes>& frames) {
    if (at > now) now = at;
    rte_mbuf* pkts[runtime::kBurst];
    std::vector<Decoded> out;
    size_t i = 0;
    while (i < frames.size()) {
      uint16_t n = 0;
      for (; i < frames.size() && n < runtime::kBurst; i++) {
        pkts[n] = port_.frame(frames[i].data(), static_cast<uint16_t>(frames[i].size()));
        EXPECT_NE(pkts[n], nullptr) << "test pool empty";
        if (pkts[n] == nullptr) return out;
        n++;
      }
      worker_->process_burst(pkts, n, tsc(now));
      worker_->tick(tsc(now));
      collect(out);
    }
    return out;
  }
  std::vector<Decoded> send(const std::vector<Bytes>& frames) {
    return send_at(now, frames);
  }
  std::vector<Decoded> send(const Bytes& frame) {
    return send_at(now, {frame});
  }

  // Ticks every millisecond up to `to`, returning what the timers sent and when.
  std::vector<Sent> run_until(uint64_t to) {
    std::vector<Sent> out;
    std::vector<Decoded> got;
    while (now < to) {
      now++;
      worker_->tick(tsc(now));
      collect(got);
      for (Decoded& d : got) out.push_back(Sent{std::move(d), now});
      got.clear();
    }
    return out;
  }
  // One tick at `to` (time may jump): timers due by then fire at once.
  std::vector<Decoded> jump_to(uint64_t to) {
    if (to > now) now = to;
    worker_->tick(tsc(now));
    std::vector<Decoded> out;
    collect(out);
    return out;
  }

 private:
  static constexpr uint64_t kEpoch = 1000000;
  uint64_t tsc(uint64_t ms) const {
    return kEpoch + ms * (rte_get_tsc_hz() / 1000);
  }

  void collect(std::vector<Decoded>& out) {
    worker_->flush_tx();
    while (rte_mbuf* m = port_.sent()) {
      Decoded d = decode_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
      EXPECT_TRUE(d.ok) << d.error;
      out.push_back(std::move(d));
      rte_pktmbuf_free(m);
    }
  }

  RingPort port_;
  bool opened_ = false;
  std::unique_ptr<runtime::ControlBlock> ctl_;
  runtime::WorkerPtr worker_;
  unsigned mbufs_at_start_ = 0;
};

// One client connection: its sequence numbers, the engine's as seen on the
// wire, timestamps (our TSval is a clock of our own, 1 per millisecond) and
// an in-order receiver: bytes are taken only at RCV.NXT and inside
// `accept_window`, everything else is ignored as a real receiver would drop it.
struct Client {
  WorkerHarness* h = nullptr;
  uint16_t sport = 40000;
  uint32_t ip = kPeerIp;
  uint32_t isn = 1000;
  uint32_t snd_nxt = 0;  // our next sequence number
  uint32_t rcv_nxt = 0;  // the engine's next, as we have taken it
  uint32_t iss = 0;      // the engine's ISS (from its SYN-ACK)
  bool timestamps = true;
  uint32_t ts_base = 7000;              // our TSval at test millisecond 0
  uint32_t ts_recent = 0;               // the engine's last TSval
  uint16_t wnd = 65535;                 // our window field
  uint32_t accept_window = UINT32_MAX;  // bytes we take past rcv_nxt
  Bytes syn_opts;                       // empty: the Linux layout (or Windows' without timestamps)
  Bytes received;                       // the engine's payload, in order
  bool fin_received = false;

  Client(WorkerHarness& harness, uint16_t port, bool ts = true)
      : h(&harness), sport(port), timestamps(ts) {}

  uint32_t ts_now() const { return ts_base + static_cast<uint32_t>(h->now); }

  // A segment at our current sequence numbers.
  TcpSpec seg(uint8_t flags, size_t payload = 0) const {
    TcpSpec s(sport, 80, snd_nxt, rcv_nxt, flags, wnd);
    if (timestamps) s.opts = opt::ts_only(ts_now(), ts_recent);
    s.payload.assign(payload, 'x');
    if (payload >= 3) std::memcpy(s.payload.data(), "GET", 3);
    return s;
  }
  Bytes frame(const TcpSpec& s) const { return h->tcp_frame(s, ip); }

  // Takes what the engine sent into account, as an in-order receiver.
  void saw(const Decoded& d) {
    if (!d.tcp || d.dport != sport || d.ip_dst != ip || d.has(flag::kRst)) return;
    if (d.opts.ts) ts_recent = d.opts.ts_val;
    if (d.has(flag::kSyn)) {
      iss = d.seq;
      rcv_nxt = d.seq + 1;
      return;
    }
    const auto off = static_cast<int32_t>(rcv_nxt - d.seq);  // bytes of it we already have
    if (off < 0 || static_cast<size_t>(off) > d.payload.size()) return;
    const size_t fresh = d.payload.size() - static_cast<size_t>(off);
    const size_t take = fresh < accept_window ? fresh : accept_window;
    received.insert(received.end(), d.payload.begin() + off, d.payload.begin() + off + take);
    rcv_nxt += static_cast<uint32_t>(take);
    if (take == fresh && d.has(flag::kFin) && !fin_received) {
      fin_received = true;
      rcv_nxt += 1;
    }
  }
  std::vector<Decoded> take(std::vector<Decoded> r) {
    for (const Decoded& d : r) saw(d);
    return r;
  }
  // What timers sent us (run_until), as far as it is ours.
  std::vector<Sent> take(std::vector<Sent> r) {
    for (const Sent& s : r) saw(s.d);
    return r;
  }
  // Sends `s`; our sequence number moves past it.
  std::vector<Decoded> send(const TcpSpec& s) {
    std::vector<Decoded> r = h->send(frame(s));
    snd_nxt = s.seq + static_cast<uint32_t>(s.payload.size()) + ((s.flags & flag::kSyn) ? 1 : 0) +
              ((s.flags & flag::kFin) ? 1 : 0);
    return take(std::move(r));
  }

  TcpSpec syn_spec() const {
    TcpSpec s(sport, 80, isn, 0, flag::kSyn, wnd);
    s.opts = !syn_opts.empty() ? syn_opts
             : timestamps      ? opt::linux_syn(ts_now())
                               : opt::windows_syn();
    return s;
  }
  // SYN; returns the replies (the SYN-ACK, normally).
  std::vector<Decoded> syn() {
    rcv_nxt = 0;
    received.clear();
    fin_received = false;
    return send(syn_spec());
  }
  // SYN, SYN-ACK, ACK. False (with a gtest failure) when no SYN-ACK came.
  bool connect() {
    std::vector<Decoded> r = syn();
    if (r.size() != 1 || r[0].flags != (flag::kSyn | flag::kAck)) {
      ADD_FAILURE() << "no SYN-ACK for port " << sport << ": " << r.size() << " replies"
                    << (r.empty() ? "" : ", first " + describe(r[0]));
      return false;
    }
    std::vector<Decoded> a = ack();
    EXPECT_TRUE(a.empty()) << describe(a[0]);
    return true;
  }
  // A request of `len` bytes; returns the replies.
  std::vector<Decoded> request(size_t len = 20) { return send(seg(flag::kAck | flag::kPsh, len)); }
  std::vector<Decoded> ack() { return send(seg(flag::kAck)); }
  std::vector<Decoded> fin() { return send(seg(flag::kAck | flag::kFin)); }
  std::vector<Decoded> rst(uint32_t seq) {
    TcpSpec s(sport, 80, seq, 0, flag::kRst, wnd);
    return take(h->send(frame(s)));
  }
};

}  // namespace synack::testing
