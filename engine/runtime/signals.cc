#include "runtime/signals.h"

#include <csignal>

namespace synack::runtime {

namespace {
// The one piece of process-wide state: a signal handler has nowhere else to write.
volatile std::sig_atomic_t g_stop_signal = 0;
void on_signal(int sig) {
  g_stop_signal = sig;
}
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal_received() {
  return g_stop_signal;
}

}  // namespace synack::runtime
