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
  explicit ControlBlock(CookieMode mode, const tcp::CookieSecret& first) : mode_(mode) {
    secrets_[0] = first;
  }

  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }

  CookieMode cookie_mode() const { return mode_.load(std::memory_order_relaxed); }
  void set_cookie_mode(CookieMode m) { mode_.store(m, std::memory_order_relaxed); }

  // Publishes a new cookie secret (control plane; serialised by a mutex because
  // the timer and a telemetry command may both rotate). Workers notice the new
  // generation at the top of their loop and rotate their codec.
  void publish_secret(const tcp::CookieSecret& s) {
    std::lock_guard<std::mutex> lock(publish_mu_);
    uint32_t next = secret_gen_.load(std::memory_order_relaxed) + 1;
    secrets_[next % kSlots] = s;
    secret_gen_.store(next, std::memory_order_release);
  }
  uint32_t secret_generation() const { return secret_gen_.load(std::memory_order_acquire); }
  const tcp::CookieSecret& secret(uint32_t gen) const { return secrets_[gen % kSlots]; }

 private:
  // A worker copies slot gen % kSlots right after seeing gen; a writer would have
  // to publish kSlots - 1 more secrets during that copy to touch it.
  static constexpr uint32_t kSlots = 4;
  std::atomic<bool> stop_{false};
  std::atomic<CookieMode> mode_;
  std::atomic<uint32_t> secret_gen_{0};
  tcp::CookieSecret secrets_[kSlots];
  std::mutex publish_mu_;
};

}  // namespace synack::runtime
