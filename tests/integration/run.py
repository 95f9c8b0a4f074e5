#!/usr/bin/env python3
"""Runs the integration tests (functions named test_* in test_*.py here).

  run.py [-k SUBSTRING] [--summary FILE]

Prints PASS/FAIL per test and ends with "N passed, M failed".
"""
import argparse
import importlib.util
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def discover(selector):
    tests = []
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(HERE, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(dir(mod)):
            fn = getattr(mod, name)
            full = "%s.%s" % (fname[:-3], name)
            if name.startswith("test_") and callable(fn) and (not selector or selector in full):
                tests.append((full, fn))
    return tests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="")
    ap.add_argument("--summary")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces, net_tap)")
        return 2
    passed, failed = [], []
    for name, fn in discover(args.k):
        t0 = time.time()
        print("RUN  %s" % name, flush=True)
        try:
            fn()
            passed.append(name)
            print("PASS %s (%.1fs)" % (name, time.time() - t0), flush=True)
        except Exception as e:  # a failing test must not stop the others
            failed.append(name)
            print("FAIL %s (%.1fs): %s" % (name, time.time() - t0, e), flush=True)
            traceback.print_exc(limit=3)
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump({"passed": passed, "failed": failed}, f)
    if args.summary:  # the caller prints the one overall "N passed, M failed" line
        print("integration  %4d ok, %d failing" % (len(passed), len(failed)))
    else:
        print("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
