// What the control plane (main lcore, telemetry thread) tells the workers.
// Workers read it once per loop iteration, never per packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "runtime/config.h"
#include "tcp/syn_cookie.h"

namespace synack::runtime {

class ControlBlock {
 public:
  ControlBlock(CookieMode mode, const tcp::CookieSecret& first) : mode_(mode) {
    write_slot(0, first);
  }

  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }

  CookieMode cookie_mode() const { return mode_.load(std::memory_order_relaxed); }
  void set_cookie_mode(CookieMode m) { mode_.store(m, std::memory_order_relaxed); }

  // Publishes a new cookie secret (control plane: the rotation timer and a
  // telemetry command may both call it, serialised by a mutex). Refuses, and
  // returns false, when the rotation would make a worker forget a secret that
  // cookies in flight may still carry: the codec keeps kSecrets secrets, so at
  // most kSecrets - 1 rotations may fall inside one cookie lifetime.
  bool publish_secret(const tcp::CookieSecret& s, uint64_t now_s) {
    std::lock_guard<std::mutex> lock(publish_mu_);
    const uint32_t gen = secret_gen_.load(std::memory_order_relaxed);
    const uint64_t oldest = rotated_at_[gen % kHistory];  // kSecrets - 1 rotations ago
    if (gen >= kHistory && now_s - oldest <= tcp::SynCookieCodec::kLifetimeS) return false;
    rotated_at_[gen % kHistory] = now_s;
    write_slot(gen + 1, s);
    secret_gen_.store(gen + 1, std::memory_order_release);
    return true;
  }
  uint32_t secret_generation() const { return secret_gen_.load(std::memory_order_acquire); }

  // Copies secret `gen` (seqlock read). False when that slot was overwritten
  // by a newer secret meanwhile: the caller has fallen kSlots behind.
  bool read_secret(uint32_t gen, tcp::CookieSecret* out) const {
    const Slot& s = slots_[gen % kSlots];
    for (;;) {
      const uint32_t before = s.seq.load(std::memory_order_acquire);
      if (before & 1) continue;  // a write in progress
      out->key.k0 = s.k0.load(std::memory_order_relaxed);
      out->key.k1 = s.k1.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) != before) continue;
      return s.gen.load(std::memory_order_relaxed) == gen;
    }
  }

 private:
  static constexpr uint32_t kSlots = 8;
  static constexpr uint32_t kHistory = tcp::SynCookieCodec::kSecrets - 1;
  // One seqlock-protected secret: the words are relaxed atomics so that a
  // reader racing a writer is defined behaviour, and the sequence tells it to
  // retry.
  struct Slot {
    std::atomic<uint32_t> seq{0};
    std::atomic<uint32_t> gen{0};
    std::atomic<uint64_t> k0{0};
    std::atomic<uint64_t> k1{0};
  };

  void write_slot(uint32_t gen, const tcp::CookieSecret& secret) {
    Slot& s = slots_[gen % kSlots];
    const uint32_t seq = s.seq.load(std::memory_order_relaxed);
    s.seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    s.gen.store(gen, std::memory_order_relaxed);
    s.k0.store(secret.key.k0, std::memory_order_relaxed);
    s.k1.store(secret.key.k1, std::memory_order_relaxed);
    s.seq.store(seq + 2, std::memory_order_release);
  }

  std::atomic<bool> stop_{false};
  std::atomic<CookieMode> mode_;
  std::atomic<uint32_t> secret_gen_{0};
  Slot slots_[kSlots];
  uint64_t rotated_at_[kHistory] = {};
  std::mutex publish_mu_;
};

}  // namespace synack::runtime
