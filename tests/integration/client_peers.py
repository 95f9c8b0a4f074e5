#!/usr/bin/env python3
"""Kernel-side servers for synack's client mode, run inside the test's
namespace: a small HTTP server of our own whose every byte and close the test
chooses, and Debian's nginx as a real one.

  client_peers.py http ADDR PORT MODE OUT_JSON

MODE says what the server does with each connection:
  keep      answers every request, never closes first: it closes when the
            client's FIN arrives (the client does the active close)
  close     answers, and closes after a response to a request that says
            "Connection: close" (RFC 9112 9.6), so its FIN comes first
  reset     reads a request, then aborts the connection (SO_LINGER 0: a RST)
  truncate  sends a response head promising more body than it sends, then
            closes
It prints "ready" once listening; on SIGTERM it writes its counts to OUT_JSON
and exits.
"""
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BODY = b"hello synack\n"


def _response(close):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(BODY)
    if close:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + BODY


class _Conn:
    def __init__(self, sock, peer):
        self.sock, self.peer = sock, peer
        self.inbuf = b""
        self.outbuf = b""
        self.requests = 0
        self.close_after_send = False


class HttpServer:
    """The server loop (one thread, non-blocking sockets)."""

    def __init__(self, addr, port, mode):
        self.mode = mode
        self.sel = selectors.DefaultSelector()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((addr, port))
        self.lsock.listen(4096)
        self.lsock.setblocking(False)
        self.sel.register(self.lsock, selectors.EVENT_READ, None)
        self.stats = {"connections": 0, "requests": 0, "request_lines": {}, "hosts": {},
                      "said_close": 0, "requests_per_connection": {}, "bad_requests": 0,
                      "eof_before_request": 0, "client_resets": 0, "request_times": [],
                      "peer_ips": {}}
        self.stop = False

    def _count(self, key, value):
        d = self.stats[key]
        d[value] = d.get(value, 0) + 1

    def _finish(self, c):
        self.sel.unregister(c.sock)
        c.sock.close()
        self._count("requests_per_connection", str(c.requests))
        if c.requests == 0:
            self.stats["eof_before_request"] += 1

    def _abort(self, c):
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._finish(c)

    def _on_request(self, c, head):
        lines = head.split(b"\r\n")
        first = lines[0].decode("latin-1")
        if not first.startswith("GET ") or not first.endswith(" HTTP/1.1"):
            self.stats["bad_requests"] += 1
        self._count("request_lines", first)
        said_close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().decode("latin-1")
            if name == b"host":
                self._count("hosts", value)
            elif name == b"connection" and "close" in value.lower():
                said_close = True
        c.requests += 1
        self.stats["requests"] += 1
        self.stats["said_close"] += said_close
        self.stats["request_times"].append(time.monotonic())
        if self.mode == "reset":
            self._abort(c)
            return False
        if self.mode == "truncate":
            c.outbuf += b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + BODY
            c.close_after_send = True
            return False
        closing = self.mode == "close" and said_close
        c.outbuf += _response(closing)
        c.close_after_send = closing
        return not closing

    def _readable(self, c):
        try:
            data = c.sock.recv(65536)
        except ConnectionResetError:
            self.stats["client_resets"] += 1
            self._finish(c)
            return
        if not data:
            # The client's FIN: in every mode we close too (our FIN answers it).
            self._finish(c)
            return
        c.inbuf += data
        while True:
            head, sep, rest = c.inbuf.partition(b"\r\n\r\n")
            if not sep:
                break
            c.inbuf = rest
            if not self._on_request(c, head):
                break
        if c.sock.fileno() >= 0:
            self._flush(c)

    def _flush(self, c):
        if c.outbuf:
            try:
                n = c.sock.send(c.outbuf)
            except (BlockingIOError, InterruptedError):
                n = 0
            except (ConnectionResetError, BrokenPipeError):
                self.stats["client_resets"] += 1
                self._finish(c)
                return
            c.outbuf = c.outbuf[n:]
        if c.outbuf:
            self.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
        elif c.close_after_send:
            self._finish(c)
        else:
            self.sel.modify(c.sock, selectors.EVENT_READ, c)

    def serve(self):
        while not self.stop:
            for key, mask in self.sel.select(timeout=0.2):
                if key.data is None:
                    try:
                        sock, peer = self.lsock.accept()
                    except BlockingIOError:
                        continue
                    sock.setblocking(False)
                    self.stats["connections"] += 1
                    self._count("peer_ips", peer[0])
                    self.sel.register(sock, selectors.EVENT_READ, _Conn(sock, peer))
                    continue
                c = key.data
                if c.sock.fileno() < 0:
                    continue
                if mask & selectors.EVENT_READ:
                    self._readable(c)
                elif mask & selectors.EVENT_WRITE:
                    self._flush(c)


def _http_main(addr, port, mode, out):
    server = HttpServer(addr, int(port), mode)

    def on_term(*_):
        server.stop = True

    signal.signal(signal.SIGTERM, on_term)
    print("ready", flush=True)
    server.serve()
    with open(out, "w") as f:
        json.dump(server.stats, f)


# ----------------------------------------------------------------------------
# Test-side handles (imported by the tests).

HERE = os.path.dirname(os.path.abspath(__file__))


class KernelHttpServer:
    """Runs `client_peers.py http` in `ns` for the length of a with-block;
    stop() (or leaving the block) returns its counts."""

    def __init__(self, ns, addr, port, mode):
        self.ns, self.addr, self.port, self.mode = ns, addr, port, mode
        fd, self.out = tempfile.mkstemp(prefix="sa-httpd-", suffix=".json")
        os.close(fd)
        self.proc = None
        self.stats = None

    def __enter__(self):
        self.proc = self.ns.popen([sys.executable, os.path.abspath(__file__), "http", self.addr,
                                   str(self.port), self.mode, self.out],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("kernel HTTP server did not start: %r %s" %
                               (line, self.proc.stderr.read() if self.proc.poll() is not None
                                else ""))
        return self

    def stop(self):
        if self.stats is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
            with open(self.out) as f:
                text = f.read()
            if not text:
                raise RuntimeError("kernel HTTP server wrote no counts: %s" %
                                   self.proc.stderr.read())
            self.stats = json.loads(text)
        return self.stats

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        os.unlink(self.out)
        return False


NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 8192; }}
http {{
  log_format synack '$connection $connection_requests $remote_addr:$remote_port "$request" $status';
  access_log {dir}/access.log synack;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen {addr}:{port} backlog=4096;
    location / {{
      default_type text/plain;
      return 200 "hello synack\\n";
    }}
  }}
}}
"""


class Nginx:
    """Debian's nginx in `ns`, one process (master_process off: nothing forks,
    so ending it by PID ends all of it), its config, logs and pid file in a
    temporary directory."""

    def __init__(self, ns, addr, port):
        self.ns, self.addr, self.port = ns, addr, port
        self.dir = tempfile.mkdtemp(prefix="sa-nginx-")
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.access_log = os.path.join(self.dir, "access.log")
        self.error_log = os.path.join(self.dir, "error.log")
        self.proc = None

    def __enter__(self):
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, addr=self.addr, port=self.port))
        self.proc = self.ns.popen(["nginx", "-p", self.dir, "-c", self.conf, "-e", self.error_log],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited %s: %s %s" % (self.proc.returncode,
                                                              self.proc.stdout.read(),
                                                              self._read(self.error_log)))
            p = self.ns.run(["ss", "-tlnH", "sport = :%d" % self.port], check_rc=False)
            if p.stdout.strip():
                return self
            time.sleep(0.1)
        raise RuntimeError("nginx is not listening: " + self._read(self.error_log))

    @staticmethod
    def _read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return ""

    def log_entries(self):
        """Access-log lines as (connection, connection_requests, peer, request, status)."""
        out = []
        for line in self._read(self.access_log).splitlines():
            conn, creq, peer, rest = line.split(" ", 3)
            request, _, status = rest.rpartition(" ")
            out.append((int(conn), int(creq), peer, request.strip('"'), int(status)))
        return out

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        subprocess.run(["rm", "-rf", self.dir])
        return False


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "http":
        _http_main(*sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)
