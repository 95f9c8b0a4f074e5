// ns/op for the per-SYN work: cookie encode/validate, SipHash (3-word and byte
// loop) and RFC 6528 ISNs. libsodium's crypto_shorthash_siphash24 is not
// compared: libsodium-dev is not installed on the build machine.
#include <benchmark/benchmark.h>

#include "support/tcp_options.h"

#include <cstdint>

#include "tcp/isn.h"
#include "tcp/siphash.h"
#include "tcp/syn_cookie.h"

namespace synack::tcp {
namespace {

constexpr SipKey kKey{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
constexpr CookieSecret kSecret{{0x1111111111111111ull, 0x2222222222222222ull}};
constexpr uint32_t kLocal = 0xc0a80001;
constexpr uint64_t kNowS = 1'000'000;

TcpOptions linux_syn() {
  return synack::testing::linux_syn_options();
}

void BM_Siphash3w(benchmark::State& state) {
  uint64_t w = 0;
  for (auto _ : state) {
    ++w;
    benchmark::DoNotOptimize(siphash24_3w(kKey, w, w ^ 0x5555, 42));
  }
}
BENCHMARK(BM_Siphash3w);

void BM_SiphashBytes24(benchmark::State& state) {
  uint64_t words[3] = {0, 0x5555, 42};
  for (auto _ : state) {
    ++words[0];
    benchmark::DoNotOptimize(words);
    benchmark::DoNotOptimize(siphash24(kKey, words, sizeof(words)));
  }
}
BENCHMARK(BM_SiphashBytes24);

void BM_Isn(benchmark::State& state) {
  const IsnGenerator g(kKey);
  FourTuple t{0x0a000001, 0xc0a80001, 1024, 80};
  uint64_t now_us = 1'000'000;
  for (auto _ : state) {
    ++t.remote_port;
    ++now_us;
    benchmark::DoNotOptimize(g.next(t, now_us));
  }
}
BENCHMARK(BM_Isn);

void BM_CookieEncode(benchmark::State& state) {
  const SynCookieCodec codec(kSecret, kLocal, kNowS);
  const TcpOptions o = linux_syn();
  FourTuple t{0x0a000001, 0xc0a80001, 1024, 80};
  uint32_t isn = 1;
  for (auto _ : state) {
    ++t.remote_port;
    isn += 7919;
    benchmark::DoNotOptimize(codec.encode(t, Seq(isn), o, kNowS, isn));
  }
}
BENCHMARK(BM_CookieEncode);

// A valid ACK: the common path after a legitimate handshake.
void BM_CookieValidate(benchmark::State& state) {
  const SynCookieCodec codec(kSecret, kLocal, kNowS);
  const FourTuple t{0x0a000001, 0xc0a80001, 1024, 80};
  const SynCookieCodec::Cookie c = codec.encode(t, Seq(1000), linux_syn(), kNowS, 5000);
  Segment ack;
  ack.flags = tcpflag::kAck;
  ack.seq = Seq(1001);
  ack.ack = c.isn + 1;
  ack.opts.has_timestamps = true;
  ack.opts.ts_ecr = c.ts_val;
  CookieOptions out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ack);
    benchmark::DoNotOptimize(codec.validate(t, ack, kNowS, out));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_CookieValidate);

// Random forged ACKs (ACK flood): ~7/8 bad_hash after one hash, ~1/8 too_old
// from the count bits alone.
void BM_CookieValidateForged(benchmark::State& state) {
  const SynCookieCodec codec(kSecret, kLocal, kNowS);
  FourTuple t{0x0a000001, 0xc0a80001, 1024, 80};
  Segment ack;
  ack.flags = tcpflag::kAck;
  CookieOptions out;
  uint32_t x = 1;
  for (auto _ : state) {
    x = x * 1664525u + 1013904223u;
    ++t.remote_port;
    ack.seq = Seq(x);
    ack.ack = Seq(x ^ 0xdeadbeef);
    benchmark::DoNotOptimize(codec.validate(t, ack, kNowS, out));
  }
}
BENCHMARK(BM_CookieValidateForged);

// Forged ACKs whose count bits say 7 steps old: too_old without hashing.
void BM_CookieValidateStale(benchmark::State& state) {
  const SynCookieCodec codec(kSecret, kLocal, kNowS);
  FourTuple t{0x0a000001, 0xc0a80001, 1024, 80};
  Segment ack;
  ack.flags = tcpflag::kAck;
  CookieOptions out;
  const uint32_t stale = static_cast<uint32_t>((kNowS >> SynCookieCodec::kCounterShiftS) - 7) & 7;
  uint32_t x = 1;
  for (auto _ : state) {
    x = x * 1664525u + 1013904223u;
    ++t.remote_port;
    ack.seq = Seq(x);
    ack.ack = Seq(((x ^ 0xdeadbeef) & ~7u) + stale + 1);
    benchmark::DoNotOptimize(codec.validate(t, ack, kNowS, out));
  }
}
BENCHMARK(BM_CookieValidateStale);

}  // namespace
}  // namespace synack::tcp

BENCHMARK_MAIN();
