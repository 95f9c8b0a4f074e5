#!/usr/bin/env python3
"""Runs the unit suites of build/ and build-asan/ (each GoogleTest binary that
meson knows, case by case), each libFuzzer harness of build-fuzz/ for a short
bounded time (one test each) and the integration tests, then prints one line
"N passed, M failed". Used by scripts/test.sh; assumes the three builds exist.
FUZZ_SECONDS (default 20) sets the time per harness, FUZZ_JOBS (default 2) how
many run at once."""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def unit_suites(build):
    out = subprocess.run(["meson", "introspect", "--tests", build], capture_output=True,
                         text=True, check=True).stdout
    return [t for t in json.loads(out)
            if any(s.split(":")[-1] == "unit" for s in t.get("suite", []))]


def run_gtest(test, label):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        report = f.name
    env = dict(os.environ)
    env.update(test.get("env", {}) or {})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    cmd = test["cmd"] + ["--gtest_output=json:" + report]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900,
                       cwd=test.get("workdir") or ROOT)
    passed = failed = 0
    try:
        with open(report) as f:
            data = json.load(f)
        for suite in data.get("testsuites", []):
            for case in suite.get("testsuite", []):
                if case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                    continue
                if case.get("failures"):
                    failed += 1
                    print("  FAIL %s %s.%s" % (label, suite["name"], case["name"]))
                else:
                    passed += 1
    except (OSError, ValueError):
        pass
    finally:
        if os.path.exists(report):
            os.unlink(report)
    if p.returncode != 0 and failed == 0:
        failed = 1  # crashed, sanitizer report, or no report at all
        print("  FAIL %s %s exited %d\n%s%s" % (label, test["name"], p.returncode,
                                                p.stdout[-3000:], p.stderr[-3000:]))
    print("%-10s %-12s %4d ok, %d failing" % (label, test["name"], passed, failed), flush=True)
    return passed, failed


def fuzz_harnesses(build):
    out = subprocess.run(["meson", "introspect", "--targets", build], capture_output=True,
                         text=True, check=True).stdout
    return sorted(t["name"] for t in json.loads(out)
                  if t["type"] == "executable" and t["name"].startswith("fuzz_"))


def run_fuzz(harness, seconds):
    """One harness through scripts/fuzz.sh (libFuzzer's -max_total_time, and a
    hard timeout there and here): passed when it found nothing."""
    cmd = ["bash", os.path.join(ROOT, "scripts", "fuzz.sh"), "--no-build", str(seconds), harness]
    # Its own session, so that a timeout here ends the harness under it too.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=ROOT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=seconds + 120)
        ok = p.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        ok, out = False, "timed out\n" + out
    line = next((l for l in out.splitlines() if l.startswith("fuzz: " + harness)), "")
    detail = line[len("fuzz: "):].split(None, 2)[-1] if line else ""
    report = "" if ok else "  FAIL fuzz %s\n%s\n" % (harness, out[-3000:].rstrip())
    report += "%-10s %-12s %4d ok, %d failing  %s" % ("fuzz", harness, int(ok), int(not ok),
                                                     detail.strip())
    return int(ok), int(not ok), report


def main():
    total_p = total_f = 0
    for build, label in (("build", "unit"), ("build-asan", "asan-unit")):
        for t in unit_suites(os.path.join(ROOT, build)):
            p, f = run_gtest(t, label)
            total_p += p
            total_f += f
    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    try:
        harnesses = fuzz_harnesses(os.path.join(ROOT, "build-fuzz"))
    except (OSError, subprocess.CalledProcessError, ValueError):
        harnesses = []
    if not harnesses:
        print("  FAIL fuzz: no harness in build-fuzz (scripts/setup.sh --fuzz)")
        total_f += 1
    # Each harness is bounded in time, not work: two at a time (FUZZ_JOBS) halve
    # the wall clock on this 2-core machine.
    with concurrent.futures.ThreadPoolExecutor(int(os.environ.get("FUZZ_JOBS", "2"))) as pool:
        for p, f, report in pool.map(lambda h: run_fuzz(h, seconds), harnesses):
            print(report, flush=True)
            total_p += p
            total_f += f
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        summary = f.name
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "integration", "run.py"),
                    "--summary", summary] + sys.argv[1:], cwd=ROOT)
    try:
        with open(summary) as f:
            s = json.load(f)
        total_p += len(s["passed"])
        total_f += len(s["failed"])
        os.unlink(summary)
    except (OSError, ValueError):
        print("integration: no summary (runner crashed)")
        total_f += 1
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
