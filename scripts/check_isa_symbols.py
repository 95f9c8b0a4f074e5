#!/usr/bin/env python3
"""Build-time check of the per-instruction-set static libraries (engine/tcp/meson.build):
the only global code each may define is its own entry points (synack::tcp::sipbatch::*).
Weak code there (an inline function or template instance with external linkage,
compiled with -mavx2 or -mavx512f) is code the linker may pick for the whole binary,
which would then stop with SIGILL on a CPU without that instruction set. Data symbols
(such as the sanitizer build's DW.ref.__gxx_personality_v0) hold no instructions.

Usage: check_isa_symbols.py NM STAMP LIB.a...   (writes STAMP when every LIB passes)"""
import subprocess
import sys

ENTRY_PREFIX = "synack::tcp::sipbatch::"
# nm kinds of global code: text, weak (functions; weak objects are V), indirect.
CODE_KINDS = {"T", "W", "i"}


def offenders(nm, lib):
    out = subprocess.run([nm, "-C", "--defined-only", "--extern-only", lib],
                         capture_output=True, text=True, check=True).stdout
    bad = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) != 3:
            continue  # archive member headers, blank lines
        kind, name = parts[1], parts[2]
        if kind not in CODE_KINDS:
            continue
        if kind != "T" or not name.startswith(ENTRY_PREFIX):
            bad.append("%s %s" % (kind, name))
    return bad


def main():
    nm, stamp, libs = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = False
    for lib in libs:
        bad = offenders(nm, lib)
        if bad:
            failed = True
            print("%s: global code besides the %s entry points (give them internal "
                  "linkage: anonymous namespace, or a type from one):" % (lib, ENTRY_PREFIX))
            for b in bad:
                print("  " + b)
    if failed:
        return 1
    with open(stamp, "w") as f:
        f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
