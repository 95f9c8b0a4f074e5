// Per-lcore token buckets for new connections (SYNs) per source address and per
// source /24, so one host or one subnet cannot take the whole backlog or all the
// cookie bandwidth. Fixed-size tables indexed by a keyed hash (SipHash-1-3 under
// a secret from the CSPRNG), two candidate slots per address: an attacker can
// neither aim collisions at a victim's slot nor, by colliding, refill his own
// bucket (a slot taken over keeps its debt; see slot()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tcp/siphash.h"

namespace synack::flow {

class SourceLimiter {
 public:
  struct Config {
    uint32_t rate_per_source = 0;   // SYNs/s per /32; 0 = no limit
    uint32_t burst_per_source = 0;  // bucket depth per /32
    uint32_t rate_per_prefix = 0;   // SYNs/s per /24; 0 = no limit
    uint32_t burst_per_prefix = 0;  // bucket depth per /24
    uint32_t entries = 65536;       // per table, power of two
  };

  // Needs an initialised EAL (TSC frequency). nullptr + *err on a bad config.
  static std::unique_ptr<SourceLimiter> create(const Config& cfg, const tcp::SipKey& key,
                                               int socket_id, std::string* err);
  ~SourceLimiter();

  // Takes one token from the source's /32 bucket and its /24 bucket; false when
  // either is empty (the SYN is then dropped).
  bool allow(uint32_t src_ip, uint64_t now_tsc);

  bool enabled() const { return source_.table != nullptr || prefix_.table != nullptr; }

  SourceLimiter(const SourceLimiter&) = delete;
  SourceLimiter& operator=(const SourceLimiter&) = delete;

 private:
  // One bucket as GCRA ("virtual scheduling"): `tat` is the TSC time at which
  // the bucket would be full again; 16 bytes, four per cache line.
  struct Entry {
    uint32_t key;   // source /32 or /24 (host byte order) owning the slot
    uint32_t used;  // 0 = never owned
    uint64_t tat;
  };
  struct Level {
    Entry* table = nullptr;  // nullptr when the level is disabled (rate 0)
    uint32_t mask = 0;       // entries - 1
    uint64_t interval = 0;   // TSC cycles per token
    uint64_t tolerance = 0;  // burst * interval: how far tat may run ahead of now
  };

  SourceLimiter() = default;
  Entry* slot(const Level& l, uint32_t key, uint64_t now_tsc) const;

  tcp::SipKey key_;
  Level source_;
  Level prefix_;
};

}  // namespace synack::flow
