// SIGINT/SIGTERM end the run: the handler only records the signal; the control
// loop polls it and stops the workers through the ControlBlock.
#pragma once

namespace synack::runtime {

void install_stop_signals();
int stop_signal_received();  // the signal number, or 0

}  // namespace synack::runtime
