#!/usr/bin/python3
"""Black-box tests of pieces and SoundFont options in the CLI: --piece and
--soundfont are validated with messages that name the value (and list the
valid pieces), a failed --soundfont leaves no file behind, MIDI export gives
each layer its piece's General MIDI program, renders of every piece are
bit-identical across runs, and pieces differ more from each other than two
seeds of one piece do (long-term spectrum and timbre features)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import wave

import mido
import numpy as np

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
TMP = tempfile.mkdtemp(prefix="auralis-pieces-")
SF = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
PIECES = ["drift", "rooms", "glass", "choir", "night", "pulse"]
# what each piece's layers play (GM programs, 0-based): the seed picks one
# of the patch variants
PROGRAMS = {
    "rooms": {"Pads": {49}, "Melody": {0, 1}, "Bass": {49}},
    "glass": {"Pads": {94}, "Melody": {8, 10, 9}, "Bells": {98, 14},
              "Percussion": {48, 0}, "Bass": {92}},
    "choir": {"Pads": {91}, "Melody": {53}},
    "night": {"Pads": {49}, "Melody": {4, 46, 11}, "Bass": {49}},
    "pulse": {"Melody": {11, 12}, "Percussion": {40, 32, 8}, "Bells": {108, 10}},
    "drift": {"Pads": {89}, "Melody": {75}, "Bass": {38}},
}


def run(*args, timeout=300):
    return subprocess.run([BIN, *args], capture_output=True, text=True,
                          timeout=timeout)


def out(ext):
    return os.path.join(TMP, "o%d.%s" % (time.monotonic_ns(), ext))


def read_wav(path):
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return x.reshape(-1, 2).astype(np.float64).mean(axis=1) / 32768.0


def features(x, rate=48000):
    """Long-term 1/3-octave spectrum (dB re total, 50 Hz-16 kHz) plus timbre
    figures: spectral centroid, flatness and onset rate."""
    n = 8192
    frames = x[: len(x) // n * n].reshape(-1, n) * np.hanning(n)
    P = (np.abs(np.fft.rfft(frames, axis=1)) ** 2)
    f = np.fft.rfftfreq(n, 1 / rate)
    lt = P.mean(axis=0)
    edges = 50 * 2 ** (np.arange(0, 28) / 3)
    bands = np.array([lt[(f >= a) & (f < b)].sum() for a, b in zip(edges[:-1], edges[1:])])
    bands_db = 10 * np.log10(bands / bands.sum() + 1e-12)
    cen = (P * f).sum(axis=1) / (P.sum(axis=1) + 1e-20)
    flat = np.exp(np.log(P[:, 1:] + 1e-20).mean(axis=1)) / (P[:, 1:].mean(axis=1) + 1e-20)
    flux = np.maximum(np.diff(np.log(P + 1e-12), axis=0), 0).mean(axis=1)
    timbre = np.array([np.log2(np.median(cen)) * 6, 10 * np.log10(np.median(flat)),
                       np.log10(np.mean(flux > np.median(flux) * 1.5) + 1e-3) * 10])
    return np.concatenate([bands_db, timbre])


def clicks(x, rate):
    """jumps far above the local level of the second difference (the same
    measure as tests/cli/test_render_audio.py)"""
    d = np.diff(x, n=2, axis=0)
    mono = np.max(np.abs(d), axis=1)
    win = rate // 20
    n = len(mono) // win
    blocks = mono[: n * win].reshape(n, win)
    rms = np.sqrt(np.mean(blocks ** 2, axis=1)) + 1e-5
    return int(np.sum(np.max(blocks, axis=1) > 12 * rms + 0.02))


def distance(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


class PieceOptions(unittest.TestCase):
    def test_unknown_piece_lists_names(self):
        for cmd in (["compose", "-o", out("mid")], ["render", "-o", out("wav")]):
            r = run(*cmd, "--piece", "jazz")
            self.assertEqual(r.returncode, 2)
            self.assertIn("piece must be one of drift, rooms, glass, choir, "
                          "night, pulse (got 'jazz')", r.stderr)
        r = run("serve", "--port", "0", "--piece", "nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn("(got 'nope')", r.stderr)
        r = run("render", "--change", "10s:piece=x", "-o", out("wav"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("piece must be one of", r.stderr)

    def test_soundfont_errors_name_the_path(self):
        missing = os.path.join(TMP, "nothing-here.sf2")
        junk = os.path.join(TMP, "junk.sf2")
        with open(junk, "wb") as f:
            f.write(b"RIFF\x04\x00\x00\x00WAVE not a soundfont")
        for path, words in ((missing, "cannot read"), (junk, "not a SoundFont"),
                            (TMP, "cannot read")):
            target = out("flac")
            r = run("render", "--piece", "rooms", "--seconds", "2",
                    "--soundfont", path, "-o", target)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(path, r.stderr)
            self.assertIn(words, r.stderr)
            self.assertFalse(os.path.exists(target))
            r = run("serve", "--port", "0", "--soundfont", path)
            self.assertEqual(r.returncode, 2)
            self.assertIn(path, r.stderr)

    def test_no_soundfont(self):
        a, b = out("wav"), out("wav")
        r = run("render", "--quiet", "--piece", "rooms", "--seed", "1",
                "--seconds", "6", "--no-soundfont", "-o", a)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        r = run("render", "--piece", "rooms", "--seconds", "2", "--no-soundfont",
                "--soundfont", SF, "-o", b)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not both", r.stderr)
        self.assertGreater(np.sqrt(np.mean(read_wav(a)[48000 * 2:] ** 2)), 1e-3)
        if os.path.exists(SF):  # the SoundFont's piano is another sound
            r = run("render", "--quiet", "--piece", "rooms", "--seed", "1",
                    "--seconds", "6", "-o", b)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(np.array_equal(read_wav(a), read_wav(b)))

    def test_piece_sets_defaults_options_override(self):
        target = out("mid")
        r = run("compose", "--piece", "night", "--seed", "3", "--seconds", "30",
                "-o", target)
        self.assertEqual(r.returncode, 0, r.stderr)
        mf = mido.MidiFile(target)
        tempos = [m.tempo for m in mf.tracks[0] if m.type == "set_tempo"]
        self.assertAlmostEqual(mido.tempo2bpm(tempos[0]), 40, places=3)
        target = out("mid")
        r = run("compose", "--bpm", "70", "--piece", "night", "--seed", "3",
                "--seconds", "30", "-o", target)
        mf = mido.MidiFile(target)
        tempos = [m.tempo for m in mf.tracks[0] if m.type == "set_tempo"]
        self.assertAlmostEqual(mido.tempo2bpm(tempos[0]), 70, places=3)

    def test_change_of_piece_brings_its_defaults(self):
        def tempos(*extra):
            target = out("mid")
            r = run("compose", "--piece", "pulse", "--seed", "4", "--seconds",
                    "90", *extra, "-o", target)
            self.assertEqual(r.returncode, 0, r.stderr)
            return [mido.tempo2bpm(m.tempo) for m in mido.MidiFile(target).tracks[0]
                    if m.type == "set_tempo"]
        t = tempos("--change", "20s:piece=night")
        self.assertAlmostEqual(t[0], 92, places=3)
        self.assertAlmostEqual(t[-1], 40, places=3)  # night's tempo, glided to
        self.assertGreater(len(t), 3, "a glide, not a jump")
        t = tempos("--change", "20s:piece=night,bpm=70")
        self.assertAlmostEqual(t[-1], 70, places=3)  # the same change wins
        t = tempos("--change", "20s:intensity=0.3")
        self.assertAlmostEqual(t[-1], 92, places=3)  # no piece: tempo kept

    def test_change_of_piece_is_click_free(self):
        for a, b in (("pulse", "night"), ("drift", "glass"), ("choir", "rooms")):
            with self.subTest(a=a, b=b):
                path = out("wav")
                r = run("render", "--quiet", "--piece", a, "--seed", "6",
                        "--seconds", "45", "--change", "15s:piece=" + b,
                        "--change", "30s:piece=" + a, "-o", path)
                self.assertEqual(r.returncode, 0, r.stderr)
                with wave.open(path) as w:
                    x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
                x = x.reshape(-1, 2).astype(np.float64) / 32768.0
                self.assertEqual(clicks(x, 48000), 0)

    def test_midi_programs(self):
        for piece, progs in PROGRAMS.items():
            seen = {name: set() for name in progs}
            for seed in range(1, 9):
                target = out("mid")
                r = run("compose", "--piece", piece, "--seed", str(seed),
                        "--seconds", "20", "-o", target)
                self.assertEqual(r.returncode, 0, r.stderr)
                mf = mido.MidiFile(target)
                for tr in mf.tracks[1:]:
                    pcs = [m.program for m in tr if m.type == "program_change"]
                    if tr.name in progs:
                        self.assertIn(pcs[0], progs[tr.name], (piece, tr.name))
                        seen[tr.name].add(pcs[0])
            # the seed picks the variant: 8 seeds meet more than one
            for name, allowed in progs.items():
                if len(allowed) > 1:
                    self.assertGreater(len(seen[name]), 1, (piece, name))


@unittest.skipUnless(os.path.exists(SF), "no FluidR3_GM SoundFont")
class PieceRenders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.feat = {}
        procs = []
        for p in PIECES:
            for seed in (1, 2):
                path = os.path.join(TMP, "%s-%d.wav" % (p, seed))
                procs.append(subprocess.Popen(
                    [BIN, "render", "--quiet", "--piece", p, "--seed", str(seed),
                     "--seconds", "120", "-o", path]))
                if len(procs) >= 2:
                    assert procs.pop(0).wait(timeout=600) == 0
        for pr in procs:
            assert pr.wait(timeout=600) == 0
        for p in PIECES:
            for seed in (1, 2):
                cls.feat[(p, seed)] = features(
                    read_wav(os.path.join(TMP, "%s-%d.wav" % (p, seed))))

    def test_render_repeats_bit_for_bit(self):
        path = out("wav")
        r = run("render", "--quiet", "--piece", "pulse", "--seed", "1",
                "--seconds", "120", "-o", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, "rb") as f, open(os.path.join(TMP, "pulse-1.wav"), "rb") as g:
            self.assertEqual(f.read(), g.read())

    def test_pieces_differ_more_than_seeds(self):
        within = {p: distance(self.feat[(p, 1)], self.feat[(p, 2)]) for p in PIECES}
        worst = []
        for i, a in enumerate(PIECES):
            for b in PIECES[i + 1:]:
                between = min(distance(self.feat[(a, s)], self.feat[(b, t)])
                              for s in (1, 2) for t in (1, 2))
                limit = max(within[a], within[b])
                worst.append((between / max(limit, 1e-9), a, b, between, limit))
                self.assertGreater(between, limit,
                                   "%s vs %s: %.2f dB between, %.2f within" %
                                   (a, b, between, limit))
        worst.sort()
        print("distinctness: smallest between/within ratio %.2f (%s vs %s: "
              "%.2f vs %.2f dB)" % worst[0], file=sys.stderr)

    def test_levels(self):
        for p in PIECES:
            x = read_wav(os.path.join(TMP, "%s-1.wav" % p))
            rms = 20 * np.log10(np.sqrt(np.mean(x[48000 * 20:] ** 2)))
            peak = 20 * np.log10(np.max(np.abs(x)) + 1e-12)
            self.assertGreater(rms, -30, p)
            self.assertLess(peak, -0.5, p)


if __name__ == "__main__":
    try:
        unittest.main(argv=[sys.argv[0]], verbosity=2)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
