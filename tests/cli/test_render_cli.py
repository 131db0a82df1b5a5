#!/usr/bin/python3
"""`auralis render` edge cases (issue 12): an interrupted render leaves no
file and exits 128+signal with one line; --float with a format other than
.wav and a --change past the end are refused; the change timeline is
recorded in the file's tags (read back with ffprobe); Opus tags parse
without ffprobe warnings."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
TMP = tempfile.mkdtemp(prefix="auralis-render-cli-")


def run(*args, timeout=300):
    return subprocess.run([BIN, "render", "--quiet", *args],
                          capture_output=True, text=True, timeout=timeout)


def tags(path):
    r = subprocess.run(["ffprobe", "-v", "warning", "-print_format", "json",
                        "-show_format", "-show_streams", path],
                       capture_output=True, text=True, timeout=60)
    j = json.loads(r.stdout)
    t = dict(j["format"].get("tags", {}))
    for s in j.get("streams", []):
        t.update(s.get("tags", {}))
    return {k.lower(): v for k, v in t.items()}, r.stderr


class RenderCli(unittest.TestCase):
    def test_interrupt_leaves_no_file(self):
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            d = tempfile.mkdtemp(dir=TMP)
            out = os.path.join(d, "long.flac")
            p = subprocess.Popen([BIN, "render", "--quiet", "--minutes", "600",
                                  "-o", out], stderr=subprocess.PIPE, text=True)
            # wait (bounded) until the render has started writing its
            # temporary file, then interrupt it
            for _ in range(600):
                if glob.glob(os.path.join(d, ".long.flac.part*")):
                    break
                time.sleep(0.05)
            self.assertTrue(glob.glob(os.path.join(d, ".long.flac.part*")),
                            "the render never started")
            p.send_signal(sig)
            err = p.communicate(timeout=120)[1]
            self.assertEqual(p.returncode, code, err)
            self.assertEqual(os.listdir(d), [], "no file left behind")
            lines = err.strip().splitlines()
            self.assertEqual(len(lines), 1, err)
            self.assertIn("interrupted", lines[0])

    def test_float_only_for_wav(self):
        for ext in ("flac", "opus", "raw"):
            r = run("--seconds", "1", "--float", "-o", os.path.join(TMP, "f." + ext))
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--float applies to .wav", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(TMP, "f." + ext)))
        r = run("--seconds", "1", "--float", "-o", os.path.join(TMP, "f.wav"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_change_past_the_end_refused(self):
        r = run("--seconds", "2", "--change", "3s:bpm=80",
                "-o", os.path.join(TMP, "c.wav"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("past the end", r.stderr)
        self.assertIn("3.0 s", r.stderr)

    def test_timeline_in_tags(self):
        for ext in ("flac", "opus"):
            out = os.path.join(TMP, "t." + ext)
            r = run("--seed", "7", "--seconds", "3", "--change", "48000:bpm=80",
                    "--change", "96000:melody=off", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            t, warnings = tags(out)
            self.assertIn("timeline=48000:bpm=80;96000:melody=false",
                          t.get("comment", ""), t)
            self.assertIn("seed=7", t.get("comment", ""))
            self.assertEqual(warnings.strip(), "", "ffprobe warns: " + warnings)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
