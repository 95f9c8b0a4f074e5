// runtime::Worker::process_burst over a ring-backed port, driven by the input:
// frames (raw bytes, or TCP segments, ARP requests and echo requests built for
// a few peers that follow what the engine answers), bursts of up to 32, a
// clock the input moves, the cookie mode and secret switched at runtime. TX is
// drained after every burst and every tick. All Worker API calls go through
// worker_glue.h.
//
// Program layout (little-endian, see tests/fuzz/make_corpus.py):
//   setup: 2 bytes (setup_from)
//   ops until the end (op & 7): 0 raw frame, 1-3 TCP segment from a peer,
//   4 end of burst, 5 time passes, 6 control (mode, secret), 7 ARP/ICMP.
//
// Invariants:
//  W1  No crash and no sanitizer report.
//  W2  check_accounting() after every burst: every frame is counted received;
//      every frame that never reaches TCP is either answered in place (ARP
//      request, echo request) or counted under one drop reason; TCP frames
//      count at most one drop reason each; no reply is lost for want of an
//      mbuf.
//  W3  Every transmitted frame is well formed and addressed: from our MAC and
//      IP, to a MAC/address/port that sent us something, checksums right, a
//      TCP reply from a port that was sent to, its payload a slice of the
//      response.
//  W4  No mbuf is held between bursts: after the TX ring is drained, the
//      pool's in-use count is where it started.
//  W5  Once the clock has passed every timer (TIME-WAIT, idle, RTO backoff),
//      no flow is left and every connection that was established was counted
//      as ended exactly once.
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "fuzz_input.h"
#include "rfc1071.h"
#include "tcp/options.h"
#include "tcp/segment.h"
#include "wire/craft.h"
#include "wire/frame.h"
#include "worker_glue.h"

namespace synack::fuzz {
namespace {

using tcp::tcpflag::kAck;
using tcp::tcpflag::kFin;
using tcp::tcpflag::kRst;
using tcp::tcpflag::kSyn;

constexpr uint16_t kMaxFrame = 2048;              // the ring port's mbuf data room
constexpr uint16_t kPorts[] = {80, 8080, 80, 9};  // 9 has no listener

// What the harness knows of one burst before the worker sees it.
struct BurstFacts {
  uint64_t fed = 0;
  uint64_t arp = 0;                // ARP requests for our address
  uint64_t icmp = 0;               // echo requests for our address
  uint64_t pre_tcp_dropped = 0;    // unparsable, not for us, or bad TCP options
  uint64_t tcp = 0;                // reach the TCP layer
  uint64_t answered_arp_icmp = 0;  // of arp + icmp, replies written over their frame
  uint64_t answered_dropped = 0;   // of pre_tcp_dropped, replies written over their frame
};

// W2, with today's counters. The runtime counts a reply, a drop reason or
// nothing (a segment a connection consumed), and a drop may come with a reply
// (an ACK for an out-of-window segment, a RST for a bad cookie), so the only
// equalities are for frames that never reach TCP. Once there are counters for
// answered and consumed frames this becomes
//   rx_packets == answered + consumed + dropped.
void check_accounting(const Tally& before, const Tally& after, const BurstFacts& f) {
  FUZZ_CHECK(after.rx_packets - before.rx_packets == f.fed);
  FUZZ_CHECK(f.fed == f.arp + f.icmp + f.pre_tcp_dropped + f.tcp);
  FUZZ_CHECK(after.arp_replies - before.arp_replies == f.arp);
  FUZZ_CHECK(after.icmp_echo_replies - before.icmp_echo_replies == f.icmp);
  FUZZ_CHECK(f.answered_arp_icmp == f.arp + f.icmp);
  FUZZ_CHECK(after.pre_tcp_drops - before.pre_tcp_drops == f.pre_tcp_dropped);
  FUZZ_CHECK(f.answered_dropped == 0);
  FUZZ_CHECK(after.tcp_drops - before.tcp_drops <= f.tcp);
  FUZZ_CHECK(after.no_mbuf == before.no_mbuf);
}

WorkerSetup setup_from(ByteReader& in) {
  static constexpr uint32_t kResponse[] = {38, 0, 3000, 20000};
  WorkerSetup s;
  const uint8_t a = in.u8();
  s.cookie_mode = a & 3;
  s.active_close = (a & 4) == 0;
  s.response_len = kResponse[(a >> 3) & 3];
  s.backlog = (a & 32) ? 4 : 16;
  s.max_flows = (a & 64) ? 8 : 64;
  s.rate_limit = (a & 128) != 0;
  const uint8_t b = in.u8();
  s.short_timers = (b & 1) != 0;
  return s;
}

struct Peer {
  uint32_t seq = 0;   // our next sequence number
  uint32_t ack = 0;   // the engine's next sequence number, as last seen
  uint32_t ts = 1;    // our TSval clock
  uint32_t echo = 0;  // the engine's last TSval, to echo
};

class Program {
 public:
  Program(const WorkerSetup& s, ByteReader& in)
      : in_(in), glue_(s), in_use_at_start_(WorkerGlue::mbufs_in_use()) {}

  void run() {
    while (!in_.empty()) {
      const uint8_t op = in_.u8();
      switch (op & 7) {
        case 0:
          raw_frame(op);
          break;
        case 1:
        case 2:
        case 3:
          tcp_segment();
          break;
        case 4:
          flush_burst();
          break;
        case 5:
          flush_burst();
          pass_time((op & 8) ? uint64_t{in_.u16()} * 1000 : in_.u16());
          glue_.tick(now_ms_);
          drain(nullptr);
          break;
        case 6:
          flush_burst();
          if (op & 8)
            glue_.rotate_secret(in_.u64());
          else
            glue_.set_cookie_mode(in_.u8());
          break;
        default:
          arp_or_icmp(op);
      }
    }
    flush_burst();
    run_out_timers();
  }

 private:
  // Known: the worker's millisecond clock is 32 bits, so after 2^32 ms (49.7
  // days) it wraps below the timer wheel's tick and no timer fires again;
  // regressions/fuzz_worker/ms-clock-wrap-freezes-timers. When that bug is
  // allowed, the clock stops short of the wrap, leaving room for
  // run_out_timers().
  void pass_time(uint64_t ms) {
    now_ms_ += ms;
    constexpr uint64_t kBeforeWrap = (uint64_t{1} << 32) - 20000000;
    if (now_ms_ > kBeforeWrap && known_bug_allowed("ms-clock-wrap")) now_ms_ = kBeforeWrap;
  }

  // ---- frames --------------------------------------------------------------

  static uint32_t peer_ip(uint8_t i) { return 0xC6120100u + 1 + ((i >> 4) & 3); }  // 198.18.1.x
  static wire::MacAddr peer_mac(uint8_t i) {
    return wire::MacAddr{
        {0x02, 0, 0, 0, static_cast<uint8_t>((i >> 4) & 3), static_cast<uint8_t>(i & 15)}};
  }

  // Recomputes the IPv4 and TCP/ICMP checksums of a frame where its headers
  // allow, so raw frames get past the checksum checks when the input asks.
  static void fix_checksums(uint8_t* d, size_t n) {
    if (n < 34 || be16(d + 12) != 0x0800) return;
    uint8_t* ip = d + 14;
    const size_t ihl = (ip[0] & 0xf) * 4u;
    const size_t total = be16(ip + 2);
    if (ihl < 20 || 14 + ihl > n) return;
    ip[10] = ip[11] = 0;
    store_checksum(ip + 10, ones_sum(ip, ihl));
    if (total < ihl || 14 + total > n) return;
    uint8_t* l4 = ip + ihl;
    const size_t l4_len = total - ihl;
    if (ip[9] == 6 && l4_len >= 20) {
      l4[16] = l4[17] = 0;
      store_checksum(l4 + 16, ones_sum(l4, l4_len, tcp_pseudo_sum(ip, l4_len)));
    } else if (ip[9] == 1 && l4_len >= 8) {
      l4[2] = l4[3] = 0;
      store_checksum(l4 + 2, ones_sum(l4, l4_len));
    }
  }

  void raw_frame(uint8_t op) {
    size_t n = 0;
    const uint8_t* p = in_.take(in_.u16() % (kMaxFrame + 1), &n);
    std::vector<uint8_t> f(p, p + n);
    if ((op & 16) && n >= 34) {  // aimed at us
      const wire::MacAddr m = WorkerGlue::mac();
      std::memcpy(f.data(), m.b, 6);
      f[30] = kEngineIp >> 24;
      f[31] = (kEngineIp >> 16) & 0xff;
      f[32] = (kEngineIp >> 8) & 0xff;
      f[33] = kEngineIp & 0xff;
    }
    if (op & 8) fix_checksums(f.data(), f.size());
    add(f);
  }

  void tcp_segment() {
    const uint8_t who = in_.u8();
    Peer& peer = peers_[who & 63];
    const uint8_t flags = in_.u8();
    const uint8_t modes = in_.u8();
    uint32_t seq = peer.seq;
    switch (modes & 3) {
      case 1:
        seq += static_cast<uint32_t>(static_cast<int8_t>(in_.u8()));
        break;
      case 2:
      case 3:
        seq = in_.u32();
        break;
      default:
        break;
    }
    uint32_t ack = peer.ack;
    switch ((modes >> 2) & 3) {
      case 1:
        ack += static_cast<uint32_t>(static_cast<int8_t>(in_.u8()));
        break;
      case 2:
        ack = in_.u32();
        break;
      default:
        break;
    }
    uint16_t payload = 0;
    if (modes & 16) {
      const uint8_t b = in_.u8();
      payload = b < 0xF0 ? b : static_cast<uint16_t>(in_.u16() % 1401);
    }
    uint8_t opts[40];
    uint8_t opt_len = 0;
    uint16_t wnd = 65535;
    if (modes & 32) {
      const uint8_t o = in_.u8();
      tcp::TcpOptions to;
      switch (o & 3) {
        case 1:  // what a Linux client puts on its SYN
          to.has_mss = to.has_wscale = to.sack_permitted = true;
          to.mss = 1460;
          to.wscale = 7;
          [[fallthrough]];
        case 2:
          to.has_timestamps = true;
          to.ts_val = peer.ts;
          to.ts_ecr = peer.echo;
          opt_len = static_cast<uint8_t>(tcp::write_options(opts, to));
          break;
        case 3: {  // raw bytes, padded to a multiple of 4
          size_t n = 0;
          const uint8_t* p = in_.take(in_.u8() % 41, &n);
          std::memcpy(opts, p, n);
          opt_len = static_cast<uint8_t>((n + 3) & ~size_t{3});
          std::memset(opts + n, 1, opt_len - n);
          break;
        }
        default:
          break;
      }
      static constexpr uint16_t kWnd[] = {65535, 0, 1, 512};
      wnd = kWnd[(o >> 2) & 3];
    }
    peer.ts += 1 + (modes >> 6);
    if (!(flags & kRst))
      peer.seq = seq + payload + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);

    wire::TcpHeaderSpec s;
    s.src_mac = peer_mac(who);
    s.dst_mac = WorkerGlue::mac();
    s.src_ip = peer_ip(who);
    s.dst_ip = kEngineIp;
    s.src_port = static_cast<uint16_t>(40000 + (who & 15));
    s.dst_port = kPorts[(who >> 6) & 3];
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = wnd;
    s.opt_len = opt_len;
    s.opts = opts;
    static const uint8_t kRequest[1400] = {'G', 'E', 'T', ' ', '/'};
    s.payload = kRequest;
    s.payload_len = payload;
    std::vector<uint8_t> f(wire::kMaxTcpHeadroom + payload);
    f.resize(wire::write_tcp_segment(f.data(), s));
    if (modes & 64) {  // corrupted in flight
      const uint16_t at = in_.u16();
      f[at % f.size()] ^= static_cast<uint8_t>(in_.u8() | 1);
    }
    if (modes & 128) f.resize(1 + in_.u16() % f.size());  // cut short
    add(f);
  }

  void arp_or_icmp(uint8_t op) {
    const uint8_t who = in_.u8();
    const wire::MacAddr src = peer_mac(who);
    std::vector<uint8_t> f;
    auto put16 = [&f](uint16_t v) {
      f.push_back(static_cast<uint8_t>(v >> 8));
      f.push_back(static_cast<uint8_t>(v));
    };
    auto put32 = [&put16](uint32_t v) {
      put16(static_cast<uint16_t>(v >> 16));
      put16(static_cast<uint16_t>(v));
    };
    const bool broadcast = (op & 16) != 0;
    for (int i = 0; i < 6; i++) f.push_back(broadcast ? 0xff : WorkerGlue::mac().b[i]);
    f.insert(f.end(), src.b, src.b + 6);
    const uint32_t target = (op & 32) ? in_.u32() : kEngineIp;
    if (!(op & 8)) {  // RFC 826 request
      put16(0x0806);
      put16(1);
      put16(0x0800);
      f.push_back(6);
      f.push_back(4);
      put16(1);
      f.insert(f.end(), src.b, src.b + 6);
      put32(peer_ip(who));
      for (int i = 0; i < 6; i++) f.push_back(0);
      put32(target);
    } else {  // RFC 792 echo request with a little data
      const uint16_t data_len = in_.u8();
      put16(0x0800);
      const size_t ip = f.size();
      f.push_back(0x45);
      f.push_back(0);
      put16(static_cast<uint16_t>(20 + 8 + data_len));
      put16(in_.u16());  // id
      put16(0x4000);
      f.push_back(64);
      f.push_back(1);
      put16(0);
      put32(peer_ip(who));
      put32(target);
      store_checksum(&f[ip + 10], ones_sum(&f[ip], 20));
      const size_t icmp = f.size();
      f.push_back(8);
      f.push_back(0);
      put16(0);
      put16(in_.u16());
      put16(in_.u16());
      for (uint16_t i = 0; i < data_len; i++) f.push_back(static_cast<uint8_t>(i));
      store_checksum(&f[icmp + 2], ones_sum(&f[icmp], 8 + data_len));
    }
    add(f);
  }

  // Classifies a frame as the worker will (parse, then "for us", then the
  // TCP options) and queues it for the next burst.
  void add(const std::vector<uint8_t>& f) {
    if (f.empty() || f.size() > kMaxFrame) return;
    rte_mbuf* m = WorkerGlue::frame(f.data(), static_cast<uint16_t>(f.size()));
    FUZZ_CHECK(m != nullptr);  // W4 keeps the pool full between bursts
    wire::Frame fr;
    const wire::ParseError e = wire::parse_frame(f.data(), static_cast<uint32_t>(f.size()), {}, fr);
    Class c = Class::kDropped;
    if (e == wire::ParseError::kOk) {
      seen_macs_.insert(mac_key(fr.src_mac));
      seen_ips_.insert(fr.src_ip);
      if (fr.kind == wire::FrameKind::kArpRequest) {  // the reply goes to the sender's MAC
        wire::MacAddr sha;
        std::memcpy(sha.b, f.data() + 14 + 8, 6);
        seen_macs_.insert(mac_key(sha));
      }
      // The IP address decides; a group MAC is only for ARP (runtime/worker.cc).
      const bool for_us = fr.dst_ip == kEngineIp &&
                          (!(fr.dst_mac.b[0] & 1) || fr.kind == wire::FrameKind::kArpRequest);
      if (!for_us) {
        c = Class::kDropped;
      } else if (fr.kind == wire::FrameKind::kArpRequest) {
        c = Class::kArp;
      } else if (fr.kind == wire::FrameKind::kIcmpEcho) {
        c = Class::kIcmp;
      } else {
        tcp::TcpOptions o;
        const bool opts_ok =
            fr.opt_len == 0 || tcp::parse_options(f.data() + fr.l4_off + 20, fr.opt_len, o);
        c = opts_ok ? Class::kTcp : Class::kDropped;
        if (opts_ok) {
          seen_tuples_.insert({fr.src_ip, fr.src_port});
          our_ports_.insert(fr.dst_port);
        }
      }
    }
    burst_.push_back(m);
    classes_.push_back(c);
    if (burst_.size() == kMaxBurst) flush_burst();
  }

  // ---- bursts, replies, time -------------------------------------------------

  enum class Class : uint8_t { kArp, kIcmp, kDropped, kTcp };

  void flush_burst() {
    if (burst_.empty()) return;
    BurstFacts f;
    f.fed = burst_.size();
    for (Class c : classes_) {
      switch (c) {
        case Class::kArp:
          f.arp++;
          break;
        case Class::kIcmp:
          f.icmp++;
          break;
        case Class::kDropped:
          f.pre_tcp_dropped++;
          break;
        case Class::kTcp:
          f.tcp++;
          break;
      }
    }
    // A reply written over its frame reuses the frame's mbuf. The pool hands
    // mbufs out in FIFO order and holds thousands, so no mbuf freed during the
    // burst comes back from an allocation in it: pointer identity says which
    // frame a reply answers.
    FUZZ_CHECK(WorkerGlue::mbufs_free() > 1024);
    fed_ = burst_;
    fed_classes_ = classes_;
    const Tally before = glue_.tally();
    glue_.burst(burst_.data(), static_cast<uint16_t>(burst_.size()), now_ms_);
    burst_.clear();
    classes_.clear();
    drain(&f);
    const Tally after = glue_.tally();
    trace(f, before, after);
    check_accounting(before, after, f);
    fed_.clear();
    fed_classes_.clear();
  }

  // SYNACK_FUZZ_TRACE=1 prints each burst's facts and counters.
  void trace(const BurstFacts& f, const Tally& b, const Tally& a) const {
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (!on) return;
    std::fprintf(stderr,
                 "t=%lu burst fed=%lu arp=%lu icmp=%lu dropped=%lu tcp=%lu | replies=%lu "
                 "drops pre-tcp=%lu tcp=%lu | established=%lu ended=%lu flows=%u\n",
                 static_cast<unsigned long>(now_ms_), static_cast<unsigned long>(f.fed),
                 static_cast<unsigned long>(f.arp), static_cast<unsigned long>(f.icmp),
                 static_cast<unsigned long>(f.pre_tcp_dropped), static_cast<unsigned long>(f.tcp),
                 static_cast<unsigned long>(replies_),
                 static_cast<unsigned long>(a.pre_tcp_drops - b.pre_tcp_drops),
                 static_cast<unsigned long>(a.tcp_drops - b.tcp_drops),
                 static_cast<unsigned long>(a.connections_established),
                 static_cast<unsigned long>(a.connections_ended), glue_.flows_in_use());
  }

  // Takes every transmitted frame off the ring, checks it (W3) and lets the
  // peers learn from it; then W4.
  void drain(BurstFacts* f) {
    while (rte_mbuf* m = WorkerGlue::sent()) {
      for (size_t i = 0; f != nullptr && i < fed_.size(); i++) {
        if (fed_[i] != m) continue;
        if (fed_classes_[i] == Class::kArp || fed_classes_[i] == Class::kIcmp)
          f->answered_arp_icmp++;
        else if (fed_classes_[i] == Class::kDropped)
          f->answered_dropped++;
      }
      check_reply(WorkerGlue::bytes(m), WorkerGlue::length(m));
      WorkerGlue::release(m);
      replies_++;
    }
    FUZZ_CHECK(WorkerGlue::mbufs_in_use() == in_use_at_start_);
  }

  static uint64_t mac_key(const wire::MacAddr& m) {
    uint64_t k = 0;
    for (int i = 0; i < 6; i++) k = k << 8 | m.b[i];
    return k;
  }

  void check_reply(const uint8_t* d, uint16_t n) {
    FUZZ_CHECK(n >= 42);
    wire::MacAddr src, dst;
    std::memcpy(dst.b, d, 6);
    std::memcpy(src.b, d + 6, 6);
    FUZZ_CHECK(mac_key(src) == mac_key(WorkerGlue::mac()));
    FUZZ_CHECK(seen_macs_.count(mac_key(dst)) == 1);
    if (be16(d + 12) == 0x0806) {  // RFC 826 reply: from us, to the asker
      FUZZ_CHECK(be16(d + 14) == 1 && be16(d + 16) == 0x0800 && be16(d + 20) == 2);
      FUZZ_CHECK(std::memcmp(d + 22, src.b, 6) == 0 && be32(d + 28) == kEngineIp);
      FUZZ_CHECK(std::memcmp(d + 32, dst.b, 6) == 0 && seen_ips_.count(be32(d + 38)) == 1);
      return;
    }
    FUZZ_CHECK(be16(d + 12) == 0x0800);
    const uint8_t* ip = d + 14;
    const size_t ihl = (ip[0] & 0xf) * 4u;
    const size_t total = be16(ip + 2);
    FUZZ_CHECK((ip[0] >> 4) == 4 && ihl >= 20 && total >= ihl && 14 + total <= n);
    FUZZ_CHECK(sum_ok(ones_sum(ip, ihl)));
    FUZZ_CHECK(be32(ip + 12) == kEngineIp && seen_ips_.count(be32(ip + 16)) == 1);
    const uint8_t* l4 = ip + ihl;
    const size_t l4_len = total - ihl;
    if (ip[9] == 1) {  // RFC 792 echo reply
      FUZZ_CHECK(l4_len >= 8 && l4[0] == 0 && l4[1] == 0);
      // Known: the reply to an all-zero echo request (id 0, seq 0, no data)
      // carries checksum 0x0000 where 0xffff is due (RFC 1624 eqn. 3 gives -0
      // when the result is all zero); regressions/fuzz_worker/icmp-echo-all-zero-checksum.
      const bool all_zero = ones_sum(l4, l4_len) == 0;
      if (all_zero && known_bug_allowed("icmp-zero-checksum")) return;
      FUZZ_CHECK(sum_ok(ones_sum(l4, l4_len)));
      return;
    }
    FUZZ_CHECK(ip[9] == 6);
    wire::Frame fr;
    FUZZ_CHECK(wire::parse_frame(d, n, {}, fr) == wire::ParseError::kOk);
    FUZZ_CHECK(sum_ok(ones_sum(l4, l4_len, tcp_pseudo_sum(ip, l4_len))));
    FUZZ_CHECK(our_ports_.count(fr.src_port) == 1);
    FUZZ_CHECK(seen_tuples_.count({fr.dst_ip, fr.dst_port}) == 1);
    tcp::TcpOptions o;
    FUZZ_CHECK(fr.opt_len == 0 || tcp::parse_options(d + fr.l4_off + 20, fr.opt_len, o));
    const uint8_t fl = fr.tcp_flags;
    FUZZ_CHECK(!((fl & kSyn) && (fl & (kFin | kRst))));
    if (fl & kRst) FUZZ_CHECK(fr.payload_len == 0);
    if (fr.payload_len) {
      FUZZ_CHECK((fl & kAck) != 0);
      // A slice of the response, whose bytes run 'a'..'z' over and over.
      const uint8_t* p = d + fr.l4_off + 20 + fr.opt_len;
      for (uint16_t i = 0; i < fr.payload_len; i++) {
        FUZZ_CHECK(p[i] >= 'a' && p[i] <= 'z');
        if (i) FUZZ_CHECK(p[i] == (p[i - 1] == 'z' ? 'a' : p[i - 1] + 1));
      }
    }
    if (fl & kSyn) FUZZ_CHECK((fl & kAck) && o.has_mss);
    // The peer learns the engine's numbers from what it is sent.
    for (uint8_t who = 0; who < 64; who++) {
      if (peer_ip(who) != fr.dst_ip || 40000 + (who & 15) != fr.dst_port) continue;
      if (kPorts[(who >> 6) & 3] != fr.src_port) continue;
      Peer& p = peers_[who];
      if (!(fl & kRst))
        p.ack = fr.seq + fr.payload_len + ((fl & kSyn) ? 1 : 0) + ((fl & kFin) ? 1 : 0);
      if (o.has_timestamps) p.echo = o.ts_val;
    }
  }

  // W5: move the clock past every timer a flow can have (the longest chain is
  // idle 300 s, or RTO backoff up to rto_max_ms per retry).
  void run_out_timers() {
    const uint64_t step = glue_.config().endpoint.time_wait_ms < 1000 ? 500 : 30000;
    for (int i = 0; i < 400 && glue_.flows_in_use() > 0; i++) {
      now_ms_ += step;
      glue_.tick(now_ms_);
      drain(nullptr);
    }
    FUZZ_CHECK(glue_.flows_in_use() == 0);
    FUZZ_CHECK(WorkerGlue::mbufs_in_use() == in_use_at_start_);
    const Tally t = glue_.tally();
    FUZZ_CHECK(t.connections_established == t.connections_ended);
  }

  ByteReader& in_;
  WorkerGlue glue_;
  const unsigned in_use_at_start_;
  uint64_t now_ms_ = 1;
  uint64_t replies_ = 0;  // every frame transmitted so far
  Peer peers_[64];
  std::vector<rte_mbuf*> burst_;
  std::vector<Class> classes_;
  std::vector<rte_mbuf*> fed_;
  std::vector<Class> fed_classes_;
  std::set<uint64_t> seen_macs_;
  std::set<uint32_t> seen_ips_;
  std::set<std::pair<uint32_t, uint16_t>> seen_tuples_;
  std::set<uint16_t> our_ports_;
};

}  // namespace
}  // namespace synack::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  if (!synack::fuzz::WorkerGlue::init_eal((*argv)[0])) {
    std::fprintf(stderr, "fuzz_worker: EAL start-up failed\n");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synack::fuzz::ByteReader in(data, size);
  const synack::fuzz::WorkerSetup s = synack::fuzz::setup_from(in);
  synack::fuzz::Program(s, in).run();
  return 0;
}
