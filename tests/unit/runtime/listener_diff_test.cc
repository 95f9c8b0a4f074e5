// Differential test of the listener: the same odd segments, to a listening
// port with no connection, fed to a fresh Worker in every SYN-cookie mode
// (`never`, `overload` with the backlog empty and with it full so that it
// answers with cookies, `always`). Each reply is decoded independently and
// reduced to a class (none / RST / SYN-ACK with its options / ACK / data);
// the stateful modes must agree with each other, the cookie modes with each
// other, and the two families with each other except for the differences
// listed below as data, each with its reason. Single segments are also held
// against RFC 9293 3.10.7.2 directly.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/counters.h"
#include "support/frame_builder.h"
#include "support/frame_decoder.h"
#include "support/worker_harness.h"

namespace synack::runtime {
namespace {

using testing::Bytes;
using testing::Decoded;
using testing::TcpSpec;
using testing::operator+;
namespace flag = testing::flag;
namespace opt = testing::opt;

constexpr uint32_t kTsVal = 1000;  // the client's TSval on its SYN
constexpr uint32_t kClientIsn = 0x10000000;
// The harness's response (worker_harness.h).
const size_t kResponseLen = std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").size();

// ---- The modes -----------------------------------------------------------------

struct ModeSpec {
  const char* name;
  CookieMode mode;
  bool fill_backlog;  // overload with a full backlog: cookies
  bool cookies;       // what answers a SYN
};
constexpr ModeSpec kModes[] = {
    {"never", CookieMode::kNever, false, false},
    {"overload_empty", CookieMode::kOverload, false, false},
    {"overload_full", CookieMode::kOverload, true, true},
    {"always", CookieMode::kAlways, false, true},
};
constexpr int kNumModes = 4;

// ---- Option layouts --------------------------------------------------------------

struct Layout {
  const char* name;
  Bytes opts;
};

std::vector<Layout> layouts() {
  return {
      {"none", {}},
      {"linux", opt::linux_syn(kTsVal)},
      {"windows", opt::windows_syn()},
      {"macos", opt::macos_syn(kTsVal)},
      {"mss_only", opt::mss(1460)},
      {"ts_only", opt::ts_only(kTsVal, 0)},
      {"sack_only", opt::nop() + opt::nop() + opt::sack_perm()},
      {"len0", opt::raw({1, 1, 8, 0})},
      {"len1", opt::raw({3, 1, 7, 0})},
      {"past_end", opt::mss(1460) + opt::raw({8, 10, 0, 0})},
      {"mss_len3", opt::raw({2, 3, 5, 0})},
      {"ts_len8", opt::raw({8, 8, 0, 0, 0, 1, 0, 0})},
      {"trailing_kind", opt::mss(1460) + opt::raw({1, 1, 1, 3})},
      {"mss0", opt::mss(0)},
      {"mss0_ts", opt::linux_syn(kTsVal, 0, 0)},
      {"mss65535", opt::mss(65535)},
      {"mss65535_ts", opt::linux_syn(kTsVal, 0, 65535)},
      {"ws15", opt::linux_syn(kTsVal, 0, 1460, 15)},
      {"ws255", opt::linux_syn(kTsVal, 0, 1460, 255)},
      {"ws15_no_ts", opt::mss(1460) + opt::nop() + opt::ws(15)},
      {"tsecr", opt::linux_syn(kTsVal, 12345)},
      {"unknown_kinds", opt::mss(1460) + opt::raw({30, 4, 0, 0, 254, 6, 0xf9, 0x89, 0, 0}) +
                            opt::nop() + opt::nop() + opt::sack_perm()},
      {"eol_then_junk", opt::mss(1460) + opt::eol() + opt::raw({8, 99, 1})},
      {"md5", opt::md5() + opt::nop() + opt::nop() + opt::mss(1460)},
      {"md5_bad_len", opt::raw({19, 10, 0, 0, 0, 0, 0, 0, 0, 0})},
  };
}

// What a SYN offered, read with the independent option walker.
struct Offer {
  bool malformed = false;
  bool md5 = false;
  bool ws = false;
  bool sack = false;
  bool ts = false;
};

Offer offer_of(const Bytes& opts) {
  testing::SeenOptions o = testing::walk_tcp_options(opts.data(), opts.size());
  Offer f;
  // Known kinds with a wrong length are malformed too (RFC 9293 3.2 lengths).
  for (size_t i = 0; i < opts.size();) {
    const uint8_t k = opts[i];
    if (k == 0) break;
    if (k == 1) {
      i++;
      continue;
    }
    if (i + 1 >= opts.size() || opts[i + 1] < 2) break;
    const uint8_t len = opts[i + 1];
    if ((k == 2 && len != 4) || (k == 3 && len != 3) || (k == 4 && len != 2) ||
        (k == 8 && len != 10) || (k == 19 && len != 18))
      f.malformed = true;
    if (k == 19) f.md5 = true;
    i += len;
  }
  f.malformed = f.malformed || o.malformed;
  f.ws = o.ws;
  f.sack = o.sack_perm;
  f.ts = o.ts;
  return f;
}

// ---- Reply classes -------------------------------------------------------------

struct Class {
  char kind = '-';  // R (RST), S (SYN-ACK), A (ACK), D (data or FIN), ? (other)
  uint8_t flags = 0;
  int64_t seq = 0;  // relative, as the context defines
  int64_t ack = 0;
  size_t len = 0;
  bool mss = false, ws = false, sack = false, ts = false;
  uint8_t ws_value = 0;
  uint16_t mss_value = 0;
  uint16_t wnd = 0;

  friend bool operator==(const Class&, const Class&) = default;
  std::string str() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%c %s seq%+lld ack%+lld len %zu%s%s%s%s", kind,
                  testing::flag_names(flags).c_str(), static_cast<long long>(seq),
                  static_cast<long long>(ack), len,
                  mss ? (" mss " + std::to_string(mss_value)).c_str() : "",
                  ws ? (" ws " + std::to_string(ws_value)).c_str() : "", sack ? " sackOK" : "",
                  ts ? " TS" : "");
    return buf;
  }
};
using Classes = std::vector<Class>;

std::string str(const Classes& cs) {
  if (cs.empty()) return "none";
  std::string s;
  for (const Class& c : cs) s += (s.empty() ? "" : " ; ") + c.str();
  return s;
}

// `seq_base`/`ack_base`: what the reply's numbers are taken relative to.
Class classify(const Decoded& d, uint32_t seq_base, uint32_t ack_base) {
  Class c;
  c.flags = d.flags;
  if (!d.tcp) {
    c.kind = '?';
    return c;
  }
  if (d.has(flag::kRst)) {
    c.kind = 'R';
  } else if (d.has(flag::kSyn) && d.has(flag::kAck)) {
    c.kind = 'S';
  } else if (!d.payload.empty() || d.has(flag::kFin)) {
    c.kind = 'D';
  } else if (d.flags == flag::kAck) {
    c.kind = 'A';
  } else {
    c.kind = '?';
  }
  c.seq = static_cast<int32_t>(d.seq - seq_base);
  // A SYN-ACK's ISS is chosen, not derived: only "the same one again" compares.
  if (c.kind == 'S') c.seq = d.seq == seq_base ? 0 : 1;
  // The ACK field means nothing without the ACK bit (a RST answering an ACK).
  c.ack = d.has(flag::kAck) ? static_cast<int32_t>(d.ack - ack_base) : 0;
  c.len = d.payload.size();
  c.mss = d.opts.mss;
  c.mss_value = d.opts.mss_value;
  c.ws = d.opts.ws;
  c.ws_value = d.opts.ws_value;
  c.sack = d.opts.sack_perm;
  c.ts = d.opts.ts;
  c.wnd = c.kind == 'S' ? d.wnd : 0;  // later windows depend on the negotiated shift
  return c;
}

// ---- One Worker per mode -----------------------------------------------------------

class Listener {
 public:
  explicit Listener(const ModeSpec& m) : mode_(m) {}

  bool start(std::string* err) {
    if (!h_.open(err)) return false;
    runtime::RuntimeConfig& c = h_.cfg;
    c.max_flows = 8192;
    c.backlog = mode_.fill_backlog ? 1 : 8192;
    c.challenge_ack_limit = 0;  // every case is its own flow; no lcore budget in the way
    c.endpoint.idle_timeout_ms = 0;
    if (!h_.start(mode_.mode, err)) return false;
    h_.now = 10;
    h_.jump_to(10);
    if (mode_.fill_backlog) {
      // One half-open record fills the backlog; the next SYN gets a cookie.
      const std::vector<Decoded> a =
          h_.send(h_.tcp_frame(TcpSpec(9, 80, 1, 0, flag::kSyn), kFiller));
      const std::vector<Decoded> b =
          h_.send(h_.tcp_frame(TcpSpec(10, 80, 1, 0, flag::kSyn), kFiller));
      if (a.size() != 1 || b.size() != 1 || h_.counters().cookies_sent.get() != 1) {
        *err = "could not fill the backlog";
        return false;
      }
    }
    return true;
  }
  void finish() {
    h_.expect_accounting(mode_.name);
    h_.close();
  }

  // A fresh 4-tuple per case number.
  static uint32_t src_ip(uint32_t n) { return 0xC6120100u + (n >> 14); }
  static uint16_t src_port(uint32_t n) { return static_cast<uint16_t>(1024 + (n & 0x3fff)); }

  std::vector<Decoded> send(uint32_t n, TcpSpec s) {
    s.sport = src_port(n);
    return h_.send(h_.tcp_frame(s, src_ip(n)));
  }
  testing::WorkerHarness& harness() { return h_; }

 private:
  static constexpr uint32_t kFiller = 0xC6120909;  // 198.18.9.9
  ModeSpec mode_;
  testing::WorkerHarness h_;
};

// Kept on purpose (K1, the lead's): without timestamps a cookie SYN-ACK can
// carry neither window scale nor SACK-permitted (nowhere to remember them),
// so it offers neither; the stateful one offers what the SYN did. Linux does
// the same. (K2, the cookie's MSS rounded down to its table, shows only in
// segment sizes, not in any SYN-ACK: nothing to allow here.)
bool k1_cookie_synack_without_ts(bool syn_ts, const Classes& stateful, const Classes& cookie) {
  if (syn_ts || stateful.size() != 1 || cookie.size() != 1) return false;
  if (stateful[0].kind != 'S' || cookie[0].ws || cookie[0].sack) return false;
  Class masked = stateful[0];
  masked.ws = false;
  masked.ws_value = 0;
  masked.sack = false;
  return masked == cookie[0];
}

// ---- Single segments -------------------------------------------------------------

struct SingleCase {
  uint8_t flags;
  bool payload;
  size_t layout;
  TcpSpec spec() const {
    TcpSpec s(0, 80, kClientIsn + 7 * flags, 0x20000000u + flags, flags);
    if (payload) s.payload.assign(5, 'd');
    return s;
  }
};

// RFC 9293 3.10.7.2, as Linux reads it for SYN+FIN (tcp_rcv_state_process
// discards it), with what a SYN-ACK may offer (RFC 7323 1.3, RFC 2018, RFC
// 9293 3.7.1; ECN never, RFC 3168 6.1.1: we set no ECT).
Classes rfc_listen_answer(const SingleCase& c, const Bytes& opts, bool cookies,
                          const runtime::RuntimeConfig& cfg) {
  const Offer o = offer_of(opts);
  const TcpSpec s = c.spec();
  if (o.malformed || o.md5) return {};
  if (c.flags & flag::kRst) return {};  // "An incoming RST should be ignored"
  if (c.flags & flag::kAck) {           // "<SEQ=SEG.ACK><CTL=RST>"
    Class r;
    r.kind = 'R';
    r.flags = flag::kRst;
    r.seq = 0;  // relative to SEG.ACK
    return {r};
  }
  if (!(c.flags & flag::kSyn) || (c.flags & flag::kFin)) return {};
  Class r;
  r.kind = 'S';
  r.flags = flag::kSyn | flag::kAck;
  r.ack = 1;  // relative to SEG.SEQ: text on a SYN is not taken
  r.mss = true;
  r.mss_value = cfg.endpoint.mss;
  const bool carried = !cookies || o.ts;  // what a cookie can remember
  r.ws = o.ws && carried;
  r.ws_value = r.ws ? cfg.endpoint.rcv_wscale : 0;
  r.sack = o.sack && carried;
  r.ts = o.ts;
  r.wnd = static_cast<uint16_t>(std::min<uint32_t>(cfg.endpoint.rcv_wnd, 0xFFFF));
  return {r};
}

TEST(ListenerDiff, EveryFlagByteOptionLayoutAndPayloadAgreesAcrossModes) {
  const std::vector<Layout> lay = layouts();
  std::vector<SingleCase> cases;
  for (int f = 0; f < 256; f++)
    for (int p = 0; p < 2; p++)
      for (size_t l = 0; l < lay.size(); l++)
        cases.push_back(SingleCase{static_cast<uint8_t>(f), p == 1, l});
  std::vector<std::vector<Classes>> got(kNumModes);
  runtime::RuntimeConfig cfg_seen;
  for (int m = 0; m < kNumModes; m++) {
    Listener li(kModes[m]);
    std::string err;
    ASSERT_TRUE(li.start(&err)) << kModes[m].name << ": " << err;
    cfg_seen = li.harness().cfg;
    for (uint32_t n = 0; n < cases.size(); n++) {
      TcpSpec s = cases[n].spec();
      s.opts = lay[cases[n].layout].opts;
      Classes cs;
      for (const Decoded& d : li.send(n, s)) {
        EXPECT_TRUE(d.ip_csum_ok && d.tcp_csum_ok) << testing::describe(d);
        // RST: seq against SEG.ACK, ack against SEG.SEQ; SYN-ACK: ack against SEG.SEQ.
        cs.push_back(classify(d, d.has(flag::kSyn) ? d.seq : s.ack, s.seq));
      }
      got[m].push_back(cs);
    }
    li.finish();
  }
  std::map<std::string, int> failures;  // one line per distinct failure, with a count
  size_t synacks = 0, rsts = 0, known_k1 = 0;
  for (size_t n = 0; n < cases.size(); n++) {
    const SingleCase& c = cases[n];
    const Bytes& opts = lay[c.layout].opts;
    char what[96];
    std::snprintf(what, sizeof what, "flags %s%s, options %s", testing::flag_names(c.flags).c_str(),
                  c.payload ? " +data" : "", lay[c.layout].name);
    for (int m = 0; m < kNumModes; m++) {
      const Classes want = rfc_listen_answer(c, opts, kModes[m].cookies, cfg_seen);
      if (got[m][n] != want)
        failures[std::string(kModes[m].name) + ": " + what + ": got " + str(got[m][n]) +
                 ", RFC 9293 3.10.7.2 says " + str(want)]++;
    }
    if (got[0][n] != got[1][n]) failures[std::string("never vs overload_empty: ") + what]++;
    if (got[2][n] != got[3][n]) failures[std::string("overload_full vs always: ") + what]++;
    if (got[0][n] != got[3][n]) {
      if (k1_cookie_synack_without_ts(offer_of(opts).ts, got[0][n], got[3][n]))
        known_k1++;
      else
        failures[std::string("stateful vs cookie: ") + what + ": " + str(got[0][n]) + " vs " +
                 str(got[3][n])]++;
    }
    for (const Class& cl : got[0][n]) {
      synacks += cl.kind == 'S';
      rsts += cl.kind == 'R';
    }
  }
  for (const auto& [line, count] : failures) ADD_FAILURE() << line << " (x" << count << ")";
  // The generator reaches every answer.
  EXPECT_GT(synacks, 500u);
  EXPECT_GT(rsts, 2000u);
  EXPECT_GT(known_k1, 0u);
}

// ---- Two steps: an odd SYN, then an odd third segment -----------------------------

struct Third {
  const char* name;
  // Builds the third segment from the SYN, the client's ISN and the SYN-ACK.
  std::function<TcpSpec(const TcpSpec& syn, const Decoded& synack, bool ts)> make;
};

TcpSpec after(const TcpSpec& syn, const Decoded& sa, bool ts, uint8_t flags, size_t data = 0) {
  TcpSpec s(syn.sport, 80, syn.seq + 1, sa.seq + 1, flags);
  if (ts) s.opts = opt::ts_only(kTsVal + 1, sa.opts.ts_val);
  s.payload.assign(data, 'g');
  return s;
}

std::vector<Third> thirds() {
  using flag::kAck, flag::kFin, flag::kPsh, flag::kRst, flag::kSyn;
  return {
      {"ack", [](auto& y, auto& a, bool t) { return after(y, a, t, kAck); }},
      {"ack_wrong_ack",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck);
         s.ack += 1;
         return s;
       }},
      {"ack_of_iss",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck);
         s.ack -= 1;
         return s;
       }},
      {"ack_data", [](auto& y, auto& a, bool t) { return after(y, a, t, kAck | kPsh, 20); }},
      {"ack_data_wrong_ack",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck | kPsh, 20);
         s.ack += 100;
         return s;
       }},
      {"ack_fin", [](auto& y, auto& a, bool t) { return after(y, a, t, kAck | kFin); }},
      {"ack_data_fin", [](auto& y, auto& a, bool t) { return after(y, a, t, kAck | kFin, 20); }},
      {"data_no_ack_flag", [](auto& y, auto& a, bool t) { return after(y, a, t, kPsh, 20); }},
      {"fin_no_ack_flag", [](auto& y, auto& a, bool t) { return after(y, a, t, kFin); }},
      {"rst_exact", [](auto& y, auto& a, bool) { return after(y, a, false, kRst); }},
      {"rst_ack_exact", [](auto& y, auto& a, bool) { return after(y, a, false, kRst | kAck); }},
      {"rst_inexact",
       [](auto& y, auto& a, bool) {
         TcpSpec s = after(y, a, false, kRst);
         s.seq += 100;
         return s;
       }},
      {"rst_out_of_window",
       [](auto& y, auto& a, bool) {
         TcpSpec s = after(y, a, false, kRst);
         s.seq += 0x40000000;
         return s;
       }},
      {"syn_duplicate", [](auto& y, auto&, bool) { return y; }},
      {"syn_new_seq",
       [](auto& y, auto&, bool) {
         TcpSpec s = y;
         s.seq += 1000;
         return s;
       }},
      {"synack_right_ack",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kSyn | kAck);
         s.seq -= 1;
         return s;
       }},
      {"ack_no_ts", [](auto& y, auto& a, bool) { return after(y, a, false, kAck); }},
      {"ack_data_no_ts",
       [](auto& y, auto& a, bool) { return after(y, a, false, kAck | kPsh, 20); }},
      {"ack_seq_plus_one",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck);
         s.seq += 1;
         return s;
       }},
      {"ack_seq_out_of_window",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck);
         s.seq += 0x01000000;
         return s;
       }},
      {"ack_paws_old_tsval",
       [](auto& y, auto& a, bool t) {
         TcpSpec s = after(y, a, t, kAck);
         if (t) s.opts = opt::ts_only(kTsVal - 500, a.opts.ts_val);
         return s;
       }},
  };
}

// Differences between the stateful and the cookie answer to a third segment
// that are kept on purpose: each inherent to a listener that remembers
// nothing, each the same in Linux. `applies` sees the third's name, whether
// the SYN had timestamps, and the two answers.
struct KeptDifference {
  const char* name;
  const char* why;
  std::function<bool(const std::string& third, bool syn_ts, const Classes& stateful,
                     const Classes& cookie)>
      applies;
};

bool only_ts_differs(const Classes& a, const Classes& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    Class x = a[i], y = b[i];
    if (!x.ts || y.ts) return false;
    x.ts = y.ts;
    if (!(x == y)) return false;
  }
  return true;
}

const std::vector<KeptDifference>& kept_differences() {
  static const std::vector<KeptDifference> k = {
      {"k1_cookie_synack_without_ts", "see k1_cookie_synack_without_ts()",
       [](const std::string&, bool syn_ts, const Classes& s, const Classes& c) {
         return k1_cookie_synack_without_ts(syn_ts, s, c);
       }},
      {"synack_at_a_listener",
       "a SYN-ACK is out of window for the half-open record (SEG.SEQ = IRS: RFC 9293 3.10.7.4 "
       "first check, an ACK) and an ACK to a listener for the cookie path (3.10.7.2 second "
       "check, <SEQ=SEG.ACK><CTL=RST>); Linux answers the same two ways (tcp_check_req, "
       "tcp_rcv_state_process)",
       [](const std::string& t, bool, const Classes& s, const Classes& c) {
         return t == "synack_right_ack" && s.size() == 1 && s[0].kind == 'A' && c.size() == 1 &&
                c[0].kind == 'R';
       }},
      {"no_ts_on_the_cookie_ack",
       "a cookie connection has timestamps (and WS, SACK) only if its final ACK carries TSecr; "
       "an ACK without TSopt after a SYN with it builds a connection without them (Linux "
       "cookie_timestamp_decode clears the options the same way)",
       [](const std::string& t, bool syn_ts, const Classes& s, const Classes& c) {
         return syn_ts && (t == "ack_data_no_ts") && only_ts_differs(s, c);
       }},
      {"seq_is_the_cookie",
       "the cookie authenticates SEG.SEQ - 1 as the client's ISN: any other SEG.SEQ is a forgery "
       "to it (RST as for any bad cookie) while the half-open record judges it by its window "
       "(Linux: the same two answers)",
       [](const std::string& t, bool, const Classes& s, const Classes& c) {
         const bool stateful_ok = s.empty() || (s.size() == 1 && s[0].kind == 'A');
         return (t == "ack_seq_plus_one" || t == "ack_seq_out_of_window") && stateful_ok &&
                c.size() == 1 && c[0].kind == 'R';
       }},
      {"no_ts_recent_without_state",
       "PAWS needs TS.Recent, which only the half-open record has: it answers an old TSval with "
       "an ACK (RFC 7323 5.3), the cookie path cannot tell (Linux cookie_v4_check: no PAWS)",
       [](const std::string& t, bool syn_ts, const Classes& s, const Classes& c) {
         return t == "ack_paws_old_tsval" && syn_ts && s.size() == 1 && s[0].kind == 'A' &&
                c.empty();
       }},
  };
  return k;
}

struct OddSyn {
  const char* name;
  uint8_t flags;
  bool payload;
  size_t layout;
};

TEST(ListenerDiff, TwoStepSequencesAgreeAcrossModes) {
  const std::vector<Layout> lay = layouts();
  const std::vector<Third> third = thirds();
  // SYNs that get a SYN-ACK, with every well-formed layout.
  std::vector<OddSyn> syns;
  for (size_t l = 0; l < lay.size(); l++) {
    const Offer o = offer_of(lay[l].opts);
    if (o.malformed || o.md5) continue;
    syns.push_back({"syn", flag::kSyn, false, l});
    syns.push_back({"syn_ece_cwr", flag::kSyn | flag::kEce | flag::kCwr, false, l});
    syns.push_back({"syn_psh_urg_data", flag::kSyn | flag::kPsh | flag::kUrg, true, l});
  }
  struct Result {
    Classes first, second;
  };
  std::vector<std::vector<Result>> got(kNumModes);
  for (int m = 0; m < kNumModes; m++) {
    Listener li(kModes[m]);
    std::string err;
    ASSERT_TRUE(li.start(&err)) << kModes[m].name << ": " << err;
    uint32_t n = 0;
    for (const OddSyn& os : syns) {
      for (const Third& th : third) {
        TcpSpec syn(0, 80, kClientIsn + n, 0, os.flags);
        syn.opts = lay[os.layout].opts;
        if (os.payload) syn.payload.assign(7, 's');
        syn.sport = Listener::src_port(n);
        Result res;
        std::vector<Decoded> r1 = li.send(n, syn);
        ASSERT_EQ(r1.size(), 1u) << kModes[m].name << " " << os.name << " " << lay[os.layout].name;
        const Decoded sa = r1[0];
        res.first.push_back(classify(sa, sa.seq, syn.seq));
        const bool ts = sa.opts.ts;
        TcpSpec t = th.make(syn, sa, ts);
        for (const Decoded& d : li.send(n, t)) res.second.push_back(classify(d, sa.seq, syn.seq));
        got[m].push_back(res);
        n++;
      }
    }
    li.finish();
  }
  struct Seen {
    int count = 0;
    std::string example;
  };
  std::map<std::string, Seen> failures;  // distinct failure -> how often, first case
  std::map<std::string, int> kept;
  size_t i = 0;
  for (const OddSyn& os : syns) {
    const bool syn_ts = offer_of(lay[os.layout].opts).ts;
    for (const Third& th : third) {
      const std::string what =
          std::string(os.name) + " (" + lay[os.layout].name + "), then " + th.name;
      const Result* r[kNumModes];
      for (int m = 0; m < kNumModes; m++) r[m] = &got[m][i];
      auto fail = [&](const std::string& line) {
        Seen& f = failures[line];
        if (f.count++ == 0) f.example = what;
      };
      // The generator reaches the paths it means to: a served request, a RST
      // for a wrong ACK, in every mode.
      for (int m = 0; m < kNumModes; m++) {
        const Classes& cs = r[m]->second;
        if (std::string(th.name) == "ack_data" &&
            (cs.size() != 1 || cs[0].kind != 'D' || cs[0].len != kResponseLen))
          fail(std::string(kModes[m].name) + ": no response to a request: " + str(cs));
        if (std::string(th.name) == "ack_wrong_ack" &&
            (cs.size() != 1 || cs[0].kind != 'R' || cs[0].seq != 2))
          fail(std::string(kModes[m].name) + ": no RST for a wrong ACK: " + str(cs));
      }
      if (r[0]->first != r[1]->first || r[2]->first != r[3]->first ||
          (r[0]->first != r[3]->first &&
           !k1_cookie_synack_without_ts(syn_ts, r[0]->first, r[3]->first)))
        fail(std::string("the SYN-ACK: ") + str(r[0]->first) + " / " + str(r[1]->first) + " / " +
             str(r[2]->first) + " / " + str(r[3]->first));
      if (r[0]->second != r[1]->second)
        fail(std::string("never vs overload_empty, then ") + th.name + ": " + str(r[0]->second) +
             " vs " + str(r[1]->second));
      if (r[2]->second != r[3]->second)
        fail(std::string("overload_full vs always, then ") + th.name + ": " + str(r[2]->second) +
             " vs " + str(r[3]->second));
      if (r[0]->second != r[3]->second) {
        bool explained = false;
        for (const KeptDifference& k : kept_differences()) {
          if (k.applies(th.name, syn_ts, r[0]->second, r[3]->second)) {
            kept[k.name]++;
            explained = true;
            break;
          }
        }
        if (!explained)
          fail(std::string("stateful vs cookie, then ") + th.name + ": " + str(r[0]->second) +
               " vs " + str(r[3]->second));
      }
      i++;
    }
  }
  for (const auto& [line, f] : failures)
    ADD_FAILURE() << line << " (" << f.count << " cases, e.g. " << f.example << ")";
  for (const auto& [name, count] : kept)
    std::printf("kept difference %s: %d cases\n", name.c_str(), count);
}

}  // namespace
}  // namespace synack::runtime
