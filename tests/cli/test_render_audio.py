#!/usr/bin/python3
"""Black-box tests of `auralis render`: files are checked with independent
tools (ffmpeg's ebur128 filter for loudness and true peak, libsndfile via the
file itself read with numpy from WAV, ffprobe for tags)."""
import os
import shutil
import re
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy as np

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
TMP = tempfile.mkdtemp(prefix="auralis-render-")


def render(*args, name="r.wav", expect=0):
    out = os.path.join(TMP, name)
    r = subprocess.run([BIN, "render", "--quiet", *args, "-o", out],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != expect:
        raise AssertionError("render exit %d: %s" % (r.returncode, r.stderr))
    return out, r


def ebur128(path):
    r = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path,
                        "-af", "ebur128=peak=true", "-f", "null", "-"],
                       capture_output=True, text=True, timeout=300)
    summary = r.stderr[r.stderr.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return i, tp


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 2 and w.getsampwidth() == 2
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return rate, data.reshape(-1, 2).astype(np.float64) / 32768.0


def clicks(x, rate):
    """Count sample-to-sample jumps far above the local level of the
    second difference (a click is a discontinuity the music never has)."""
    d = np.diff(x, n=2, axis=0)
    mono = np.max(np.abs(d), axis=1)
    win = rate // 20
    n = len(mono) // win
    blocks = mono[: n * win].reshape(n, win)
    rms = np.sqrt(np.mean(blocks ** 2, axis=1)) + 1e-5
    peak = np.max(blocks, axis=1)
    return int(np.sum(peak > 12 * rms + 0.02))


def centroid(x, rate):
    """power-weighted spectral centroid (an amplitude-weighted one over a
    2-minute FFT follows the noise floor of millions of bins, i.e. the
    air, not the music: it read 3.5-4 kHz for a mix whose power sits at
    250-460 Hz)"""
    m = x.mean(axis=1)
    spec = np.abs(np.fft.rfft(m * np.hanning(len(m)))) ** 2
    f = np.fft.rfftfreq(len(m), 1 / rate)
    return float((spec * f).sum() / spec.sum())


def above(x, rate, hz):
    """power above hz re the whole signal's, dB"""
    m = x.mean(axis=1)
    spec = np.abs(np.fft.rfft(m * np.hanning(len(m)))) ** 2
    f = np.fft.rfftfreq(len(m), 1 / rate)
    return float(10 * np.log10(spec[f >= hz].sum() / spec.sum()))


class Render(unittest.TestCase):
    def test_loudness_peak_clicks_gaps(self):
        cases = [("1", "D", "dorian", "0.2"), ("2", "A", "aeolian", "0.5"),
                 ("3", "F", "lydian", "0.9"), ("4", "C", "ionian", "1.0")]
        for seed, key, mode, inten in cases:
            with self.subTest(seed=seed, intensity=inten):
                p, _ = render("--seed", seed, "--key", key, "--mode", mode,
                              "--intensity", inten, "--minutes", "3",
                              name="l%s.wav" % seed)
                i, tp = ebur128(p)
                self.assertAlmostEqual(i, -16.0, delta=1.5, msg="integrated %.1f" % i)
                self.assertLessEqual(tp, -1.0, "true peak %.2f" % tp)
                rate, x = read_wav(p)
                self.assertEqual(rate, 48000)
                self.assertEqual(len(x), 3 * 60 * 48000)
                self.assertLess(np.max(np.abs(x)), 0.999, "clipping")
                self.assertEqual(clicks(x, rate), 0)
                # no silent gaps: every second after the fade-in has sound,
                # up to the ending (the last 12 s fade to silence)
                sec = x[: (len(x) // rate) * rate].reshape(-1, rate, 2)
                rms_db = 20 * np.log10(np.sqrt((sec ** 2).mean(axis=(1, 2))) + 1e-12)
                self.assertGreater(rms_db[2:-12].min(), -50, rms_db.min())
                # ... and ends in silence, not a cut
                last = x[-rate // 100:]
                self.assertLess(20 * np.log10(np.sqrt((last ** 2).mean()) + 1e-12), -50)

    def test_brighter_busier_at_high_intensity(self):
        lo, _ = render("--seed", "9", "--intensity", "0.1", "--minutes", "2", name="lo.wav")
        hi, _ = render("--seed", "9", "--intensity", "0.9", "--minutes", "2", name="hi.wav")
        rate, xl = read_wav(lo)
        _, xh = read_wav(hi)
        self.assertGreater(centroid(xh, rate), 1.2 * centroid(xl, rate))
        # the air above 5 kHz grows with intensity too (issue 8)
        self.assertGreater(above(xh, rate, 5000), above(xl, rate, 5000) + 3.0)

    def test_identical_twice_and_rate(self):
        a, _ = render("--seed", "11", "--seconds", "20", name="a.wav")
        b, _ = render("--seed", "11", "--seconds", "20", name="b.wav")
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())
        c, _ = render("--seed", "11", "--seconds", "20", "--rate", "44100", name="c.wav")
        rate, x = read_wav(c)
        self.assertEqual((rate, len(x)), (44100, 20 * 44100))

    def test_formats_and_tags(self):
        for ext, codec in (("flac", "flac"), ("opus", "opus"), ("wav", "pcm_s16le")):
            p, _ = render("--seed", "12", "--key", "E", "--seconds", "10", name="t." + ext)
            r = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                                "-show_format", p], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("codec_name=" + codec, r.stdout)
            self.assertIn("channels=2", r.stdout)
            self.assertIn("seed=12", r.stdout, "tags carry the seed (%s)" % ext)
        r = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                            os.path.join(TMP, "t.flac")], capture_output=True, text=True)
        self.assertIn("bits_per_raw_sample=24", r.stdout)
        p, _ = render("--seed", "12", "--seconds", "10", "--float", name="f.wav")
        r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", p],
                           capture_output=True, text=True)
        self.assertIn("codec_name=pcm_f32le", r.stdout)

    def test_raw_equals_wav_samples(self):
        w, _ = render("--seed", "13", "--seconds", "5", name="s.wav")
        r, _ = render("--seed", "13", "--seconds", "5", name="s.raw")
        _, x = read_wav(w)
        raw = np.fromfile(r, dtype="<i2").reshape(-1, 2) / 32768.0
        self.assertTrue(np.array_equal(x, raw))

    def test_change_timeline_deterministic(self):
        args = ["--seed", "14", "--seconds", "20", "--change", "96000:bpm=80,intensity=0.9",
                "--change", "5s:key=F"]
        a, _ = render(*args, name="c1.raw")
        b, _ = render(*args, name="c2.raw")
        n, _ = render("--seed", "14", "--seconds", "20", name="c3.raw")
        def read(p):
            with open(p, "rb") as f:
                return f.read()
        A, B, N = (read(p) for p in (a, b, n))
        self.assertEqual(A, B)
        self.assertNotEqual(A, N)
        # before the first change the audio is the same as without changes
        self.assertEqual(A[: 96000 * 4], N[: 96000 * 4])

    def test_bad_output(self):
        for path, words in ((os.path.join(TMP, "x.mp3"), "extension"),
                            ("/nonexistent-dir/x.flac", "cannot write"),
                            (TMP, "")):
            r = subprocess.run([BIN, "render", "--seconds", "5", "-o", path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(words, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        r = subprocess.run([BIN, "render", "--seconds", "5", "--rate", "44100",
                            "-o", os.path.join(TMP, "x.opus")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("48000", r.stderr)
        leftovers = [f for f in os.listdir(TMP) if ".part" in f or f.startswith("x.")]
        self.assertEqual(leftovers, [])


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
