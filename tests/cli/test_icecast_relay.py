#!/usr/bin/python3
"""Icecast publishing (`serve --icecast`), end to end with Debian's icecast2:
a master Icecast that auralis publishes a station to, and a second Icecast
relaying the master's mount. A listener on the relay receives Ogg Opus that
ffmpeg decodes, and it is the station's audio: correlation >= 0.99 with the
offline render of the station's seed; its bytes are those /stream/NAME.opus
serves (one encode per station: same header and data pages), and after a
metadata change the chained link carries the same pages restamped. Faults: a wrong password and a master
that goes away are logged once each, counted in the metrics, and the
station keeps playing; when the master comes back, publishing resumes.

icecast2 refuses to run as root: as root it runs as the `icecast2` user the
package creates (runuser). Every process is stopped by PID, also on failure.
Skips (exit 0 with a message) only if icecast2 is not installed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import numpy as np

from cli_helpers import free_port, start_auralis, stop, wait_for, ws_upgrade

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/auralis")
ICECAST = shutil.which("icecast2") or "/usr/bin/icecast2"
SRC_PW = "src-secret-7"
SEED = 777
STATION = "relaytest"
PROCS = []


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


class Icecast:
    """One icecast2 process with its own config, logs and ports."""

    def __init__(self, tmp, name, relay_of=None):
        self.port = free_port()
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o777)
        relay = ""
        if relay_of:
            relay = ("<relay><server>127.0.0.1</server><port>%d</port>"
                     "<mount>/%s.opus</mount><local-mount>/%s.opus</local-mount>"
                     "<on-demand>0</on-demand></relay>"
                     % (relay_of, STATION, STATION))
        self.conf = os.path.join(self.dir, "icecast.xml")
        with open(self.conf, "w") as f:
            f.write("""<icecast>
<location>auralis test</location><admin>test@localhost</admin>
<limits><clients>50</clients><sources>8</sources><queue-size>524288</queue-size>
<client-timeout>30</client-timeout><header-timeout>15</header-timeout>
<source-timeout>5</source-timeout><burst-on-connect>1</burst-on-connect>
<burst-size>65535</burst-size></limits>
<authentication><source-password>%s</source-password>
<relay-password>relay-secret</relay-password><admin-user>admin</admin-user>
<admin-password>admin-secret</admin-password></authentication>
<hostname>127.0.0.1</hostname>
<listen-socket><port>%d</port><bind-address>127.0.0.1</bind-address></listen-socket>
<master-update-interval>1</master-update-interval>
%s
<fileserve>1</fileserve>
<paths><basedir>/usr/share/icecast2</basedir><logdir>%s</logdir>
<webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
<security><chroot>0</chroot></security>
</icecast>
""" % (SRC_PW, self.port, relay, self.dir))
        os.chmod(self.conf, 0o644)
        self.proc = None

    def start(self):
        cmd = [ICECAST, "-c", self.conf]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "icecast2", "--"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        PROCS.append(self.proc)
        wait_for(lambda: http_get(self.url("/status-json.xsl")), 20,
                 "icecast2 on port %d" % self.port)
        return self

    def stop(self):
        stop(self.proc)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def sources(self):
        st = json.loads(http_get(self.url("/status-json.xsl")).decode(
            "utf-8", "replace"))
        src = st.get("icestats", {}).get("source", [])
        if isinstance(src, dict):
            src = [src]
        return src

    def has_mount(self):
        return any(s.get("listenurl", "").endswith("/%s.opus" % STATION)
                   for s in self.sources())


class Auralis:
    def __init__(self, tmp, icecast_url, password, stations, args=()):
        self.err_path = os.path.join(tmp, "auralis-%d.err" % len(PROCS))
        env = dict(os.environ, AURALIS_ICECAST_PASSWORD=password)
        args = ["--icecast", icecast_url] + list(args)
        for s in stations:
            args += ["--icecast-station", s]
        with open(self.err_path, "w") as err:  # the child has its own copy
            self.proc, self.port = start_auralis(BIN, args, PROCS, err, env)

    def metrics(self):
        return json.loads(http_get(
            "http://127.0.0.1:%d/api/metrics" % self.port))

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        stop(self.proc)


def ws_join_and_set(port, station, msg):
    """Joins the station over a bare WebSocket and sends one control
    message. Returns the socket (the caller closes it)."""
    s, _ = ws_upgrade(port, "station=" + station, timeout=10)
    payload = json.dumps(msg).encode()
    assert len(payload) < 126
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return s


def station_urls(port, name=STATION):
    st = json.loads(http_get("http://127.0.0.1:%d/api/stations" % port))
    return [s for s in st["stations"] if s["name"] == name][0]["urls"]


def stream_tags(url):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream_tags", "-of", "json", url],
                       capture_output=True, text=True, timeout=60)
    st = json.loads(r.stdout or "{}").get("streams", [{}])
    return st[0].get("tags", {}) if st else {}


def decode(url, seconds):
    r = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", url,
                        "-t", str(seconds), "-f", "s16le", "-ac", "2", "-ar",
                        "48000", "-"], capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("ffmpeg: " + r.stderr.decode(errors="replace"))
    x = np.frombuffer(r.stdout, dtype="<i2").astype(np.float64)
    return x.reshape(-1, 2).mean(axis=1) / 32768.0


def read_for(url, seconds, out, key):
    """Reads an endless HTTP stream for `seconds` into out[key]."""
    end = time.monotonic() + seconds
    buf = bytearray()
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            while time.monotonic() < end:
                d = r.read1(65536)
                if not d:
                    break
                buf += d
    finally:
        out[key] = bytes(buf)


def relay_and_http_pages(relay, au_port):
    """Reads the relay's mount (14 s) and /stream/NAME.opus (10 s) at once:
    the whole Ogg pages of each."""
    got = {}
    readers = [threading.Thread(target=read_for, args=(
                   relay.url("/%s.opus" % STATION), 14, got, "relay")),
               threading.Thread(target=read_for, args=(
                   "http://127.0.0.1:%d/stream/%s.opus" % (au_port, STATION),
                   10, got, "http"))]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    return ogg_pages(got["relay"]), ogg_pages(got["http"])


def ogg_pages(data):
    """Whole Ogg pages of a byte stream (a cut last page is left out)."""
    pages, i = [], 0
    while i + 27 <= len(data):
        if data[i:i + 4] != b"OggS":
            raise AssertionError("no Ogg page at byte %d" % i)
        hl = 27 + data[i + 26]
        if i + hl > len(data):
            break
        n = hl + sum(data[i + 27:i + hl])
        if i + n > len(data):
            break
        pages.append(data[i:i + n])
        i += n
    return pages


def granule(page):
    return int.from_bytes(page[6:14], "little")


def best_match(a, b):
    """Lag of window a inside b (FFT cross-correlation) and the normalised
    correlation there."""
    n = 1
    while n < len(a) + len(b):
        n <<= 1
    c = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lag = int(np.argmax(c[: len(b) - len(a) + 1]))
    y = b[lag: lag + len(a)]
    return float(np.dot(a, y) / np.sqrt(np.dot(a, a) * np.dot(y, y))), lag


@unittest.skipUnless(os.path.exists(ICECAST), "icecast2 is not installed")
class IcecastRelay(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-icecast-")
        os.chmod(self.tmp, 0o755)

    def tearDown(self):
        for p in PROCS:
            stop(p)
        PROCS.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_relay_listener_hears_the_station(self):
        master = Icecast(self.tmp, "master").start()
        au = Auralis(self.tmp, "icecast://source@127.0.0.1:%d/" % master.port,
                     SRC_PW, ["%s?seed=%d" % (STATION, SEED)])
        wait_for(master.has_mount, 30, "the mount on the master")
        # /api/stations lists the mount among the station's URLs
        wait_for(lambda: station_urls(au.port).get("icecast") ==
                 master.url("/%s.opus" % STATION), 30,
                 "the Icecast URL in /api/stations")
        relay = Icecast(self.tmp, "relay", relay_of=master.port).start()
        wait_for(relay.has_mount, 30, "the mount on the relay")

        # one encode per station for every transport: what the relay
        # serves is, byte for byte, what /stream/NAME.opus serves - the same
        # header pages, then the same data pages (matched by granule
        # position where the two listeners' windows overlap)
        rp, hp = relay_and_http_pages(relay, au.port)
        self.assertGreater(len(rp), 40)
        self.assertGreater(len(hp), 40)
        self.assertEqual(rp[:2], hp[:2], "the same OpusHead/OpusTags pages")
        by_granule = {granule(p): p for p in hp[2:]}
        common = [p for p in rp[2:] if granule(p) in by_granule]
        print("relay vs /stream: %d relay pages, %d /stream pages, %d in "
              "both windows" % (len(rp), len(hp), len(common)))
        self.assertGreaterEqual(len(common), 20)
        for p in common:
            self.assertEqual(p, by_granule[granule(p)],
                             "page at granule %d differs" % granule(p))

        # the stream's tags (OpusTags) reach a listener on the relay
        tags = stream_tags(relay.url("/%s.opus" % STATION))
        self.assertEqual(tags.get("TITLE"), "%s: D dorian, 60 bpm" % STATION)
        self.assertEqual(tags.get("AURALIS_SEED"), str(SEED))

        got = decode(relay.url("/%s.opus" % STATION), 8)
        self.assertGreaterEqual(len(got), 8 * 48000 - 960)
        start_s = float(au.metrics()["uptime_seconds"]) + 5
        ref_path = os.path.join(self.tmp, "ref.raw")
        r = subprocess.run([BIN, "render", "--quiet", "--seed", str(SEED),
                            "--seconds", str(int(start_s) + 10), "-o",
                            ref_path], capture_output=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref = np.fromfile(ref_path, dtype="<i2").astype(np.float64)
        ref = ref.reshape(-1, 2).mean(axis=1) / 32768.0
        corr, lag = best_match(got[2 * 48000: 7 * 48000], ref)
        print("relay listener vs offline render: correlation %.4f at %.3f s"
              % (corr, lag / 48000.0))
        self.assertGreaterEqual(corr, 0.99)

        # a listener changes the key: a new chained Ogg stream carries the
        # new title through the master and the relay
        ws = ws_join_and_set(au.port, STATION,
                             {"type": "set", "key": "A", "mode": "aeolian"})
        wait_for(lambda: au.metrics()["icecast"]["metadata_updates"] >= 1, 30,
                 "a metadata update")
        wait_for(lambda: stream_tags(relay.url("/%s.opus" % STATION)).get(
            "TITLE") == "%s: A aeolian, 60 bpm" % STATION, 30,
            "the new title on the relay")
        ws.close()
        # the chained link carries the station's pages on, restamped: the
        # same lacing and packets at the same granule positions, only the
        # serial, page number and CRC differ
        rp, hp = relay_and_http_pages(relay, au.port)
        self.assertIn(b"TITLE=%s: A aeolian" % STATION.encode(), rp[1])
        by_granule = {granule(p): p for p in hp[2:]}
        common = [p for p in rp[2:] if granule(p) in by_granule]
        self.assertGreaterEqual(len(common), 20)
        for p in common:
            q = by_granule[granule(p)]
            self.assertNotEqual(p[14:18], q[14:18], "a serial of its own")
            self.assertEqual((p[:14], p[26:]), (q[:14], q[26:]),
                             "page at granule %d differs" % granule(p))
        after = decode(relay.url("/%s.opus" % STATION), 3)
        self.assertGreaterEqual(len(after), 3 * 48000 - 960)
        self.assertGreater(np.sqrt(np.mean(after ** 2)), 1e-3)

        m = au.metrics()["icecast"]
        self.assertEqual(m["mounts"], 1)
        self.assertEqual(m["connected"], 1)
        self.assertGreater(m["bytes"], 50000)

        # the master goes away: logged once, counted, the station plays on
        master.stop()
        wait_for(lambda: au.metrics()["icecast"]["failures"] >= 2, 60,
                 "failures counted while the master is away")
        before = au.metrics()["chunks_rendered"]
        time.sleep(1.5)
        self.assertGreater(au.metrics()["chunks_rendered"], before + 5)
        self.assertEqual(au.stderr().count("retrying with backoff"), 1,
                         au.stderr())
        # ... and comes back on the same port: publishing resumes
        master.start()
        wait_for(master.has_mount, 60, "the mount back on the master")
        self.assertEqual(au.metrics()["icecast"]["connected"], 1)
        self.assertGreaterEqual(au.metrics()["icecast"]["connects"], 2)
        au.stop()
        self.assertEqual(au.proc.returncode, 0, au.stderr())

    def test_wrong_password_is_logged_once_and_counted(self):
        master = Icecast(self.tmp, "master").start()
        au = Auralis(self.tmp, "icecast://source@127.0.0.1:%d/live/"
                     % master.port, "not-the-password", [STATION])
        # said once, even where a socket error came first (an Icecast
        # under load may close the socket before its 401 is read) ...
        wait_for(lambda: "refused the login" in au.stderr(), 60,
                 "the refused login logged")
        # ... and not again at the next refusals
        n = au.metrics()["icecast"]["failures"]
        wait_for(lambda: au.metrics()["icecast"]["failures"] >= max(n + 1, 2),
                 90, "another refused login")
        err = au.stderr()
        self.assertEqual(err.count("refused the login"), 1, err)
        self.assertIn("/live/%s.opus" % STATION, err)
        self.assertFalse(master.has_mount())
        # not on the air: no Icecast URL in /api/stations
        self.assertIsNone(station_urls(au.port)["icecast"])
        m = au.metrics()
        self.assertEqual(m["icecast"]["connected"], 0)
        self.assertEqual(m["stations"], 1)
        before = m["chunks_rendered"]
        time.sleep(1.5)
        self.assertGreater(au.metrics()["chunks_rendered"], before + 5)

    def test_every_station_while_it_exists(self):
        """Without --icecast-station: each station is published while it
        exists, and unpublished when it ends."""
        master = Icecast(self.tmp, "master").start()
        port = Auralis(self.tmp, "icecast://source@127.0.0.1:%d/all/"
                       % master.port, SRC_PW, [],
                       ["--station-linger", "1"]).port
        a = ws_join_and_set(port, "aaa", {"type": "ping"})
        b = ws_join_and_set(port, "bbb", {"type": "ping"})
        urls = lambda: sorted(x["listenurl"].split("/", 3)[3]
                              for x in master.sources())
        wait_for(lambda: urls() == ["all/aaa.opus", "all/bbb.opus"], 30,
                 "both stations on the air")
        a.close()
        wait_for(lambda: urls() == ["all/bbb.opus"], 30,
                 "the ended station off the air")
        b.close()

    def test_bad_options_are_refused(self):
        for args, msg in [
            (["--icecast", "http://x/"], "icecast://"),
            (["--icecast", "icecast://source@host:99999/"], "port"),
            (["--icecast", "icecast://source:pw@/"], "host"),
            (["--icecast-station", "x"], "needs --icecast"),
            (["--icecast", "icecast://source:pw@h/", "--icecast-station",
              "bad name"], "station names"),
            (["--icecast", "icecast://source:pw@h/", "--icecast-station",
              "ok?bpm=999"], "bpm"),
            (["--icecast", "icecast://source:pw@h/", "--rate", "44100"],
             "48000"),
            (["--icecast", "icecast://source@h/"], "AURALIS_ICECAST_PASSWORD"),
            (["--icecast", "icecast://source:pw@h/", "--icecast-bitrate",
              "96000"], "--opus-bitrate"),
        ]:
            env = dict(os.environ)
            env.pop("AURALIS_ICECAST_PASSWORD", None)
            r = subprocess.run([BIN, "serve", "--port", "0"] + args,
                               capture_output=True, text=True, timeout=30,
                               env=env)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(msg, r.stderr, args)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
