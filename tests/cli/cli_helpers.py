"""Helpers shared by the end-to-end tests in tests/cli that run servers
(auralis, icecast2, nginx): free ports, waiting for a property with a
generous bound, starting `auralis serve --port 0` and stopping by PID, a
bare WebSocket upgrade. Not a test itself (ctest runs tests/cli/test_*.py).
"""
import base64
import os
import re
import signal
import socket
import subprocess
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout, what):
    """pred's first true value, polled until `timeout` seconds (a bound on
    a property, never a speed claim; exceptions count as not yet)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = pred()
            if v:
                return v
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def stop(p):
    """SIGTERM, then SIGKILL after 8 s; None is nothing to stop."""
    if p is None:
        return
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=8)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p.stdout:
        p.stdout.close()


def start_auralis(binary, args, procs, stderr=subprocess.DEVNULL, env=None):
    """Starts `auralis serve --port 0 ARGS`, adds it to procs (stopped by
    the caller's tearDown) and returns (process, port) once it listens."""
    p = subprocess.Popen([binary, "serve", "--port", "0"] + list(args),
                         stdout=subprocess.PIPE, stderr=stderr, text=True,
                         env=env)
    procs.append(p)
    line = p.stdout.readline()
    while line and "listening on" not in line:
        line = p.stdout.readline()
    m = re.search(r":(\d+)/", line)
    if not m:
        raise AssertionError("auralis did not start")
    return p, int(m.group(1))


def ws_upgrade(port, query, timeout=15):
    """A bare WebSocket client (no library): upgrades GET /ws?query and
    returns the socket and the bytes read after the 101 head."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (query, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise AssertionError("connection closed during the upgrade")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return s, buf
