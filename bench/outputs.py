#!/usr/bin/python3
"""CPU cost of the outputs beside the WebSocket, per station, measured on
their own threads (CPU time, so a busy machine slows the run but does not
skew the figure):

  hls      S stations with HLS (AAC 128 kbit/s, fMP4): the au-hls thread's
           CPU per station, % of one core; segments made.
  icecast  S stations published to a local icecast2 (Ogg Opus 128 kbit/s):
           the au-icecast thread's CPU per mount, and icecast2's own CPU.

  nginx-hls  L HLS listeners (bench/hls-load.mjs, live-player behaviour)
           through nginx running docs/nginx/auralis.conf in front of one
           node: requests per second, the node's and nginx's CPU.

usage: bench/outputs.py [hls|icecast|nginx-hls|all] [--stations S]
                        [--listeners L] [--seconds T] [--bin build/auralis]
Prints one JSON line per measurement."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cli"))
TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid, name):
    """CPU seconds of the threads of pid called name (comm)."""
    total = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != name:
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read().rsplit(")", 1)[1].split()
            total += (int(st[11]) + int(st[12])) / TICK
        except OSError:
            pass
    return total


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / TICK


def start_server(bin_, extra, env=None):
    p = subprocess.Popen([bin_, "serve", "--port", "0"] + extra,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=env)
    line = p.stdout.readline()
    while line and "listening on" not in line:
        line = p.stdout.readline()
    port = int(re.search(r":(\d+)/", line).group(1))
    return p, port


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=8)
        except subprocess.TimeoutExpired:
            p.kill()
    if p.stdout:
        p.stdout.close()


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def bench_hls(args):
    p, port = start_server(args.bin, [])
    stop_poll = threading.Event()
    try:
        names = ["hls%d" % i for i in range(args.stations)]
        base = "http://127.0.0.1:%d/hls/%%s/index.m3u8" % port
        for n in names:  # each waits for its first segment
            threading.Thread(target=get, args=(base % n,), daemon=True).start()

        def poll():  # keeps the outputs alive (they stop after 60 s idle)
            while not stop_poll.wait(10):
                for n in names:
                    try:
                        get(base % n)
                    except OSError:
                        pass
        threading.Thread(target=poll, daemon=True).start()
        time.sleep(8)  # every output running, first segments out
        m0 = json.loads(get("http://127.0.0.1:%d/api/metrics" % port))
        c0, t0, a0 = thread_cpu(p.pid, "au-hls"), time.monotonic(), proc_cpu(p.pid)
        time.sleep(args.seconds)
        c1, t1, a1 = thread_cpu(p.pid, "au-hls"), time.monotonic(), proc_cpu(p.pid)
        m1 = json.loads(get("http://127.0.0.1:%d/api/metrics" % port))
        wall = t1 - t0
        out = {
            "bench": "hls", "stations": args.stations, "seconds": round(wall, 1),
            "hls_thread_cpu_pct": round(100 * (c1 - c0) / wall, 2),
            "per_station_pct": round(100 * (c1 - c0) / wall / args.stations, 3),
            "server_cpu_pct": round(100 * (a1 - a0) / wall, 1),
            "segments": m1["hls"]["segments"] - m0["hls"]["segments"],
            "outputs": m1["hls"]["outputs"],
            "files_dropped": m1["hls"]["files_dropped"],
        }
        print(json.dumps(out), flush=True)
    finally:
        stop_poll.set()
        stop(p)


def bench_icecast(args):
    from test_icecast_relay import Icecast, SRC_PW, PROCS, wait_for  # noqa
    import test_icecast_relay as T
    tmp = tempfile.mkdtemp(prefix="auralis-bench-icecast-")
    os.chmod(tmp, 0o755)
    ice = Icecast(tmp, "master")
    ice.start()
    env = dict(os.environ, AURALIS_ICECAST_PASSWORD=SRC_PW)
    extra = ["--icecast", "icecast://source@127.0.0.1:%d/" % ice.port]
    for i in range(args.stations):
        extra += ["--icecast-station", "ice%d" % i]
    p, port = start_server(args.bin, extra, env)
    try:
        wait_for(lambda: len(ice.sources()) >= args.stations, 60,
                 "every mount on icecast2")
        time.sleep(3)
        ipid = ice.proc.pid  # as root, runuser's child is icecast2
        kids = subprocess.run(["pgrep", "-P", str(ipid)], capture_output=True,
                              text=True).stdout.split()
        if kids:
            ipid = int(kids[0])
        m0 = json.loads(get("http://127.0.0.1:%d/api/metrics" % port))
        c0, i0, t0 = (thread_cpu(p.pid, "au-icecast"),
                      proc_cpu(ipid), time.monotonic())
        time.sleep(args.seconds)
        c1, i1, t1 = (thread_cpu(p.pid, "au-icecast"),
                      proc_cpu(ipid), time.monotonic())
        m1 = json.loads(get("http://127.0.0.1:%d/api/metrics" % port))
        wall = t1 - t0
        out = {
            "bench": "icecast", "mounts": args.stations,
            "seconds": round(wall, 1),
            "publisher_thread_cpu_pct": round(100 * (c1 - c0) / wall, 2),
            "per_mount_pct": round(100 * (c1 - c0) / wall / args.stations, 3),
            "icecast2_cpu_pct": round(100 * (i1 - i0) / wall, 2),
            "bytes_per_s_per_mount": round((m1["icecast"]["bytes"] -
                                            m0["icecast"]["bytes"]) / wall /
                                           args.stations),
            "failures": m1["icecast"]["failures"],
            "chunks_dropped": m1["icecast"]["chunks_dropped"],
        }
        print(json.dumps(out), flush=True)
    finally:
        stop(p)
        for q in T.PROCS:
            stop(q)
        shutil.rmtree(tmp, ignore_errors=True)


def bench_nginx_hls(args):
    """HLS listeners through nginx (the recipe's cache) in front of one
    node: what the node and nginx pay per listener."""
    from test_nginx_nodes import start_nginx
    tmp = tempfile.mkdtemp(prefix="auralis-bench-nginx-")
    os.chmod(tmp, 0o755)
    p, port = start_server(args.bin, ["--max-streams-per-address", "0",
                                      "--max-pending-per-address", "0"])
    ng = None
    try:
        nport, ng = start_nginx(tmp, [port])
        url = "http://127.0.0.1:%d/hls/bench/index.m3u8" % nport
        for _ in range(100):
            try:
                get(url)
                break
            except OSError:
                time.sleep(0.3)
        worker = int(subprocess.run(["pgrep", "-P", str(ng.pid)],
                                    capture_output=True, text=True)
                     .stdout.split()[0])
        r = subprocess.run(["node", os.path.join(HERE, "hls-load.mjs"), url,
                            str(args.listeners), str(int(args.seconds)),
                            "--pids", "auralis=%d,nginx=%d" % (p.pid, worker),
                            "--ramp", "10"], capture_output=True, text=True,
                           timeout=args.seconds + 120)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        m = json.loads(get("http://127.0.0.1:%d/api/metrics" % port))
        out.update({"bench": "nginx-hls", "node_hls_requests": m["hls"]["requests"],
                    "node_segments_served": m["hls"]["segments_served"]})
        print(json.dumps(out), flush=True)
    finally:
        stop(p)
        if ng:
            stop(ng)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all",
                    choices=["hls", "icecast", "nginx-hls", "all"])
    ap.add_argument("--listeners", type=int, default=1000)
    ap.add_argument("--stations", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build",
                                                  "auralis"))
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.what in ("hls", "all"):
        bench_hls(args)
    if args.what in ("icecast", "all"):
        bench_icecast(args)
    if args.what in ("nginx-hls", "all"):
        bench_nginx_hls(args)


if __name__ == "__main__":
    main()
