// synflood: a small, bounded SYN-flood generator for tests and benchmarks.
//
// Sends Ethernet/IPv4/TCP SYN frames over an AF_PACKET socket, or writes them
// to a classic pcap file. Deliberately constrained: every address it emits
// must lie in 198.18.0.0/15 (RFC 2544 benchmarking space), and every run is
// bounded by a frame count and/or a duration. Only libc and the STL are used
// so it builds anywhere without DPDK.

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

// Test traffic may only use the benchmarking block 198.18.0.0/15.
constexpr uint32_t kSafeNet = 0xC6120000u;  // 198.18.0.0
constexpr int kSafePrefix = 15;

constexpr uint32_t kMinPort = 1024;
constexpr uint32_t kPortSpan = 65536 - kMinPort;  // 1024..65535 inclusive

constexpr double kMaxDurationS = 600.0;
constexpr uint64_t kMaxCount = 1000000000ull;
constexpr uint64_t kMaxRatePps = 100000000ull;

constexpr size_t kBatch = 64;  // frames per sendmmsg call
constexpr size_t kEthLen = 14;
constexpr size_t kIpLen = 20;
constexpr size_t kTcpLen = 20;
constexpr size_t kOptLen = 20;  // MSS + SACK_PERM + TS + NOP + WS
constexpr size_t kMaxFrame = kEthLen + kIpLen + kTcpLen + kOptLen;

constexpr int kExitUsage = 2;
constexpr int kExitRuntime = 1;

using Mac = std::array<uint8_t, 6>;

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "synflood: %s (see --help)\n", msg.c_str());
  std::exit(kExitUsage);
}

[[noreturn]] void runtime_error(const std::string& msg) {
  std::fprintf(stderr, "synflood: %s: %s\n", msg.c_str(), std::strerror(errno));
  std::exit(kExitRuntime);
}

// Explicit big-endian stores: packet memory is never aliased as host ints,
// so there are no alignment or strict-aliasing hazards.
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

void put_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void put_le32(uint8_t* p, uint32_t v) {
  put_le16(p, static_cast<uint16_t>(v));
  put_le16(p + 2, static_cast<uint16_t>(v >> 16));
}

// splitmix64: tiny, fast, and good enough to spread keys and per-frame fields.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double mono_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_s(double s) {
  if (s <= 0) return;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(s);
  ts.tv_nsec = static_cast<long>((s - static_cast<double>(ts.tv_sec)) * 1e9);
  nanosleep(&ts, nullptr);  // EINTR is fine: callers re-check their bounds
}

// ---------------------------------------------------------------------------
// Parsing of values
// ---------------------------------------------------------------------------

// Strict unsigned parse: the whole string must be a number within [lo, hi].
uint64_t parse_u64(const std::string& name, const std::string& v, uint64_t lo, uint64_t hi) {
  if (v.empty() || v[0] == '-' || v[0] == '+')
    usage_error("--" + name + ": bad number '" + v + "'");
  errno = 0;
  char* end = nullptr;
  // Base 10 only; accept "1e9"-style via strtod fallback so --count=1e6 works.
  unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (*end != '\0') {
    char* dend = nullptr;
    double d = std::strtod(v.c_str(), &dend);
    if (*dend != '\0' || d < 0 || d != static_cast<double>(static_cast<uint64_t>(d)))
      usage_error("--" + name + ": bad number '" + v + "'");
    x = static_cast<unsigned long long>(d);
  } else if (errno == ERANGE) {
    usage_error("--" + name + ": number out of range '" + v + "'");
  }
  if (x < lo || x > hi)
    usage_error("--" + name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "]");
  return x;
}

double parse_seconds(const std::string& name, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= 0) || d > kMaxDurationS)
    usage_error("--" + name + " must be a number of seconds in [0, 600]");
  return d;
}

std::optional<uint32_t> parse_ipv4(const std::string& v) {
  in_addr a{};
  if (inet_pton(AF_INET, v.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

Mac parse_mac(const std::string& name, const std::string& v) {
  Mac m{};
  unsigned b[6];
  char tail;
  if (std::sscanf(v.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6)
    usage_error("--" + name + ": bad MAC '" + v + "'");
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
  return m;
}

uint32_t prefix_mask(int prefix) {
  return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

// True when [addr/prefix] is entirely inside 198.18.0.0/15.
bool inside_safe_net(uint32_t addr, int prefix) {
  return prefix >= kSafePrefix && (addr & prefix_mask(kSafePrefix)) == kSafeNet;
}

struct Cidr {
  uint32_t net = 0;
  int prefix = 32;
};

Cidr parse_cidr(const std::string& v) {
  auto slash = v.find('/');
  std::string ip = v.substr(0, slash);
  int prefix = 32;
  if (slash != std::string::npos)
    prefix = static_cast<int>(parse_u64("src_net prefix", v.substr(slash + 1), 0, 32));
  auto addr = parse_ipv4(ip);
  if (!addr) usage_error("--src_net: bad network '" + v + "'");
  return Cidr{*addr & prefix_mask(prefix), prefix};
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

struct Options {
  std::string iface;
  std::string pcap;
  std::optional<Mac> dst_mac;
  std::optional<Mac> src_mac;  // nullopt == auto
  uint32_t dst_ip = 0;
  bool have_dst_ip = false;
  uint16_t dst_port = 0;
  Cidr src_net{0xC6128000u, 17};  // 198.18.128.0/17
  double duration_s = 10.0;
  std::optional<uint64_t> count;
  uint64_t rate_pps = 0;
  uint64_t seed = 1;
  bool with_options = true;
};

void print_usage() {
  std::printf(
      "usage:\n"
      "  synflood --iface=IF --dst_mac=MAC --dst_ip=IP --dst_port=PORT [options]\n"
      "  synflood --pcap=PATH --count=N --dst_mac=MAC --dst_ip=IP --dst_port=PORT [options]\n"
      "\n"
      "Sends (or writes to a pcap) Ethernet/IPv4/TCP SYN frames. All addresses must be\n"
      "inside 198.18.0.0/15. Stops at --count frames or --duration_s, whichever first.\n"
      "\n"
      "  --iface=IF           AF_PACKET interface to send on\n"
      "  --pcap=PATH          write a classic pcap instead of sending (needs --count)\n"
      "  --dst_mac=MAC        destination MAC aa:bb:cc:dd:ee:ff\n"
      "  --dst_ip=IP          destination IPv4 (inside 198.18.0.0/15)\n"
      "  --dst_port=PORT      destination TCP port (1..65535)\n"
      "  --src_net=CIDR       source network (default 198.18.128.0/17, inside 198.18.0.0/15)\n"
      "  --src_mac=MAC|auto   source MAC (auto: interface MAC; 02:00:00:00:00:01 in pcap mode)\n"
      "  --duration_s=S       time bound in seconds, 0..600 (default 10; 0 = none, needs --count)\n"
      "  --count=N            frame bound, 1..1e9\n"
      "  --rate_pps=R         pace to R frames/s (default 0 = as fast as possible)\n"
      "  --seed=N             PRNG seed (default 1)\n"
      "  --with_options=0|1   SYN carries MSS/SACK_PERM/TS/NOP/WS options (default 1)\n"
      "  --help               this text\n");
}

using Setter = void (*)(Options&, const std::string&);

const std::map<std::string_view, Setter>& setters() {
  static const std::map<std::string_view, Setter> table = {
      {"iface", [](Options& o, const std::string& v) { o.iface = v; }},
      {"pcap", [](Options& o, const std::string& v) { o.pcap = v; }},
      {"dst_mac", [](Options& o, const std::string& v) { o.dst_mac = parse_mac("dst_mac", v); }},
      {"src_mac",
       [](Options& o, const std::string& v) {
         if (v == "auto")
           o.src_mac.reset();
         else
           o.src_mac = parse_mac("src_mac", v);
       }},
      {"dst_ip",
       [](Options& o, const std::string& v) {
         auto a = parse_ipv4(v);
         if (!a) usage_error("--dst_ip: bad address '" + v + "'");
         o.dst_ip = *a;
         o.have_dst_ip = true;
       }},
      {"dst_port",
       [](Options& o, const std::string& v) {
         o.dst_port = static_cast<uint16_t>(parse_u64("dst_port", v, 1, 65535));
       }},
      {"src_net", [](Options& o, const std::string& v) { o.src_net = parse_cidr(v); }},
      {"duration_s",
       [](Options& o, const std::string& v) { o.duration_s = parse_seconds("duration_s", v); }},
      {"count",
       [](Options& o, const std::string& v) { o.count = parse_u64("count", v, 1, kMaxCount); }},
      {"rate_pps",
       [](Options& o, const std::string& v) {
         o.rate_pps = parse_u64("rate_pps", v, 0, kMaxRatePps);
       }},
      {"seed", [](Options& o, const std::string& v) { o.seed = parse_u64("seed", v, 0, ~0ull); }},
      {"with_options",
       [](Options& o, const std::string& v) {
         o.with_options = parse_u64("with_options", v, 0, 1) == 1;
       }},
  };
  return table;
}

// Cross-flag checks, including the network safety rule.
void validate(const Options& o) {
  if (o.iface.empty() == o.pcap.empty())
    usage_error("exactly one of --iface or --pcap is required");
  if (!o.dst_mac) usage_error("--dst_mac is required");
  if (!o.have_dst_ip) usage_error("--dst_ip is required");
  if (o.dst_port == 0) usage_error("--dst_port is required");
  if (!inside_safe_net(o.dst_ip, 32))
    usage_error("--dst_ip must be inside 198.18.0.0/15 (test traffic only)");
  if (!inside_safe_net(o.src_net.net, o.src_net.prefix))
    usage_error("--src_net must lie inside 198.18.0.0/15 (test traffic only)");
  if (!o.pcap.empty() && !o.count) usage_error("--pcap needs --count");
  if (o.duration_s == 0 && !o.count)
    usage_error("--duration_s=0 needs --count (a run must be bounded)");
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage();
      std::exit(0);
    }
    auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos)
      usage_error("expected --name=value, got '" + std::string(arg) + "'");
    auto name = arg.substr(2, eq - 2);
    auto it = setters().find(name);
    if (it == setters().end()) usage_error("unknown flag '--" + std::string(name) + "'");
    it->second(o, std::string(arg.substr(eq + 1)));
  }
  validate(o);
  return o;
}

// ---------------------------------------------------------------------------
// Source tuple selection
// ---------------------------------------------------------------------------

// Maps frame index -> (source IP, source port) through a keyed Feistel
// permutation over the tuple space. Sources look random yet never repeat until
// the whole space (hosts x 64512 ports) is used, so pcaps get distinct flows
// with O(1) memory and no rejection sampling.
class SourcePicker {
 public:
  SourcePicker(const Cidr& net, uint64_t seed) {
    uint64_t size = uint64_t{1} << (32 - net.prefix);
    // Skip the network and broadcast addresses where they exist (/0../30):
    // engines legitimately treat those as martians.
    if (net.prefix <= 30) {
      first_host_ = net.net + 1;
      hosts_ = size - 2;
    } else {
      first_host_ = net.net;
      hosts_ = size;
    }
    domain_ = hosts_ * kPortSpan;
    int bits = 1;
    while ((uint64_t{1} << bits) < domain_) ++bits;
    half_bits_ = (bits + 1) / 2;
    half_mask_ = (uint64_t{1} << half_bits_) - 1;
    uint64_t s = seed ^ 0x5EEDF00Dull;
    for (auto& k : keys_) k = splitmix64(s);
  }

  void pick(uint64_t index, uint32_t& ip, uint16_t& port) const {
    uint64_t x = index % domain_;
    // Cycle walking: the Feistel net permutes [0, 2^(2*half)); re-apply until
    // we land back inside [0, domain_). Expected < 4 rounds since 2^(2*half) < 4*domain_.
    do {
      x = feistel(x);
    } while (x >= domain_);
    ip = first_host_ + static_cast<uint32_t>(x / kPortSpan);
    port = static_cast<uint16_t>(kMinPort + x % kPortSpan);
  }

 private:
  uint64_t feistel(uint64_t x) const {
    uint64_t l = x >> half_bits_, r = x & half_mask_;
    for (uint64_t k : keys_) {
      uint64_t s = r ^ k;
      uint64_t f = splitmix64(s) & half_mask_;
      uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_bits_) | r;
  }

  uint32_t first_host_ = 0;
  uint64_t hosts_ = 0;
  uint64_t domain_ = 0;
  int half_bits_ = 0;
  uint64_t half_mask_ = 0;
  std::array<uint64_t, 4> keys_{};
};

// ---------------------------------------------------------------------------
// Frame construction
// ---------------------------------------------------------------------------

// RFC 1071 sum of big-endian 16-bit words (odd trailing byte padded with 0).
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) acc += uint32_t{p[n - 1]} << 8;
  return acc;
}

uint16_t fold_csum(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

struct Frame {
  std::array<uint8_t, kMaxFrame> bytes{};
  size_t len = 0;
};

// Per-flow fields that differ between frames.
struct SynFields {
  uint32_t src_ip;
  uint16_t src_port;
  uint32_t isn;
  uint16_t ip_id;
  uint32_t tsval;
};

struct FrameTemplate {
  Mac dst_mac;
  Mac src_mac;
  uint32_t dst_ip;
  uint16_t dst_port;
  bool with_options;
};

void write_eth(uint8_t* p, const FrameTemplate& t) {
  std::memcpy(p, t.dst_mac.data(), 6);
  std::memcpy(p + 6, t.src_mac.data(), 6);
  put_be16(p + 12, 0x0800);  // IPv4
}

void write_ipv4(uint8_t* p, const FrameTemplate& t, const SynFields& f, size_t l4_len) {
  p[0] = 0x45;  // v4, 20-byte header: no IP options
  p[1] = 0;     // DSCP/ECN
  put_be16(p + 2, static_cast<uint16_t>(kIpLen + l4_len));
  put_be16(p + 4, f.ip_id);
  put_be16(p + 6, 0x4000);  // DF, like Linux SYNs (PMTU discovery)
  p[8] = 64;                // TTL
  p[9] = 6;                 // TCP
  put_be16(p + 10, 0);      // checksum computed over zeroed field
  put_be32(p + 12, f.src_ip);
  put_be32(p + 16, t.dst_ip);
  put_be16(p + 10, fold_csum(sum16(p, kIpLen, 0)));
}

// Linux SYN option layout: MSS, SACK_PERM, TS, NOP, WS = exactly 20 bytes, so
// frames look like what the engine meets in the wild.
void write_syn_options(uint8_t* p, uint32_t tsval) {
  // MSS 1460 (kind 2, len 4).
  p[0] = 2;
  p[1] = 4;
  put_be16(p + 2, 1460);
  // SACK permitted (kind 4, len 2).
  p[4] = 4;
  p[5] = 2;
  // Timestamps (kind 8, len 10); TSecr is 0 on a SYN.
  p[6] = 8;
  p[7] = 10;
  put_be32(p + 8, tsval);
  put_be32(p + 12, 0);
  // NOP pads window scale to a 4-byte boundary.
  p[16] = 1;
  // Window scale 7 (kind 3, len 3).
  p[17] = 3;
  p[18] = 3;
  p[19] = 7;
}

void write_tcp(uint8_t* p, const FrameTemplate& t, const SynFields& f, size_t l4_len) {
  put_be16(p, f.src_port);
  put_be16(p + 2, t.dst_port);
  put_be32(p + 4, f.isn);
  put_be32(p + 8, 0);                               // no ACK on a SYN
  p[12] = static_cast<uint8_t>((l4_len / 4) << 4);  // data offset in 32-bit words
  p[13] = 0x02;                                     // SYN
  put_be16(p + 14, 64240);                          // Linux initial window (unscaled in SYN)
  put_be16(p + 16, 0);                              // checksum, computed below
  put_be16(p + 18, 0);                              // urgent pointer
  if (t.with_options) write_syn_options(p + kTcpLen, f.tsval);
}

// TCP checksum covers the IPv4 pseudo header plus the whole segment.
void fill_tcp_csum(uint8_t* tcp, uint32_t src_ip, uint32_t dst_ip, size_t l4_len) {
  uint32_t acc = 0;
  acc += (src_ip >> 16) + (src_ip & 0xFFFF);
  acc += (dst_ip >> 16) + (dst_ip & 0xFFFF);
  acc += 6;  // protocol
  acc += static_cast<uint32_t>(l4_len);
  put_be16(tcp + 16, fold_csum(sum16(tcp, l4_len, acc)));
}

void build_syn(Frame& fr, const FrameTemplate& t, const SynFields& f) {
  size_t l4_len = kTcpLen + (t.with_options ? kOptLen : 0);
  uint8_t* p = fr.bytes.data();
  write_eth(p, t);
  write_ipv4(p + kEthLen, t, f, l4_len);
  write_tcp(p + kEthLen + kIpLen, t, f, l4_len);
  fill_tcp_csum(p + kEthLen + kIpLen, f.src_ip, t.dst_ip, l4_len);
  fr.len = kEthLen + kIpLen + l4_len;
}

// Produces successive frames: distinct sources, random ISN / IP ID / TSval.
class SynGenerator {
 public:
  SynGenerator(const FrameTemplate& t, const Cidr& src_net, uint64_t seed)
      : tmpl_(t), picker_(src_net, seed), rng_(seed) {}

  void next(Frame& fr) {
    SynFields f{};
    picker_.pick(index_++, f.src_ip, f.src_port);
    uint64_t r1 = splitmix64(rng_), r2 = splitmix64(rng_);
    f.isn = static_cast<uint32_t>(r1);
    f.ip_id = static_cast<uint16_t>(r1 >> 32);
    f.tsval = static_cast<uint32_t>(r2);
    build_syn(fr, tmpl_, f);
  }

 private:
  FrameTemplate tmpl_;
  SourcePicker picker_;
  uint64_t rng_;
  uint64_t index_ = 0;
};

// ---------------------------------------------------------------------------
// pcap mode
// ---------------------------------------------------------------------------

// Classic pcap is little-endian on every host we care about; written with
// explicit LE stores so the file is identical regardless of host endianness.
void write_pcap_header(FILE* f) {
  uint8_t h[24];
  put_le32(h, 0xA1B2C3D4u);  // microsecond-resolution magic
  put_le16(h + 4, 2);        // version 2.4
  put_le16(h + 6, 4);
  put_le32(h + 8, 0);       // thiszone
  put_le32(h + 12, 0);      // sigfigs
  put_le32(h + 16, 65535);  // snaplen
  put_le32(h + 20, 1);      // LINKTYPE_ETHERNET
  if (std::fwrite(h, sizeof h, 1, f) != 1) runtime_error("pcap write");
}

void write_pcap_record(FILE* f, const Frame& fr, uint64_t usec) {
  uint8_t h[16];
  put_le32(h, static_cast<uint32_t>(usec / 1000000));
  put_le32(h + 4, static_cast<uint32_t>(usec % 1000000));
  put_le32(h + 8, static_cast<uint32_t>(fr.len));
  put_le32(h + 12, static_cast<uint32_t>(fr.len));
  if (std::fwrite(h, sizeof h, 1, f) != 1 || std::fwrite(fr.bytes.data(), fr.len, 1, f) != 1)
    runtime_error("pcap write");
}

int run_pcap(const Options& o, const FrameTemplate& t) {
  FILE* f = std::fopen(o.pcap.c_str(), "wb");
  if (!f) runtime_error("open " + o.pcap);
  write_pcap_header(f);
  SynGenerator gen(t, o.src_net, o.seed);
  // Deterministic timestamps (1 us apart) keep same-seed files byte-identical.
  const uint64_t base_usec = 1700000000ull * 1000000ull;
  Frame fr;
  for (uint64_t i = 0; i < *o.count; ++i) {
    gen.next(fr);
    write_pcap_record(f, fr, base_usec + i);
  }
  if (std::fclose(f) != 0) runtime_error("close " + o.pcap);
  std::printf("{\"written\": %" PRIu64 "}\n", *o.count);
  return 0;
}

// ---------------------------------------------------------------------------
// Socket mode
// ---------------------------------------------------------------------------

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

Mac interface_mac(int fd, const std::string& iface) {
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface.c_str());
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) runtime_error("SIOCGIFHWADDR " + iface);
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    std::fprintf(stderr, "synflood: %s is not an Ethernet interface\n", iface.c_str());
    std::exit(kExitRuntime);
  }
  Mac m{};
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

// Protocol 0: the socket receives nothing, so the kernel never queues the
// flood (or anything else) back to us.
int open_packet_socket(const std::string& iface) {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) runtime_error("socket(AF_PACKET)");
  unsigned ifindex = if_nametoindex(iface.c_str());
  if (ifindex == 0) runtime_error("interface " + iface);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) runtime_error("bind " + iface);
  // Skip the qdisc: we are a test generator, not a polite citizen, and the
  // qdisc lock is the main per-packet cost. Best effort (needs Linux >= 3.14).
  int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  int sndbuf = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return fd;
}

// Token bucket. Capacity is 10 ms of tokens: enough to absorb sleep overshoot
// and scheduler hiccups on shared cores without losing rate, small enough that
// a stall never turns into a long line-rate burst.
class Pacer {
 public:
  Pacer(uint64_t rate, double now)
      : rate_(static_cast<double>(rate)),
        cap_(std::max(1.0, rate_ / 100.0)),
        tokens_(rate ? 1.0 : 0.0),
        last_(now) {}

  // How many frames (<= want) may be sent now; 0 means wait().
  size_t grant(size_t want, double now) {
    if (rate_ == 0) return want;
    tokens_ = std::min(cap_, tokens_ + (now - last_) * rate_);
    last_ = now;
    size_t n = std::min(want, static_cast<size_t>(tokens_));
    tokens_ -= static_cast<double>(n);
    return n;
  }

  // Sleep until ~1 ms worth of frames (at least 1, at most `want`) is due:
  // low rates stay evenly spaced, high rates get full sendmmsg batches.
  // Capped at 10 ms so bounds and signals stay responsive.
  void wait(size_t want) const {
    double target = std::clamp(rate_ / 1000.0, 1.0, static_cast<double>(want));
    sleep_s(std::min(0.01, (target - tokens_) / rate_));
  }

 private:
  double rate_;
  double cap_;
  double tokens_;
  double last_;
};

struct SendStats {
  uint64_t sent = 0;
  uint64_t errors = 0;
};

bool transient(int err) {
  return err == ENOBUFS || err == EAGAIN || err == EINTR;
}

// Sends frames[0..n) with sendmmsg, retrying after transient errors. Returns
// the number actually sent; stops early only on deadline or signal.
size_t send_batch(int fd, Frame* frames, size_t n, double deadline, SendStats& st) {
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (size_t i = 0; i < n; ++i) {
    iov[i] = {frames[i].bytes.data(), frames[i].len};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  size_t done = 0;
  while (done < n && !g_stop) {
    int r = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(n - done), 0);
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && !transient(errno)) runtime_error("sendmmsg");
    if (r < 0 && errno != EINTR) ++st.errors;
    if (mono_now() >= deadline) break;
    sleep_s(50e-6);  // brief back-off lets the device drain its queue
  }
  return done;
}

void print_send_report(const SendStats& st, double seconds) {
  double pps = seconds > 0 ? static_cast<double>(st.sent) / seconds : 0.0;
  std::printf("{\"sent\": %" PRIu64 ", \"seconds\": %.3f, \"pps\": %.0f, \"send_errors\": %" PRIu64
              "}\n",
              st.sent, seconds, pps, st.errors);
  std::fflush(stdout);
}

int run_send(const Options& o, FrameTemplate t) {
  int fd = open_packet_socket(o.iface);
  if (!o.src_mac) t.src_mac = interface_mac(fd, o.iface);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  SynGenerator gen(t, o.src_net, o.seed);
  std::vector<Frame> frames(kBatch);
  const uint64_t limit = o.count.value_or(~uint64_t{0});
  const double start = mono_now();
  const double deadline = o.duration_s > 0 ? start + o.duration_s : 1e300;
  Pacer pacer(o.rate_pps, start);
  SendStats st;

  while (!g_stop && st.sent < limit) {
    double now = mono_now();
    if (now >= deadline) break;
    size_t want = static_cast<size_t>(std::min<uint64_t>(kBatch, limit - st.sent));
    size_t n = pacer.grant(want, now);
    if (n == 0) {
      pacer.wait(want);
      continue;
    }
    for (size_t i = 0; i < n; ++i) gen.next(frames[i]);
    st.sent += send_batch(fd, frames.data(), n, deadline, st);
  }
  print_send_report(st, mono_now() - start);
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  FrameTemplate t{*o.dst_mac, o.src_mac.value_or(Mac{0x02, 0, 0, 0, 0, 0x01}), o.dst_ip, o.dst_port,
                  o.with_options};
  return o.pcap.empty() ? run_send(o, t) : run_pcap(o, t);
}
