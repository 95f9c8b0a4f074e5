// runtime::Worker::process_burst over a ring-backed port, driven by the input,
// in server or client mode. Frames are raw bytes, or TCP segments, ARP and
// echo requests built for a few peers that follow what the engine answers; in
// client mode the peer is the target server, answering the connections the
// engine opens (SYN-ACKs, RSTs, responses from a stream the input composes,
// FINs) and the engine's ARP for it. Bursts of up to 32, a clock the input
// moves, the cookie mode and secret switched at runtime. TX is drained after
// every burst, tick and client pump. All Worker API calls go through
// worker_glue.h.
//
// Program layout (little-endian, see tests/fuzz/make_corpus.py):
//   setup: 2 bytes (setup_from)
//   ops until the end (op & 7): 0 raw frame, 1-3 TCP segment from a peer,
//   4 end of burst, 5 time passes, 6 control (mode, secret), 7 ARP/ICMP.
//
// Invariants:
//  W1  No crash and no sanitizer report.
//  W2  check_accounting() after every burst: every frame is counted once,
//      rx_packets == sum(answered) + consumed + sum(drops), exactly; the
//      frames the parsers refuse are counted under the reason parse_frame /
//      parse_segment gives (fuzz_frame holds those to the RFCs), ARP requests
//      and echo requests for us are answered, ARP replies are consumed in
//      client mode and dropped as unused in server mode; the frames answered
//      are exactly those whose mbuf carries a reply out (a reply is written
//      over its frame); `rejected` is a part of `answered`; no reply is lost
//      for want of an mbuf or TX room. Ticks and pumps count no frame.
//  W3  Every transmitted frame is well formed and addressed: from our MAC and
//      one of our addresses, to a MAC/address/port that sent us something (or
//      client mode's target at the MAC its ARP reply gave, never before one),
//      checksums right, options well formed, a TCP reply from a port that was
//      sent to, its payload a slice of the response (server) or of the request
//      stream at its sequence number (client); client ARP requests for the
//      next hop at least a retry interval apart.
//  W4  No mbuf is held between bursts: after the TX ring is drained, the
//      pool's in-use count is where it started.
//  W5  Once the clock has passed every timer (TIME-WAIT, idle, FIN-WAIT-2,
//      RTO backoff), no flow and no TIME-WAIT entry is left, no mbuf is held,
//      every connection that was established ended exactly once (closed or
//      reset), every TIME-WAIT entry ended once, and in client mode every
//      connection started has exactly one outcome (completed or a failure).
//  W6  Bounds: flows <= --max_flows, TIME-WAIT entries <= --max_time_wait; in
//      client mode open connections <= --concurrency, started <= the quota,
//      completed connections and responses at most what the server's bytes
//      could have completed.
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "fuzz_input.h"
#include "http_server_stream.h"
#include "rfc1071.h"
#include "support/frame_builder.h"
#include "support/frame_decoder.h"
#include "tcp/options.h"
#include "tcp/requester.h"
#include "tcp/segment.h"
#include "tcp/segment_parse.h"
#include "wire/frame.h"
#include "worker_glue.h"

namespace synack::fuzz {
namespace {

using runtime::DropReason;
using runtime::ReplyKind;
using tcp::tcpflag::kAck;
using tcp::tcpflag::kFin;
using tcp::tcpflag::kRst;
using tcp::tcpflag::kSyn;
using testing::Bytes;
using testing::Decoded;

constexpr uint16_t kMaxFrame = 2048;              // the ring port's mbuf data room
constexpr uint16_t kPorts[] = {80, 8080, 80, 9};  // 9 has no listener
constexpr uint32_t kArpRetryMs = 1000;            // flow::NeighbourTable::Config::retry_ms
constexpr uint16_t kStrayPort = 1023;             // below the client's source ports

WorkerSetup setup_from(ByteReader& in) {
  static constexpr uint32_t kResponse[] = {38, 0, 3000, 20000};
  static constexpr uint32_t kRequests[] = {1, 2, 3, 5};
  WorkerSetup s;
  const uint8_t a = in.u8();
  s.cookie_mode = a & 3;
  s.active_close = (a & 4) == 0;
  s.response_len = kResponse[(a >> 3) & 3];
  s.backlog = (a & 32) ? 4 : 16;
  s.max_flows = (a & 64) ? 8 : 64;
  s.max_time_wait = (a & 64) ? 4 : 64;  // a small store: entries recycled early
  s.rate_limit = (a & 128) != 0;
  const uint8_t b = in.u8();
  s.short_timers = (b & 1) != 0;
  s.client = (b & 2) != 0;
  s.rx_csum_offload = (b & 4) != 0;
  s.accept_other_host = (b & 8) != 0;
  s.sip = static_cast<uint8_t>((b >> 4) & 3);
  s.address_range = (b & 64) != 0;
  s.ms_offset = (b & 128) ? (uint64_t{1} << 32) - 5000 : 0;
  if (s.client) {  // the server-side choices of `a` mean these instead
    s.requests_per_connection = kRequests[(a >> 3) & 3];
    s.head_requests = (a & 1) != 0;
    s.last_request_differs = (a & 2) != 0;
    s.concurrency = (a & 32) ? 1 : 4;
    s.rate = (a & 128) ? 200 : 0;
  }
  return s;
}

// What the harness expects of one frame, from the parsers the Worker runs.
enum class Class : uint8_t { kRefused, kArpRequest, kArpReply, kIcmp, kTcp };

struct Fed {
  rte_mbuf* m;
  Class c;
  DropReason reason;  // kRefused
};

// What one burst should do to the counters.
struct BurstFacts {
  uint64_t fed = 0;
  uint64_t refused[runtime::kNumDropReasons] = {};
  uint64_t arp_requests = 0;
  uint64_t arp_replies = 0;
  uint64_t icmp = 0;
  uint64_t tcp = 0;
  uint64_t answered_in_place = 0;  // TX frames that are a fed frame's mbuf
};

bool parse_level(DropReason r) {
  return static_cast<int>(r) < runtime::kNumWireDrops || r == DropReason::bad_tcp_header ||
         r == DropReason::bad_tcp_options || r == DropReason::tcp_md5_unexpected ||
         r == DropReason::multi_segment;
}

// W2.
void check_accounting(const Tally& b, const Tally& a, const BurstFacts& f, bool client) {
  FUZZ_CHECK(a.rx_packets - b.rx_packets == f.fed);
  FUZZ_CHECK(a.rx_packets == a.total_answered() + a.consumed + a.total_drops());
  const uint64_t answered = a.total_answered() - b.total_answered();
  const uint64_t consumed = a.consumed - b.consumed;
  const uint64_t dropped = a.total_drops() - b.total_drops();
  FUZZ_CHECK(answered + consumed + dropped == f.fed);
  uint64_t refused = 0;
  for (int r = 0; r < runtime::kNumDropReasons; r++) {
    const auto reason = static_cast<DropReason>(r);
    if (parse_level(reason)) FUZZ_CHECK(a.drops[r] - b.drops[r] == f.refused[r]);
    refused += f.refused[r];
  }
  FUZZ_CHECK(a.answered_as(ReplyKind::arp) - b.answered_as(ReplyKind::arp) == f.arp_requests);
  FUZZ_CHECK(a.answered_as(ReplyKind::icmp_echo) - b.answered_as(ReplyKind::icmp_echo) == f.icmp);
  const uint64_t unused =
      a.dropped_for(DropReason::arp_reply_unused) - b.dropped_for(DropReason::arp_reply_unused);
  FUZZ_CHECK(unused == (client ? 0 : f.arp_replies));
  // What reached TCP is answered (a TCP reply), consumed or dropped for a TCP
  // or runtime reason; in client mode ARP replies are consumed too.
  FUZZ_CHECK(answered - f.arp_requests - f.icmp + consumed + dropped - refused - unused ==
             f.tcp + (client ? f.arp_replies : 0));
  FUZZ_CHECK(f.answered_in_place == answered);
  FUZZ_CHECK(a.rejected - b.rejected <= answered);
  FUZZ_CHECK(a.tx_no_mbuf == b.tx_no_mbuf && a.tx_dropped == b.tx_dropped);
}

// No frame is counted by clock-driven work.
void check_nothing_received(const Tally& b, const Tally& a) {
  FUZZ_CHECK(a.rx_packets == b.rx_packets && a.consumed == b.consumed);
  FUZZ_CHECK(a.total_answered() == b.total_answered() && a.total_drops() == b.total_drops());
  FUZZ_CHECK(a.tx_no_mbuf == b.tx_no_mbuf && a.tx_dropped == b.tx_dropped);
}

struct Peer {
  uint32_t seq = 0;         // our next sequence number
  uint32_t ack = 0;         // the engine's next sequence number, as last seen
  uint32_t ts = 1;          // our TSval clock
  uint32_t echo = 0;        // the engine's last TSval, to echo
  uint32_t iss = 0;         // the engine's ISS, from its last SYN-ACK
  uint32_t iss_before = 0;  // the one before it
  bool iss_known = false;
};

// Client mode: one connection the engine opened, as its server sees it.
struct ServerSide {
  uint32_t ip = 0;          // the engine's source address (one of a range)
  uint16_t port = 0;        // and port
  uint32_t engine_isn = 0;  // from its SYN
  uint32_t srv_isn = 0;     // our SYN's sequence number, once we sent one
  bool srv_syn = false;
  Peer peer;
  ServerStream stream;
  bool composed = false;
  uint32_t sent_hi = 0;  // one past the furthest stream byte we sent
  bool fin_sent = false;
};

wire::MacAddr to_wire(const testing::Mac& m) {
  wire::MacAddr w;
  std::memcpy(w.b, m.b, 6);
  return w;
}
testing::Mac to_test(const wire::MacAddr& m) {
  testing::Mac t;
  std::memcpy(t.b, m.b, 6);
  return t;
}
uint64_t mac_key(const uint8_t* b) {
  uint64_t k = 0;
  for (int i = 0; i < 6; i++) k = k << 8 | b[i];
  return k;
}

class Program {
 public:
  Program(const WorkerSetup& s, ByteReader& in)
      : in_(in), glue_(s), client_(s.client), in_use_at_start_(WorkerGlue::mbufs_in_use()) {
    rq_.request = glue_.config().client.request;
    rq_.last_request = glue_.config().client.last_request;
    rq_.requests_per_connection = s.requests_per_connection;
    rq_.active_close = s.active_close;
    for (uint32_t i = 0; i < s.requests_per_connection; i++) {
      const auto& r = i + 1 == s.requests_per_connection && !rq_.last_request.empty()
                          ? rq_.last_request
                          : rq_.request;
      request_stream_.insert(request_stream_.end(), r.begin(), r.end());
    }
    pump();
  }

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
          if (client_)
            server_segment();
          else
            tcp_segment();
          break;
        case 4:
          flush_burst();
          break;
        case 5: {
          flush_burst();
          now_ms_ += (op & 8) ? uint64_t{in_.u16()} * 1000 : in_.u16();
          const Tally before = glue_.tally();
          glue_.tick(now_ms_);
          drain(nullptr);
          check_nothing_received(before, glue_.tally());
          pump();
          break;
        }
        case 6:
          flush_burst();
          if (op & 8)
            glue_.rotate_secret(in_.u64(), now_ms_ / 1000);
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
  const runtime::RuntimeConfig& cfg() const { return glue_.config(); }
  bool ours(uint32_t ip) const { return ip >= cfg().ip && ip <= cfg().ip_last; }

  // ---- frames --------------------------------------------------------------

  static uint32_t peer_ip(uint8_t i) { return 0xC6120100u + 1 + ((i >> 4) & 3); }  // 198.18.1.x
  static testing::Mac peer_mac(uint8_t i) {
    return testing::Mac{
        {0x02, 0, 0, 0, static_cast<uint8_t>((i >> 4) & 3), static_cast<uint8_t>(i & 15)}};
  }
  static testing::Mac target_mac(uint8_t i) {  // client mode: the MACs the target may announce
    return testing::Mac{{0x02, 0, 0, 1, 0x64, static_cast<uint8_t>(i & 1)}};
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
      testing::put32(&f[30], kEngineIp);
    }
    if (op & 8) fix_checksums(f.data(), f.size());
    add(f);
  }

  // The flags, numbers, options and damage of a segment, in the input's
  // order; `payload_at` gives its payload bytes from its sequence number.
  template <class PayloadAt>
  Bytes segment_from(Peer& peer, uint8_t flags, const testing::Mac& src_mac, uint32_t src_ip,
                     uint32_t dst_ip, uint16_t sport, uint16_t dport, PayloadAt payload_at) {
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
    testing::TcpSpec s(sport, dport, seq, ack, flags);
    testing::FrameBuilder fb;
    if (modes & 32) {
      const uint8_t o = in_.u8();
      switch (o & 3) {
        case 1:  // what a Linux client puts on its SYN
          s.opts = testing::opt::linux_syn(peer.ts, peer.echo);
          break;
        case 2:
          s.opts = testing::opt::ts_only(peer.ts, peer.echo);
          break;
        case 3: {  // raw bytes
          size_t n = 0;
          const uint8_t* p = in_.take(in_.u8() % 41, &n);
          s.opts.assign(p, p + n);
          break;
        }
        default:
          break;
      }
      static constexpr uint16_t kWnd[] = {65535, 0, 1, 512};
      s.wnd = kWnd[(o >> 2) & 3];
      if (o & 16) {  // IP options (RFC 791 3.1), raw
        size_t n = 0;
        const uint8_t* p = in_.take(in_.u8() % 41, &n);
        fb.ip_opts.assign(p, p + n);
      }
    }
    peer.ts += 1 + (modes >> 6);
    s.payload = payload_at(seq, payload);
    if (!(flags & kRst))
      peer.seq = seq + payload + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
    fb.dst_mac = to_test(WorkerGlue::mac());
    fb.src_mac = src_mac;
    fb.src_ip = src_ip;
    fb.dst_ip = dst_ip;
    fb.tcp(s);
    Bytes f = fb.build();
    if (modes & 64) {  // corrupted in flight
      const uint16_t at = in_.u16();
      f[at % f.size()] ^= static_cast<uint8_t>(in_.u8() | 1);
    }
    if (modes & 128) f.resize(1 + in_.u16() % f.size());  // cut short
    return f;
  }

  void tcp_segment() {
    const uint8_t who = in_.u8();
    Peer& peer = peers_[who];
    const uint8_t flags = in_.u8();
    Bytes f = segment_from(peer, flags, peer_mac(who), peer_ip(who), kEngineIp,
                           static_cast<uint16_t>(40000 + (who & 15)), kPorts[(who >> 6) & 3],
                           [](uint32_t, uint16_t len) {
                             Bytes p(len, 'x');
                             for (size_t i = 0; i < 5 && i < p.size(); i++) p[i] = "GET /"[i];
                             return p;
                           });
    add(f);
  }

  // Client mode: the target answers the who-th connection the engine opened
  // (or a port it never used, when there is none yet).
  void server_segment() {
    const uint8_t who = in_.u8();
    const uint8_t flags = in_.u8();
    ServerSide* c = nullptr;
    if (!conn_order_.empty()) c = &conns_[conn_order_[who % conn_order_.size()]];
    const uint32_t dst_ip = c ? c->ip : kEngineIp;
    ServerSide& sv = c ? *c : stray_;
    if (c && !sv.composed) {
      sv.stream.compose(in_, rq_);
      sv.composed = true;
    }
    if ((flags & kSyn) && !sv.srv_syn) sv.peer.seq = 9000 + 100000u * (who & 7);
    const bool syn = (flags & kSyn) && !(flags & kRst);
    Bytes f = segment_from(sv.peer, flags, target_mac(who >> 7), kTargetIp, dst_ip, kTargetPort,
                           c ? sv.port : kStrayPort, [&sv, syn](uint32_t seq, uint16_t len) {
                             // Our SYN's number starts the stream: its data is at ISN + 1.
                             if (syn && !sv.srv_syn) {
                               sv.srv_syn = true;
                               sv.srv_isn = seq;
                             }
                             Bytes p(len);
                             const auto off =
                                 static_cast<int32_t>(seq + (syn ? 1 : 0) - (sv.srv_isn + 1));
                             sv.stream.copy(sv.srv_syn ? off : -1000000, p.data(), len);
                             // How far into the stream we have sent (a bound:
                             // the bytes before may not all have gone).
                             const int64_t end = int64_t{off} + len;
                             if (sv.srv_syn && end > int64_t{sv.sent_hi})
                               sv.sent_hi = static_cast<uint32_t>(end);
                             return p;
                           });
    if ((flags & kFin) && !(flags & kRst)) sv.fin_sent = true;
    add(f);
  }

  void arp_or_icmp(uint8_t op) {
    const uint8_t who = in_.u8();
    const bool from_target = client_ && (who & 0x80);
    const testing::Mac src = from_target ? target_mac(who) : peer_mac(who);
    const uint32_t src_ip = from_target ? kTargetIp : peer_ip(who);
    const bool broadcast = (op & 16) != 0;
    const uint32_t target = (op & 32) ? in_.u32() : kEngineIp;
    testing::Mac dst =
        broadcast ? testing::Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} : to_test(WorkerGlue::mac());
    if (!(op & 8)) {  // RFC 826 request, or reply
      testing::ArpSpec a;
      a.eth_dst = dst;
      // Sent from another station than the one it names (a proxy, a bridge).
      a.eth_src = (op & 128) ? peer_mac(who) : src;
      a.op = (op & 64) ? 2 : 1;
      a.sha = src;
      a.spa = src_ip;
      if (a.op == 2) a.tha = to_test(WorkerGlue::mac());
      a.tpa = target;
      add(a.build());
      return;
    }
    // RFC 792 echo request with a little data.
    const uint16_t data_len = in_.u8();
    testing::FrameBuilder fb;
    fb.dst_mac = dst;
    fb.src_mac = src;
    fb.src_ip = src_ip;
    fb.dst_ip = target;
    fb.id = in_.u16();
    const uint16_t ident = in_.u16();
    const uint16_t seq = in_.u16();
    Bytes data(data_len);
    for (uint16_t i = 0; i < data_len; i++) data[i] = static_cast<uint8_t>(i);
    fb.icmp(ident, seq, data);
    add(fb.build());
  }

  // Classifies a frame as the worker will (parse, then TCP header and
  // options) and queues it for the next burst.
  void add(const std::vector<uint8_t>& f) {
    if (f.empty() || f.size() > kMaxFrame) return;
    // What a NIC with RX checksum offload would say it verified.
    bool ip_good = false, l4_good = false;
    if (f.size() >= 34 && be16(&f[12]) == 0x0800) {
      const uint8_t* ip = &f[14];
      const size_t ihl = (ip[0] & 0xf) * 4u, total = be16(ip + 2);
      if ((ip[0] >> 4) == 4 && ihl >= 20 && 14 + ihl <= f.size()) {
        ip_good = sum_ok(ones_sum(ip, ihl));
        if (total >= ihl && 14 + total <= f.size()) {
          const uint8_t* l4 = ip + ihl;
          const size_t l4_len = total - ihl;
          if (ip[9] == 6 && l4_len >= 20)
            l4_good = sum_ok(ones_sum(l4, l4_len, tcp_pseudo_sum(ip, l4_len)));
          else if (ip[9] == 1 && l4_len >= 8)
            l4_good = sum_ok(ones_sum(l4, l4_len));
        }
      }
    }
    rte_mbuf* m = glue_.frame(f.data(), static_cast<uint16_t>(f.size()), ip_good, l4_good);
    FUZZ_CHECK(m != nullptr);  // W4 keeps the pool full between bursts
    wire::ParseContext pc = glue_.parse_context();
    if (glue_.setup().rx_csum_offload) {
      pc.ip_csum_verified = ip_good;
      pc.l4_csum_verified = l4_good;
    }
    wire::Frame fr;
    const wire::ParseError e = wire::parse_frame(f.data(), static_cast<uint32_t>(f.size()), pc, fr);
    Fed fed{m, Class::kRefused, DropReason::truncated};
    if (e != wire::ParseError::kOk) {
      fed.reason = runtime::drop_reason(e);
    } else {
      seen_macs_.insert(mac_key(fr.src_mac.b));
      seen_ips_.insert(fr.src_ip);
      switch (fr.kind) {
        case wire::FrameKind::kArpRequest:
        case wire::FrameKind::kArpReply: {
          const bool request = fr.kind == wire::FrameKind::kArpRequest;
          fed.c = request ? Class::kArpRequest : Class::kArpReply;
          if (request)
            seen_macs_.insert(mac_key(&f[14 + 8]));  // the reply goes to the sender's MAC
          // RFC 826 merge: a reply, or a request for us, tells the sender's
          // hardware address (the ARP field, which Linux's neigh_update takes).
          const bool usable = (f[14 + 8] & 1) == 0 && mac_key(&f[14 + 8]) != 0;
          if (client_ && fr.src_ip == kTargetIp && usable) announced_.insert(mac_key(&f[14 + 8]));
          break;
        }
        case wire::FrameKind::kIcmpEcho:
          fed.c = Class::kIcmp;
          break;
        case wire::FrameKind::kTcp: {
          tcp::Segment seg;
          const tcp::Drop d = tcp::parse_segment(f.data() + fr.l4_off, fr.l4_len, seg);
          if (d != tcp::Drop::kNone) {
            fed.reason = runtime::drop_reason(d);
          } else {
            fed.c = Class::kTcp;
            seen_tuples_.insert({fr.src_ip, seg.src_port});
            our_ports_.insert(seg.dst_port);
          }
        }
      }
    }
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (on) {
      const Decoded d = testing::decode_frame(f.data(), f.size());
      std::fprintf(stderr, "    rx %s%s\n", testing::describe(d).c_str(),
                   fed.c == Class::kRefused ? " (refused)" : "");
    }
    burst_.push_back(fed);
    if (burst_.size() == kMaxBurst) flush_burst();
  }

  // ---- bursts, replies, time -------------------------------------------------

  void flush_burst() {
    if (burst_.empty()) return;
    BurstFacts f;
    f.fed = burst_.size();
    std::vector<rte_mbuf*> pkts;
    for (const Fed& x : burst_) {
      pkts.push_back(x.m);
      switch (x.c) {
        case Class::kRefused:
          f.refused[static_cast<int>(x.reason)]++;
          break;
        case Class::kArpRequest:
          f.arp_requests++;
          break;
        case Class::kArpReply:
          f.arp_replies++;
          break;
        case Class::kIcmp:
          f.icmp++;
          break;
        case Class::kTcp:
          f.tcp++;
          break;
      }
    }
    // A reply written over its frame reuses the frame's mbuf. The pool has no
    // cache and hands mbufs out in FIFO order from thousands, so no mbuf freed
    // during the burst comes back from an allocation in it: pointer identity
    // says which frame a reply answers.
    FUZZ_CHECK(WorkerGlue::mbufs_free() > 1024);
    fed_ = burst_;
    burst_.clear();
    const Tally before = glue_.tally();
    glue_.burst(pkts.data(), static_cast<uint16_t>(pkts.size()), now_ms_);
    drain(&f);
    const Tally after = glue_.tally();
    trace(f, before, after);
    check_accounting(before, after, f, client_);
    fed_.clear();
    pump();
  }

  // Client mode: the lcore loop's pump at the current time (then its TX).
  void pump() {
    if (!client_) return;
    const Tally before = glue_.tally();
    glue_.pump(now_ms_);
    drain(nullptr);
    const Tally after = glue_.tally();
    check_nothing_received(before, after);
  }

  // SYNACK_FUZZ_TRACE=1 prints each burst's facts and counters.
  void trace(const BurstFacts& f, const Tally& b, const Tally& a) const {
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (!on) return;
    uint64_t refused = 0;
    for (uint64_t r : f.refused) refused += r;
    std::fprintf(stderr,
                 "t=%llu burst fed=%llu refused=%llu arp=%llu/%llu icmp=%llu tcp=%llu | "
                 "answered=%llu consumed=%llu dropped=%llu | established=%llu closed=%llu "
                 "reset=%llu flows=%u tw=%u\n",
                 static_cast<unsigned long long>(now_ms_), static_cast<unsigned long long>(f.fed),
                 static_cast<unsigned long long>(refused),
                 static_cast<unsigned long long>(f.arp_requests),
                 static_cast<unsigned long long>(f.arp_replies),
                 static_cast<unsigned long long>(f.icmp), static_cast<unsigned long long>(f.tcp),
                 static_cast<unsigned long long>(a.total_answered() - b.total_answered()),
                 static_cast<unsigned long long>(a.consumed - b.consumed),
                 static_cast<unsigned long long>(a.total_drops() - b.total_drops()),
                 static_cast<unsigned long long>(a.connections_established),
                 static_cast<unsigned long long>(a.connections_closed),
                 static_cast<unsigned long long>(a.connections_reset), glue_.flows_in_use(),
                 glue_.time_wait_in_use());
  }

  // Takes every transmitted frame off the ring, checks it (W3) and lets the
  // peers learn from it; then W4 and W6.
  void drain(BurstFacts* f) {
    std::set<const rte_mbuf*> reused;
    while (rte_mbuf* m = WorkerGlue::sent()) {
      for (const Fed& x : fed_) {
        if (x.m != m) continue;
        FUZZ_CHECK(f != nullptr && x.c != Class::kRefused && reused.insert(m).second);
        f->answered_in_place++;
      }
      check_sent(WorkerGlue::bytes(m), WorkerGlue::length(m));
      WorkerGlue::release(m);
    }
    FUZZ_CHECK(WorkerGlue::mbufs_in_use() == in_use_at_start_);
    FUZZ_CHECK(glue_.flows_in_use() <= cfg().max_flows);
    FUZZ_CHECK(glue_.time_wait_in_use() <= cfg().max_time_wait);
    if (client_) {
      const Tally t = glue_.tally();
      FUZZ_CHECK(glue_.flows_in_use() <= cfg().client.concurrency);
      FUZZ_CHECK(t.connections_started <= cfg().client.connections);
    }
  }

  void check_sent(const uint8_t* p, uint16_t n) {
    const Decoded d = testing::decode_frame(p, n);
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (on) std::fprintf(stderr, "    tx %s\n", testing::describe(d).c_str());
    FUZZ_CHECK(d.ok);
    FUZZ_CHECK(to_wire(d.eth_src) == WorkerGlue::mac());
    if (d.arp) return check_arp(d);
    FUZZ_CHECK(d.ip_csum_ok && ours(d.ip_src) && d.ip_ihl == 20 && (d.ip_frag & 0x3fff) == 0);
    if (d.icmp) {
      // RFC 792 echo reply, to the asker.
      FUZZ_CHECK(d.icmp_type == 0 && d.icmp_code == 0);
      FUZZ_CHECK(seen_macs_.count(mac_key(d.eth_dst.b)) == 1 && seen_ips_.count(d.ip_dst) == 1);
      // Even for an all-zero echo request (regressions/fuzz_worker/icmp-echo-all-zero-checksum).
      FUZZ_CHECK(d.icmp_csum_ok);
      return;
    }
    FUZZ_CHECK(d.tcp && d.tcp_csum_ok && !d.opts.malformed);
    FUZZ_CHECK(!(d.has(kSyn) && d.has(kFin | kRst)));
    if (d.has(kRst)) FUZZ_CHECK(d.payload.empty() && d.opts.kinds.empty());
    if (!d.has(kRst) && !(d.has(kSyn) && !d.has(kAck))) FUZZ_CHECK(d.has(kAck));
    if (client_)
      check_client_tcp(d);
    else
      check_server_tcp(d);
  }

  void check_arp(const Decoded& d) {
    if (d.arp_op == 1) {  // client mode: our request for the next hop (RFC 826)
      FUZZ_CHECK(client_);
      FUZZ_CHECK(d.eth_dst == (testing::Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}));
      FUZZ_CHECK(to_wire(d.arp_sha) == WorkerGlue::mac() && d.arp_spa == kEngineIp);
      FUZZ_CHECK(d.arp_tpa == kTargetIp);
      FUZZ_CHECK(arp_requests_ == 0 || now_ms_ - last_arp_ms_ >= kArpRetryMs);
      arp_requests_++;
      last_arp_ms_ = now_ms_;
      return;
    }
    // RFC 826 reply: from us, for the address asked, to the asker.
    FUZZ_CHECK(d.arp_op == 2);
    FUZZ_CHECK(to_wire(d.arp_sha) == WorkerGlue::mac() && ours(d.arp_spa));
    FUZZ_CHECK(d.eth_dst == d.arp_tha && seen_macs_.count(mac_key(d.arp_tha.b)) == 1);
    FUZZ_CHECK(seen_ips_.count(d.arp_tpa) == 1 || d.arp_tpa == 0);  // 0: an RFC 5227 probe
  }

  void check_server_tcp(const Decoded& d) {
    FUZZ_CHECK(seen_macs_.count(mac_key(d.eth_dst.b)) == 1);
    FUZZ_CHECK(our_ports_.count(d.sport) == 1);
    FUZZ_CHECK(seen_tuples_.count({d.ip_dst, d.dport}) == 1);
    if (d.has(kSyn)) FUZZ_CHECK(d.has(kAck) && d.opts.mss);
    // The peer learns the engine's numbers from what it is sent.
    Peer* peer = nullptr;
    for (int who = 0; who < 256; who++) {
      if (peer_ip(static_cast<uint8_t>(who)) != d.ip_dst || 40000 + (who & 15) != d.dport) continue;
      if (kPorts[(who >> 6) & 3] != d.sport) continue;
      peer = &peers_[who];
      if (!d.has(kRst)) peer->ack = d.seq + d.seg_len();
      if (d.opts.ts) peer->echo = d.opts.ts_val;
      if (d.has(kSyn)) {
        peer->iss_before = peer->iss_known ? peer->iss : d.seq;
        peer->iss = d.seq;
        peer->iss_known = true;
      }
    }
    // One connection per tuple at a time (RFC 9293 3.10.7: a segment is
    // processed in arrival order against the TCB it finds): after a SYN-ACK,
    // the tuple's ACK-bearing segments belong to the connection it opened.
    // A zero-window probe (RFC 9293 3.8.6.1, as Linux's tcp_xmit_probe_skb)
    // is a bare ACK at SND.UNA - 1, which is ISS itself before any byte is
    // acknowledged.
    if (peer != nullptr && peer->iss_known && !d.has(kSyn) && !d.has(kRst) &&
        !(d.payload.empty() && !d.has(kFin) && d.seq == peer->iss))
      FUZZ_CHECK(d.seq - (peer->iss + 1) <= (1u << 30));
    if (!d.payload.empty()) {
      // The response over and over (one per request with a passive close):
      // its bytes run 'a'..'z' from its start, at ISS + 1 + k * length.
      const uint32_t n = static_cast<uint32_t>(cfg().response.size());
      FUZZ_CHECK(n != 0 && peer != nullptr && peer->iss_known);
      const uint32_t off = d.seq - (peer->iss + 1);
      for (size_t i = 0; i < d.payload.size(); i++)
        FUZZ_CHECK(d.payload[i] == cfg().response[(off + i) % n]);
    }
  }

  void check_client_tcp(const Decoded& d) {
    // To the target: what the schedule and timers send at a MAC its ARP
    // reply announced, answers in place at the MAC the segment came from.
    FUZZ_CHECK(d.ip_dst == kTargetIp && d.dport == kTargetPort);
    const uint64_t dst = mac_key(d.eth_dst.b);
    FUZZ_CHECK(announced_.count(dst) == 1 || seen_macs_.count(dst) == 1);
    const uint64_t key = uint64_t{d.ip_src} << 16 | d.sport;
    auto it = conns_.find(key);
    if (d.has(kSyn)) {
      FUZZ_CHECK(d.sport >= 1024);
      if (!d.has(kAck)) FUZZ_CHECK(announced_.count(dst) == 1);  // never before the ARP reply
      // RFC 9293 3.10.1 with RFC 7323 and RFC 2018: our SYN offers every
      // option (a SYN-ACK, after a simultaneous open, only the peer's).
      FUZZ_CHECK(d.opts.mss);
      if (!d.has(kAck)) FUZZ_CHECK(d.opts.ws && d.opts.sack_perm && d.opts.ts);
      if (it == conns_.end() || it->second.engine_isn != d.seq) {
        ServerSide s;
        s.ip = d.ip_src;
        s.port = d.sport;
        s.engine_isn = d.seq;
        s.peer.seq = 9000;
        if (it == conns_.end()) conn_order_.push_back(key);
        conns_[key] = s;
        it = conns_.find(key);
      }
    }
    if (it == conns_.end()) {
      FUZZ_CHECK(d.has(kRst));  // a RST for a segment on no connection of ours
      return;
    }
    ServerSide& s = it->second;
    if (!d.payload.empty()) {
      // The request stream at this sequence number (RFC 9112: the request bytes).
      const uint32_t off = d.seq - (s.engine_isn + 1);
      FUZZ_CHECK(uint64_t{off} + d.payload.size() <= request_stream_.size());
      FUZZ_CHECK(std::memcmp(d.payload.data(), request_stream_.data() + off, d.payload.size()) ==
                 0);
    }
    if (!d.has(kRst)) s.peer.ack = d.seq + d.seg_len();
    if (d.opts.ts) s.peer.echo = d.opts.ts_val;
  }

  // W5 and the client's part of W6: move the clock past every timer a flow
  // can have (the longest chain is idle 300 s, or RTO backoff up to
  // rto_max_ms per retry); the schedule is not pumped, so nothing new opens.
  void run_out_timers() {
    const uint64_t step = cfg().endpoint.time_wait_ms < 1000 ? 500 : 30000;
    for (int i = 0; i < 400 && (glue_.flows_in_use() > 0 || glue_.time_wait_in_use() > 0); i++) {
      now_ms_ += step;
      const Tally before = glue_.tally();
      glue_.tick(now_ms_);
      drain(nullptr);
      check_nothing_received(before, glue_.tally());
    }
    FUZZ_CHECK(glue_.flows_in_use() == 0);
    FUZZ_CHECK(glue_.time_wait_in_use() == 0);
    FUZZ_CHECK(WorkerGlue::mbufs_in_use() == in_use_at_start_);
    const Tally t = glue_.tally();
    static const bool on = std::getenv("SYNACK_FUZZ_TRACE") != nullptr;
    if (on)
      std::fprintf(
          stderr,
          "t=%llu timers run out: established=%llu closed=%llu reset=%llu tw=%llu/%llu "
          "started=%llu completed=%llu failed=%llu requests=%llu responses=%llu arp=%llu\n",
          static_cast<unsigned long long>(now_ms_),
          static_cast<unsigned long long>(t.connections_established),
          static_cast<unsigned long long>(t.connections_closed),
          static_cast<unsigned long long>(t.connections_reset),
          static_cast<unsigned long long>(t.time_wait_entered),
          static_cast<unsigned long long>(t.time_wait_ended),
          static_cast<unsigned long long>(t.connections_started),
          static_cast<unsigned long long>(t.connections_completed),
          static_cast<unsigned long long>(t.total_failed()),
          static_cast<unsigned long long>(t.requests_sent),
          static_cast<unsigned long long>(t.responses_received),
          static_cast<unsigned long long>(t.arp_requests_sent));
    FUZZ_CHECK(t.connections_established == t.connections_closed + t.connections_reset);
    FUZZ_CHECK(t.time_wait_entered == t.time_wait_ended);
    if (!client_) return;
    FUZZ_CHECK(t.connections_started == t.connections_completed + t.total_failed());
    // What the server sent bounds what could have been received whole.
    uint64_t could_complete = 0, whole = 0;
    for (const auto& [port, s] : conns_) {
      uint64_t n = 0;
      for (const Piece& p : s.stream.pieces()) {
        // A body delimited by the close ends wherever our FIN comes.
        if (p.until_close ? !s.fin_sent : s.sent_hi < p.end) break;
        n++;
      }
      whole += n;
      if (n >= rq_.requests_per_connection) could_complete++;
    }
    FUZZ_CHECK(t.responses_received <= whole);
    FUZZ_CHECK(t.connections_completed <= could_complete);
    FUZZ_CHECK(t.requests_sent <= t.connections_started * rq_.requests_per_connection);
  }

  ByteReader& in_;
  WorkerGlue glue_;
  const bool client_;
  const unsigned in_use_at_start_;
  uint64_t now_ms_ = 1;
  Peer peers_[256];
  std::vector<Fed> burst_;
  std::vector<Fed> fed_;
  std::set<uint64_t> seen_macs_;
  std::set<uint32_t> seen_ips_;
  std::set<std::pair<uint32_t, uint16_t>> seen_tuples_;
  std::set<uint16_t> our_ports_;
  // Client mode.
  tcp::RequesterConfig rq_;
  std::vector<uint8_t> request_stream_;
  std::map<uint64_t, ServerSide> conns_;  // by the engine's address << 16 | port
  std::vector<uint64_t> conn_order_;
  ServerSide stray_;              // segments to a port the engine never used
  std::set<uint64_t> announced_;  // MACs the target's ARP replies gave
  uint64_t arp_requests_ = 0;
  uint64_t last_arp_ms_ = 0;
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
