#!/usr/bin/env python3
"""Kernel-socket TCP client for the tests (run inside the test namespace).

  client.py HOST PORT MODE [N] [CONCURRENCY] [TIMEOUT_S]

MODE
  once     connect, send a request, read the whole response (until EOF, or until
           Content-Length bytes when the server waits for us to close), close.
  many     N such connections, CONCURRENCY at a time; prints JSON counts.
Prints one JSON object.
"""
import json
import socket
import sys
import threading
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: synack\r\nUser-Agent: synack-test\r\n\r\n"


def one(host, port, timeout=10.0, opts=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    for level, name, value in (opts or []):
        s.setsockopt(level, name, value)
    s.connect((host, port))
    s.sendall(REQUEST)
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(body) >= length:
                break
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def main():
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "once":
        data = one(host, port)
        print(json.dumps({"response": data.decode("latin-1")}))
        return
    n, conc = int(sys.argv[4]), int(sys.argv[5])
    timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0, "errors": []}
    next_i = [0]

    def worker():
        while True:
            with lock:
                if next_i[0] >= n:
                    return
                next_i[0] += 1
            try:
                data = one(host, port, timeout)
                good = data.startswith(b"HTTP/1.1 200 OK")
            except OSError as e:
                good = False
                with lock:
                    if len(counts["errors"]) < 5:
                        counts["errors"].append(str(e))
            with lock:
                counts["ok" if good else "failed"] += 1

    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts["seconds"] = time.time() - t0
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
