#!/usr/bin/python3
"""Several engine nodes behind nginx, with the recipe of docs/operations.md
run as it is written (docs/nginx/auralis.conf; only the node ports, the
listen address and the cache folder are substituted). Checks: WebSocket
upgrades pass through nginx; every station lives on exactly one node
whoever joins it and by which transport (WebSocket joins, HLS); HLS
playlists and segments are cached by nginx (the second request is a HIT and
never reaches the node), and ffmpeg decodes HLS through nginx. A resume or
an export that carries its performance (seed, parameters, timeline) works
on whichever node gets it: every node exports the same samples as an
offline render, also through nginx, and a resume by an id no node knows
falls back to the description.
Every process is stopped by PID, also on failure. Skips only if nginx is
not installed."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from cli_helpers import free_port, start_auralis, stop, wait_for, ws_upgrade

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/auralis")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RECIPE = os.path.join(REPO, "docs", "nginx", "auralis.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STATIONS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
            "hotel"]
PROCS = []


def get(port, path, timeout=30):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def start_node():
    # as the recipe says for nodes behind a proxy
    return start_auralis(BIN, ["--max-streams-per-address", "0",
                               "--max-pending-per-address", "0"], PROCS)[1]


def ws_join(port, query):
    """A bare WebSocket client: upgrade through nginx, return the socket
    and the first text frame (hello) as JSON."""
    s, buf = ws_upgrade(port, query)
    while len(buf) < 4:
        buf += s.recv(65536)
    assert buf[0] == 0x81, "first frame is text"
    n, off = buf[1] & 0x7F, 2
    if n == 126:
        n, off = int.from_bytes(buf[2:4], "big"), 4
    while len(buf) < off + n:
        buf += s.recv(65536)
    return s, json.loads(buf[off: off + n])


def post(port, path, timeout=30):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method="POST", data=b"")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def export_file(port, query):
    """POST /api/export?query, wait for the job, return the file's bytes."""
    st, job = post(port, "/api/export?" + query)
    assert st == 202, (st, job)
    end = time.monotonic() + 300
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < end, "export not done: %r" % job
        time.sleep(0.2)
        job = json.loads(get(port, job["status_url"])[2])
    assert job["status"] == "done", job
    return get(port, job["download_url"])[2]


def start_nginx(tmp, nodes):
    """nginx running the recipe (docs/nginx/auralis.conf) with these nodes
    (up to three), on a free port, everything under tmp. (port, Popen)"""
    with open(RECIPE) as f:
        recipe = f.read()
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+;\n", recipe, re.M)
    assert len(servers) == 3, "the recipe lists three nodes"
    for i, line in enumerate(servers):
        recipe = recipe.replace(line, "    server 127.0.0.1:%d;\n" % nodes[i]
                                if i < len(nodes) else "")
    port = free_port()
    assert "listen 80;" in recipe and "/var/cache/nginx/auralis" in recipe
    recipe = recipe.replace("listen 80;", "listen 127.0.0.1:%d;" % port)
    recipe = recipe.replace("/var/cache/nginx/auralis",
                            os.path.join(tmp, "cache"))
    t = tmp
    conf = os.path.join(t, "nginx.conf")
    with open(conf, "w") as f:
        f.write("%sworker_processes 1;\npid %s/nginx.pid;\n"
                "error_log %s/error.log warn;\n"
                "events { worker_connections 8192; }\n"
                "worker_rlimit_nofile 20000;\n"
                "http {\n access_log off;\n"
                " client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
                " fastcgi_temp_path %s/fcgi; uwsgi_temp_path %s/uwsgi;\n"
                " scgi_temp_path %s/scgi;\n%s\n}\n"
                % ("user root;\n" if os.geteuid() == 0 else "", t, t, t, t,
                   t, t, t, recipe))
    p = subprocess.Popen([NGINX, "-p", t, "-c", conf, "-g", "daemon off;"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return port, p


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed")
class NginxNodes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-nginx-")
        os.chmod(self.tmp, 0o755)
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        for p in PROCS:
            stop(p)
        PROCS.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_nginx(self, nodes):
        self.port, p = start_nginx(self.tmp, nodes)
        PROCS.append(p)
        wait_for(lambda: get(self.port, "/api/health", 2)[0] == 200, 20,
                 "nginx in front of the nodes")

    def test_stations_pinned_ws_and_hls_cached(self):
        nodes = [start_node() for _ in range(3)]
        self.start_nginx(nodes)

        # two listeners per station, through nginx
        for name in STATIONS:
            for _ in range(2):
                s, hello = ws_join(self.port, "station=" + name)
                self.socks.append(s)
                self.assertEqual(hello["type"], "hello")
                self.assertEqual(hello["station"], name)

        def per_node():
            return [json.loads(get(p, "/api/metrics")[2]) for p in nodes]

        m = per_node()
        # each station on exactly one node: 8 stations in all, 16 listeners
        self.assertEqual(sum(x["stations"] for x in m), len(STATIONS))
        self.assertEqual(sum(x["listeners"] for x in m), 2 * len(STATIONS))
        for x in m:
            self.assertEqual(x["listeners"], 2 * x["stations"])
        print("stations per node:", [x["stations"] for x in m])

        # HLS of a station joins it on its node (no second copy anywhere)
        st, h, body = get(self.port, "/hls/alpha/index.m3u8")
        self.assertEqual(st, 200)
        self.assertEqual(h.get("X-Cache-Status"), "MISS")
        seg = re.search(r"#EXTINF:[\d.]+,\n(\S+)", body.decode()).group(1)
        self.assertEqual(sum(x["stations"] for x in per_node()), len(STATIONS))
        self.assertEqual(sum(x["hls"]["outputs"] for x in per_node()), 1)

        # segments: the second request is served by nginx's cache
        st, h, a = get(self.port, "/hls/alpha/" + seg)
        self.assertEqual((st, h.get("X-Cache-Status")), (200, "MISS"))
        st, h, b = get(self.port, "/hls/alpha/" + seg)
        self.assertEqual((st, h.get("X-Cache-Status")), (200, "HIT"))
        self.assertEqual(a, b)
        served = sum(x["hls"]["segments_served"] for x in per_node())
        for _ in range(5):
            self.assertEqual(get(self.port, "/hls/alpha/" + seg)[1]
                             .get("X-Cache-Status"), "HIT")
        self.assertEqual(sum(x["hls"]["segments_served"] for x in per_node()),
                         served, "cached segments never reach the node")

        # an independent HLS client through nginx
        r = subprocess.run(
            ["ffmpeg", "-hide_banner", "-v", "error", "-i",
             "http://127.0.0.1:%d/hls/alpha/index.m3u8" % self.port, "-t",
             "4", "-f", "s16le", "-ac", "2", "-ar", "48000", "-"],
            capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), 4 * 48000 * 4)

        # the player's files come through too
        st, h, body = get(self.port, "/")
        self.assertEqual(st, 200)
        self.assertIn(b"<html", body[:200].lower())

    def test_resume_and_export_on_any_node(self):
        """The id of a performance is node-local; its description is not.
        The player sends both (docs/operations.md), so whichever node a
        request reaches can serve it."""
        nodes = [start_node() for _ in range(3)]
        self.start_nginx(nodes)
        timeline = "9600:intensity=0.8,pads_volume=0.5;28800:key=G,mode=lydian"
        to = 8 * 4800
        unknown = "0123456789abcdef0123456789abcdef"
        desc = "seed=4711&bpm=72&bass=false&timeline=" + urllib.parse.quote(
            timeline)
        query = "stream=%s&%s&format=raw&to=%d" % (unknown, desc, to)
        out = os.path.join(self.tmp, "offline.raw")
        subprocess.run([BIN, "render", "--seed", "4711", "--bpm", "72",
                        "--no-bass", "--timeline", timeline, "--seconds",
                        "0.8", "--endless", "--quiet", "-o", out], check=True)
        with open(out, "rb") as f:
            offline = f.read()
        self.assertEqual(len(offline), to * 4)
        # every node, asked directly, renders the same samples
        for p in nodes:
            self.assertEqual(export_file(p, query), offline)
        # through nginx: the job's status and file come from the node that
        # took the POST (requests without a station are keyed by address)
        self.assertEqual(export_file(self.port, query), offline)
        # a resume by an id no node knows plays the described performance
        s, hello = ws_join(self.port, "resume=%s&%s&position=%d"
                           % (unknown, desc, 4 * 4800))
        self.socks.append(s)
        self.assertEqual(hello["type"], "hello")
        self.assertEqual(hello["position"], 4 * 4800)
        self.assertTrue(hello["resume"]["resumed"])
        self.assertEqual(hello["params"]["seed"], "4711"
                         if isinstance(hello["params"]["seed"], str) else 4711)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
