// Per-source and per-/24 SYN rate limits (see source_limiter.h).
//
// Why not rte_meter's srTCM: rte_meter_srtcm_config() stamps the meter with
// rte_get_tsc_cycles() itself, so recycling a slot could not use the caller's
// now_tsc (and tests could not drive time); each check divides by the period;
// and the 24-byte meter plus the yellow bucket (ebs) are more than a one-colour
// limit needs. Instead each bucket is a GCRA, equivalent to a token bucket of
// depth `burst` refilled at `rate` tokens/s: one 64-bit "theoretical arrival
// time" per slot, an add and two compares per SYN, no division. The interval
// is rounded down to whole TSC cycles (relative rate error < 1 / interval,
// e.g. 0.05% at 1M SYNs/s with a 2 GHz TSC).
#include "flow/source_limiter.h"

#include <rte_cycles.h>
#include <rte_malloc.h>

#include <algorithm>
#include <limits>

namespace synack::flow {

namespace {

constexpr uint32_t kPrefixMask = 0xffffff00u;  // /24, host byte order

bool power_of_two(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

}  // namespace

std::unique_ptr<SourceLimiter> SourceLimiter::create(const Config& cfg, const tcp::SipKey& key,
                                                     int socket_id, std::string* err) {
  auto fail = [err](const char* msg) {
    if (err) *err = msg;
    return std::unique_ptr<SourceLimiter>();
  };
  if (!power_of_two(cfg.entries)) return fail("--syn_limiter_entries must be a power of two >= 1");
  if (cfg.rate_per_source > 0 && cfg.burst_per_source < 1)
    return fail("--syn_burst_per_source must be >= 1 when --syn_rate_per_source is set");
  if (cfg.rate_per_prefix > 0 && cfg.burst_per_prefix < 1)
    return fail("--syn_burst_per_prefix must be >= 1 when --syn_rate_per_prefix is set");

  const uint64_t hz = rte_get_tsc_hz();
  if (hz == 0) return fail("source limiter: TSC frequency unknown (EAL not initialised?)");

  std::unique_ptr<SourceLimiter> l(new SourceLimiter());
  l->key_ = key;
  auto init = [&](Level& lv, uint32_t rate, uint32_t burst, const char* name) {
    if (rate == 0) return true;
    lv.interval = std::max<uint64_t>(hz / rate, 1);
    // burst < 2^32 and interval <= hz < 2^32 in practice; saturate regardless.
    lv.tolerance = lv.interval > std::numeric_limits<uint64_t>::max() / burst
                       ? std::numeric_limits<uint64_t>::max()
                       : lv.interval * burst;
    lv.mask = cfg.entries - 1;
    // Zeroed slots are unowned full buckets (tat 0 <= now).
    lv.table = static_cast<Entry*>(rte_zmalloc_socket(
        name, sizeof(Entry) * static_cast<size_t>(cfg.entries), RTE_CACHE_LINE_SIZE, socket_id));
    return lv.table != nullptr;
  };
  if (!init(l->source_, cfg.rate_per_source, cfg.burst_per_source, "synack_limit_src") ||
      !init(l->prefix_, cfg.rate_per_prefix, cfg.burst_per_prefix, "synack_limit_pfx"))
    return fail("source limiter: out of memory for the bucket tables (--syn_limiter_entries)");
  return l;
}

SourceLimiter::~SourceLimiter() {
  rte_free(source_.table);
  rte_free(prefix_.table);
}

// Two candidate slots from one keyed hash (the levels hash differently: the
// /24 key has its low byte clear, and the level is part of the message). The
// source's own slot if it has one; else a slot whose bucket is full again
// (tat <= now: nothing is lost by taking it); else the candidate nearest to
// full, whose debt the newcomer inherits, so that colliding with a slot never
// refills a bucket. A legitimate source sharing a slot with a flooder is then
// limited with it until the flooder stops, which the keyed hash makes as
// likely as any other pair of sources meeting, and which he cannot aim.
SourceLimiter::Entry* SourceLimiter::slot(const Level& l, uint32_t key, uint64_t now_tsc) const {
  const uint64_t level = &l == &prefix_ ? 1 : 0;
  const uint64_t h = tcp::siphash13_2w(key_, key, level);
  Entry* a = &l.table[static_cast<uint32_t>(h) & l.mask];
  Entry* b = &l.table[static_cast<uint32_t>(h >> 32) & l.mask];
  if (a->used && a->key == key) return a;
  if (b->used && b->key == key) return b;
  Entry* e = a->tat <= b->tat ? a : b;
  e->key = key;
  e->used = 1;
  if (e->tat < now_tsc) e->tat = now_tsc;  // already full: stays full
  return e;
}

bool SourceLimiter::allow(uint32_t src_ip, uint64_t now_tsc) {
  // GCRA: taking a token moves tat one interval later (from now if the bucket
  // is full); it conforms while tat stays within burst intervals of now. A
  // refused SYN takes a token from neither level.
  Entry* s = nullptr;
  uint64_t s_tat = 0;
  if (source_.table != nullptr) {
    s = slot(source_, src_ip, now_tsc);
    s_tat = std::max(s->tat, now_tsc) + source_.interval;
    if (s_tat - now_tsc > source_.tolerance) return false;
  }
  if (prefix_.table != nullptr) {
    Entry* p = slot(prefix_, src_ip & kPrefixMask, now_tsc);
    const uint64_t p_tat = std::max(p->tat, now_tsc) + prefix_.interval;
    if (p_tat - now_tsc > prefix_.tolerance) return false;
    p->tat = p_tat;
  }
  if (s != nullptr) s->tat = s_tat;
  return true;
}

}  // namespace synack::flow
