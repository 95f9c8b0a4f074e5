// synack [EAL options] -- [flags]
// Flags are validated before EAL starts, so a bad value costs no set-up.
#include <gflags/gflags.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/flags.h"
#include "runtime/engine.h"

int main(int argc, char** argv) {
  // Split at the first "--": EAL options before it, synack flags after. Without
  // one, everything is a synack flag and EAL gets its defaults.
  int split = -1;
  for (int i = 1; i < argc; i++)
    if (std::strcmp(argv[i], "--") == 0) {
      split = i;
      break;
    }
  std::vector<char*> eal_args{argv[0]};
  std::vector<char*> flag_args{argv[0]};
  for (int i = 1; i < argc; i++) {
    if (split < 0 || i > split)
      flag_args.push_back(argv[i]);
    else if (i < split)
      eal_args.push_back(argv[i]);
  }

  gflags::SetUsageMessage("synack [EAL options] -- [flags]   (--helpfull lists every flag)");
  int flag_argc = static_cast<int>(flag_args.size());
  char** flag_argv = flag_args.data();
  gflags::ParseCommandLineFlags(&flag_argc, &flag_argv, true);
  if (flag_argc > 1) {
    std::fprintf(stderr, "synack: error: unexpected argument '%s' (flags look like --name=value)\n",
                 flag_argv[1]);
    return 2;
  }

  synack::runtime::RuntimeConfig cfg;
  std::string err;
  if (!synack::app::build_config(&cfg, &err)) {
    std::fprintf(stderr, "synack: error: %s\n", err.c_str());
    return 2;
  }

  if (rte_eal_init(static_cast<int>(eal_args.size()), eal_args.data()) < 0) {
    std::fprintf(stderr, "synack: error: EAL initialisation failed (%s): check the EAL options\n",
                 rte_strerror(rte_errno));
    return 2;
  }
  int rc = synack::runtime::run_engine(cfg);
  rte_eal_cleanup();
  gflags::ShutDownCommandLineFlags();
  return rc;
}
