"""Issue 7: --close=passive as HTTP/1.1 keep-alive (no `Connection: close`, the
client ends the connection), and a valid cookie ACK that finds the flow table
full: dropped and counted `accept_overflow` so the client's retransmission
succeeds once a slot frees (Linux's listen-queue overflow), or answered with a
RST under --abort_on_overflow (Linux tcp_abort_on_overflow). The clients are
kernel sockets opened inside the test's namespace."""
import socket
import time

from harness import ENGINE_IP, check, wait_for
from rawtcp import socket_in_netns
from wirepeer import Wire, counter, drop_count

REQUEST = b"GET / HTTP/1.0\r\nHost: synack\r\n\r\n"


def _client(w, timeout=5.0):
    s = socket_in_netns(w.ns.name, socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((ENGINE_IP, 80))
    return s


def _read_response(s):
    """One HTTP response: the header block and Content-Length bytes of body."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(body) >= length:
                return head, body[:length], body[length:]
        chunk = s.recv(65536)
        check(chunk, "connection closed after %r" % data)
        data += chunk


def _headers(head):
    return {l.partition(b":")[0].strip().lower(): l.partition(b":")[2].strip()
            for l in head.split(b"\r\n")[1:]}


def _still_open(s, seconds):
    """True when nothing (no FIN, no data) arrives within `seconds`."""
    s.settimeout(seconds)
    try:
        s.recv(1)  # a byte, or b"" for the engine's FIN
    except socket.timeout:
        return True
    except ConnectionResetError:
        pass
    return False


def _check_keep_alive_response(head, body):
    check(head.startswith(b"HTTP/1.1 200 "), "status line %r" % head.split(b"\r\n")[0])
    hdrs = _headers(head)
    check(b"connection" not in hdrs, "--close=passive response says Connection: %r" %
          hdrs.get(b"connection"))
    check(hdrs.get(b"content-length") == b"0" and body == b"", "response %r %r" % (head, body))


def _settled(w):
    wait_for(lambda: w.stats()["active_flows"] == 0, 10, "the engine's flows to close")
    st = w.stats()
    check(st["connections_closed"] >= 1 and st["connections_reset"] == 0,
          "closed %s, reset %s" % (st["connections_closed"], st["connections_reset"]))
    return st


def test_passive_close_default_response_keeps_the_connection_to_the_client():
    with Wire(["--close=passive"]) as w:
        s = _client(w)
        s.sendall(REQUEST)
        head, body, extra = _read_response(s)
        _check_keep_alive_response(head, body)
        check(extra == b"", "bytes after the response: %r" % extra)
        check(_still_open(s, 1.0), "the engine ended the connection; --close=passive waits for "
              "the client")
        s.close()
        _settled(w)


def test_passive_close_answers_every_request_on_the_connection():
    # HTTP/1.1 keep-alive: each request on the connection gets the response.
    with Wire(["--close=passive"]) as w:
        s = _client(w)
        for i in range(3):
            s.sendall(REQUEST)
            head, body, extra = _read_response(s)
            _check_keep_alive_response(head, body)
            check(extra == b"", "request %d: extra bytes %r" % (i + 1, extra))
        check(_still_open(s, 0.5), "the engine ended the connection after 3 requests")
        s.close()
        _settled(w)


MAX_FLOWS = 16
OVERFLOW_FLAGS = ["--max_flows=%d" % MAX_FLOWS, "--backlog=%d" % MAX_FLOWS, "--syncookies=always",
                  "--close=passive"]


def _fill_table(w):
    held = [_client(w) for _ in range(MAX_FLOWS)]
    wait_for(lambda: w.stats()["established_flows"] == MAX_FLOWS, 10,
             "%d established connections" % MAX_FLOWS)
    return held


def test_cookie_ack_into_a_full_table_is_dropped_then_retried():
    with Wire(OVERFLOW_FLAGS) as w:
        held = _fill_table(w)
        try:
            # The 17th: connect() completes on the cookie SYN-ACK; its ACK and its
            # request find no slot and are dropped without a word.
            late = _client(w)
            late.sendall(REQUEST)
            check(_still_open(late, 2.0), "the 17th connection was answered or reset while the "
                  "table was full")
            st = w.stats()
            check(st["established_flows"] == MAX_FLOWS and st["rst_sent"] == 0,
                  "table full: established %s, rst_sent %s" %
                  (st["established_flows"], st["rst_sent"]))
            held.pop(0).close()  # a slot frees (passive close: FIN, FIN, ACK)
            t0 = time.time()
            late.settimeout(20)
            head, body, _ = _read_response(late)
            check(head.startswith(b"HTTP/1.1 200 "), "17th connection got %r" % head)
            print("    17th connection answered %.1f s after a slot freed" % (time.time() - t0))
            st = w.stats()
            check(drop_count(st, "accept_overflow") >= 2,
                  "drops[accept_overflow] %s: the final ACK and the request were dropped" %
                  drop_count(st, "accept_overflow"))
            check(st["drops"]["flow_table_full"] == 0,
                  "counted as flow_table_full (%s), not accept_overflow" %
                  st["drops"]["flow_table_full"])
            late.close()
        finally:
            for s in held:
                s.close()


def test_abort_on_overflow_resets_the_17th():
    with Wire(OVERFLOW_FLAGS + ["--abort_on_overflow"]) as w:
        held = _fill_table(w)
        try:
            late = _client(w)
            late.settimeout(3.0)
            try:
                late.sendall(REQUEST)
                outcome = "got %r" % late.recv(100)
            except (ConnectionResetError, BrokenPipeError):
                outcome = "reset"
            except socket.timeout:
                outcome = "nothing within 3 s"
            check(outcome == "reset", "the 17th connection was not reset: %s" % outcome)
            st = w.stats()
            check(counter(st, "rst_sent") >= 1 and st["established_flows"] == MAX_FLOWS,
                  "rst_sent %s, established %s" % (st["rst_sent"], st["established_flows"]))
            late.close()
        finally:
            for s in held:
                s.close()
