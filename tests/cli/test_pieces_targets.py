#!/usr/bin/python3
"""Every piece against the produced-music targets of issue 8, measured
with the music report's own functions (scripts/pieces_report.py and
scripts/music_report.py) at three seeds, each piece at its own defaults
(key, mode, tempo, intensity): renders are bit-identical, so these figures
are facts about the code, not samples that could flake.

Renders are endless (as a stream: a file's closing fade would count as
dynamics). The spectrum and melody figures come from 4-minute renders;
integrated loudness, LRA and true peak from 10-minute ones, as issue 8
defines them ("over 10 minutes or more": in 4 minutes a stream may bring
only calm sections, or a calm one and a rise). The renders are cheap; the
analysis of the 4-minute ones is what costs, two at a time. The smooth
slope is also checked at seeds 1 and 5, which no mastering EQ was fitted
on (4-minute renders: the slope, the 60-250 Hz share and the melody's
prominence), and glass also at seeds 9 and 12 (its glockenspiel seeds
besides 5, whose halo pad and darker top drew the slope apart).

What a piece misses on purpose is written next to it (and in
docs/pieces.md): night is dark for sleep, so its 1-10 kHz tilt is steeper
than the -8 dB/oct asked of a mix at intensity 0.5 (its defaults are at
0.12, where above 5 kHz must only reach -40 dB)."""
import concurrent.futures
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import pieces_report as pr  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
TMP = tempfile.mkdtemp(prefix="auralis-pieces-targets-")
SF = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SECONDS = 240
LOUD_SECONDS = 600
SEEDS = (7, 3, 11)
# drift is the default mix, held to these targets (at several seeds, keys
# and modes) by tests/cli/test_music.py
PIECES = [p for p in pr.PIECES if p != "drift"]

# tilt 1-10 kHz: the window at 0.5 is -8..-3 dB/oct; night (0.12,
# for sleep) is allowed darker
TILT = {"night": (-12.0, -3.0)}
# the 1/3-octave long-term spectrum against a -3.5 dB/oct slope over 100
# Hz-8 kHz (the report's slope_dev), +-6 dB for every piece. The pieces'
# spectra arched (mids 5-9 dB over the slope, 100-160 Hz and 5-8 kHz under
# it: 6.7-14.7 dB); each piece's mastering EQ (au_piece.eq, docs/pieces.md)
# brings them within it, glass with its bowed glass's upper tone filling
# the octave above the root (it had a chord-root hole at 110-160 Hz that
# no EQ could fill: 6.7-11.5 dB).
SLOPE_TARGET = 6.0
# seeds no EQ was fitted on: the slope and the 60-250 Hz share (240 s
# endless), the check that the mastering follows the music and not three
# performances (choir needed open voicings for it, glass its breath an
# octave lower: docs/pieces.md)
CHECK_SEEDS = (1, 5)
# glass's other glockenspiel seeds (the lead variant with the brightest
# top partials, pieces.md): 6.7 and 6.4 dB before its own filter and level
# and glass's EQ with a presence bell
EXTRA_SEEDS = {"glass": (9, 12)}
# melody prominence (per-note median, dB): at least 5 everywhere, at the
# check seeds too (the variants' levels, au_piece_layer.variant_db, and
# choir's melody x1.85 brought night 5, choir 1 and pulse 1 there; glass's
# glockenspiel +5 dB under a filter an octave lower, au_piece_layer.
# variant_fc, brought glass 5 from +4.1: docs/pieces.md)
PROMINENCE = 5.0
# share of melody notes above the top pad voice
ABOVE_PAD = 80.0

R = {}
CHECK = {}


def slope_at(job):
    """slope, 60-250 Hz share and melody prominence at a check seed"""
    piece, seed = job
    wav = os.path.join(TMP, "check-%s-%d.wav" % (piece, seed))
    mid = os.path.join(TMP, "check-%s-%d.mid" % (piece, seed))
    nomel = os.path.join(TMP, "check-%s-%d-nomel.wav" % (piece, seed))
    pr.render(BIN, "render", wav, piece, seed, SECONDS, ["--endless"])
    pr.render(BIN, "compose", mid, piece, seed, SECONDS, ["--endless"])
    pr.render(BIN, "render", nomel, piece, seed, SECONDS,
              ["--endless", "--no-melody"])
    rate, x = pr.mr.read_wav(wav)
    _, y = pr.mr.read_wav(nomel)
    score = pr.mr.read_midi(mid)
    for f in (wav, mid, nomel):
        os.unlink(f)
    f = pr.mr.spectrum_figures(x, rate)
    prom = pr.mr.melody_prominence(x, y, rate, score["notes"]["melody"])
    return f["slope_dev"], f["b60_250"], prom["prom_med"]


def setUpModule():
    if not os.path.exists(SF):
        raise unittest.SkipTest("no FluidR3_GM SoundFont")
    jobs = [(p, s) for p in PIECES for s in SEEDS]
    rows = pr.analyse_all(BIN, TMP, jobs, SECONDS, endless=True,
                          loud_seconds=LOUD_SECONDS)
    R.update(zip(jobs, rows))
    checks = [(p, s) for p in PIECES
              for s in CHECK_SEEDS + EXTRA_SEEDS.get(p, ())]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        CHECK.update(zip(checks, ex.map(slope_at, checks)))
    for (p, s), (v, b, m) in sorted(CHECK.items()):
        print("%s seed %s: slope_dev %.1f b60_250 %.1f prom %.1f" % (p, s, v, b, m),
              file=sys.stderr)
    for (p, s), r in R.items():
        print("%s seed %s: above5k %.1f tilt %.1f slope_dev %.1f b60_250 %.1f "
              "below60 %.1f lufs %.1f lra %.1f tp %.1f prom %.1f above_pad %.0f" %
              (p, s, r["above5k"], r["tilt1_10k"], r["slope_dev"], r["b60_250"],
               r["below60"], r["lufs"], r["lra"], r["tp"], r["prom_med"],
               r["above_pad"]), file=sys.stderr)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class PieceTargets(unittest.TestCase):
    def each(self, check):
        for (p, s), r in sorted(R.items()):
            with self.subTest(piece=p, seed=s):
                check(p, r)

    def test_top_end(self):
        def check(p, r):
            self.assertGreaterEqual(r["above5k"], -40.0, r["above5k"])
            self.assertLessEqual(r["above5k"], -20.0, r["above5k"])
            # a piece at a middle intensity has the air of a mix at 0.5
            if p != "night":
                self.assertGreaterEqual(r["above5k"], -32.0, r["above5k"])
        self.each(check)

    def test_tilt(self):
        def check(p, r):
            lo, hi = TILT.get(p, (-8.0, -3.0))
            self.assertGreaterEqual(r["tilt1_10k"], lo, r["tilt1_10k"])
            self.assertLessEqual(r["tilt1_10k"], hi, r["tilt1_10k"])
        self.each(check)

    def test_smooth_slope(self):
        def check(p, r):
            self.assertLessEqual(r["slope_dev"], SLOPE_TARGET,
                                 r["slope_dev"])
        self.each(check)

    def test_smooth_slope_at_other_seeds(self):
        for (p, s), (v, _, _) in sorted(CHECK.items()):
            with self.subTest(piece=p, seed=s):
                self.assertLessEqual(v, SLOPE_TARGET, v)

    def test_low_mid_mass_at_other_seeds(self):
        for (p, s), (_, b, _) in sorted(CHECK.items()):
            with self.subTest(piece=p, seed=s):
                self.assertLessEqual(b, 60.0, b)

    def test_melody_sings_at_other_seeds(self):
        for (p, s), (_, _, m) in sorted(CHECK.items()):
            with self.subTest(piece=p, seed=s):
                self.assertGreaterEqual(m, PROMINENCE, m)

    def test_low_mid_mass(self):
        def check(p, r):
            self.assertLessEqual(r["b60_250"], 60.0, r["b60_250"])
            self.assertLessEqual(r["below60"], 8.0, r["below60"])
        self.each(check)

    def test_loudness_and_range(self):
        def check(p, r):
            self.assertAlmostEqual(r["lufs"], -16.0, delta=1.0)
            self.assertLessEqual(r["tp"], -1.0, r["tp"])
            self.assertGreaterEqual(r["lra"], 5.0, r["lra"])
            self.assertLessEqual(r["lra"], 10.0, r["lra"])
        self.each(check)

    def test_melody_sings(self):
        def check(p, r):
            self.assertGreater(r["mel_notes"], 10)
            self.assertGreaterEqual(r["prom_med"], PROMINENCE, r["prom_med"])
            self.assertGreaterEqual(r["above_pad"], ABOVE_PAD, r["above_pad"])
        self.each(check)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
