// Command-line flags (gflags) and their validation into a RuntimeConfig.
#pragma once

#include <string>

#include "runtime/config.h"

namespace synack::app {

// Validates every flag. On failure returns false and sets *err to one line that
// names the flag and the problem ("--ip=300.1.1.1: not an IPv4 address").
bool build_config(runtime::RuntimeConfig* cfg, std::string* err);

// Parses "a.b.c.d" strictly (no leading zeros ambiguity, each part 0-255).
bool parse_ipv4(const std::string& s, uint32_t* out);

// "a.b.c.d:port", the port 1-65535.
bool parse_ip_port(const std::string& s, uint32_t* ip, uint16_t* port);

}  // namespace synack::app
