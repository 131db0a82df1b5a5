#!/usr/bin/python3
"""The music's targets (issue 8) that need several 10-minute renders
(dynamics at full intensity, a 7-minute piece that breathes, seeds that
differ more than the halves of one piece, the slope and the low-mid share
at more seeds and keys); the rest is in test_music.py
(split so that each file stays well inside its ctest timeout on a loaded
machine). Renders are bit-identical for a seed, so these figures are facts
about the code, not samples that could flake.
Mostly 10-minute renders (renders are fast; the analysis is chunked):
a few minutes of CPU."""
import os
import shutil
import sys
import unittest

import numpy as np

from music_case import BIN, TMP, mr, piece  # noqa: E402


class Dynamics(unittest.TestCase):
    def test_seven_minutes_breathe(self):
        r = piece("5", "C", "mixolydian", 70, "0.5", 420, prominence=False)
        self.assertAlmostEqual(r["lufs"], -16.0, delta=1.0)
        self.assertLessEqual(r["tp"], -1.0)
        self.assertGreaterEqual(r["lra"], 5.0, r["lra"])
        self.assertLessEqual(r["lra"], 10.0, r["lra"])
        # a sparse section is quieter than a full one
        self.assertGreater(r["sec_corr"], 0.0, r["sec_corr"])


class FullIntensity(unittest.TestCase):
    """Intensity 0.9 over 10 minutes at three seeds, keys and modes: the
    loudness still breathes (LRA 5-10 LU: it was 3.7-4.5 when the section
    level followed the clamped density), sits at the target and a sparse
    section is quieter than a full one."""

    def test_dynamics_at_full_intensity(self):
        # (seed 11, F lydian at 0.9 is Produced.busy)
        for seed, key, mode, bpm in (("7", "D", "dorian", 66), ("3", "A", "aeolian", 72)):
            r = piece(seed, key, mode, bpm, "0.9", 600, prominence=False)
            with self.subTest(seed=seed, key=key, mode=mode):
                self.assertAlmostEqual(r["lufs"], -16.0, delta=1.0)
                self.assertLessEqual(r["tp"], -1.0, r["tp"])
                self.assertGreaterEqual(r["lra"], 5.0, r["lra"])
                self.assertLessEqual(r["lra"], 10.0, r["lra"])
                self.assertGreater(r["sec_corr"], 0.0, r["sec_corr"])
                self.assertLessEqual(r["slope_dev"], 6.0, r["slope_dev"])
                self.assertLessEqual(r["b60_250"], 60, r["b60_250"])
                self.assertLessEqual(r["below60"], 8, r["below60"])
                self.assertGreaterEqual(r["chord_s"], 7.0, r["chord_s"])


_RENDERS = {}


def spectrum(seed, key, mode, bpm, inten="0.5", seconds=600):
    """one render's long-term figures and the distance between its halves,
    rendered once for every test that asks (renders are deterministic)"""
    k = (seed, key, mode, bpm, inten, seconds)
    if k not in _RENDERS:
        p = mr.run_auralis(BIN, "render", os.path.join(TMP, "w%s%s.wav" % (seed, key)),
                           seed, key, mode, bpm, inten, seconds)
        rate, x = mr.read_wav(p)
        os.unlink(p)
        f = mr.spectrum_figures(x, rate)
        f["th"] = np.array(f["thirds"])
        h = len(x) // 2
        f["halves"] = mr.spectral_distance(mr.thirds_of(x[:h], rate), mr.thirds_of(x[h:], rate))
        _RENDERS[k] = f
    return _RENDERS[k]


def between_and_halves(runs):
    """median spectral distance between the renders, and between the
    halves of each (RMS of the mean-removed 1/3-octave spectra, dB)"""
    n = len(runs)
    between = [mr.spectral_distance(runs[i]["th"], runs[j]["th"])
               for i in range(n) for j in range(i + 1, n)]
    return float(np.median(between)), float(np.median([r["halves"] for r in runs]))


class Seeds(unittest.TestCase):
    # 10 minutes each (renders are fast; the analysis is chunked): on 2-3
    # minutes the entries, one section with percussion and one without,
    # and the ending make the halves of a piece differ more than two seeds
    # do
    def test_seeds_differ_more_than_halves(self):
        between, halves = between_and_halves(
            [spectrum(s, "E", "dorian", 66) for s in ("21", "22", "23")])
        self.assertGreater(between, halves)

    def test_seeds_differ_in_d_dorian(self):
        # the issue's own case (D dorian 66 bpm, 0.5) over six seeds: 2.04
        # against 1.75 dB (1.69 against 1.62 before the seed's lead colour,
        # synthesis.md)
        between, halves = between_and_halves(
            [spectrum(s, "D", "dorian", 66) for s in ("7", "1", "2", "4", "5", "11")])
        self.assertGreater(between, halves)

    def test_seeds_differ_clearly_at_the_reports_seeds(self):
        # with a margin (between >= 1.2 x halves) at the music report's
        # seeds (7, 3, 11: all a 3:1 lead in the same registers; 1.20
        # against 1.68 dB before the lead colour, now 2.22 against 1.67)
        # and at four seeds of another key and mode (A aeolian 72 bpm: 1.99
        # against 1.60 before, now 2.29 against 1.80)
        for seeds, key, mode, bpm in ((("7", "3", "11"), "D", "dorian", 66),
                                      (("1", "3", "4", "5"), "A", "aeolian", 72)):
            between, halves = between_and_halves(
                [spectrum(s, key, mode, bpm) for s in seeds])
            with self.subTest(seeds=seeds, key=key, mode=mode):
                self.assertGreaterEqual(between, 1.2 * halves, (between, halves))


class Brightness(unittest.TestCase):
    """Brightness still rises with intensity, at every seed of the music
    report (D dorian 66 bpm): the energy above 5 kHz re total at 0.1, 0.5
    and 0.9 (issue 8). Seed 11 was 1.3 dB darker at 0.9 than at 0.5 (its
    bright lead colour fades toward 0.9 while the full piece's low and
    middle grow) before the busy rules (piece.h: busy_air, busy_pad_sub;
    synthesis.md, eighth round): now -25.8 / -22.9 / -21.3 dB."""

    def test_top_end_rises_with_intensity(self):
        for seed in ("7", "3", "11"):
            a = [spectrum(seed, "D", "dorian", 66, i)["above5k"] for i in ("0.1", "0.5", "0.9")]
            with self.subTest(seed=seed, above5k=a):
                self.assertGreater(a[1], a[0] + 0.3, a)
                self.assertGreater(a[2], a[1] + 1.0, a)
                self.assertGreater(a[2], a[0] + 3.0, a)
                # and no brighter at 0.9 than the top of the range asked
                # at 0.5 (-32..-20)
                self.assertLessEqual(a[2], -20.0, a)


class WiderGrid(unittest.TestCase):
    """The produced slope and the low-mid share at intensity 0.5 beyond
    the seeds of test_music.py: seeds and keys whose long-term spectrum had
    a hole at 125 Hz (7-8 dB under the line: D dorian seed 3, A aeolian
    seeds 1 and 3) or held 62-65% in 60-250 Hz (A aeolian 4 and 5) before
    the bass's tenor (synthesis.md, sixth round), and D dorian seeds 1-5.
    E dorian 21 (6.5 dB under the line at 2.5-4 kHz) and D dorian 11 (6.0
    over it at 1 kHz) came within it with the seed's lead colour
    (synthesis.md, seventh round), and E dorian 22 and 23 (62.0 / 61.4% in
    60-250 Hz) came under 60% with the pads' rootless low voicing over a
    bass on the root (56.7 / 58.7%)."""

    def test_slope_and_low_mid_share(self):
        cases = [("3", "D", "dorian", 66), ("1", "A", "aeolian", 72),
                 ("3", "A", "aeolian", 72), ("4", "A", "aeolian", 72),
                 ("5", "A", "aeolian", 72), ("21", "E", "dorian", 66),
                 ("11", "D", "dorian", 66), ("22", "E", "dorian", 66),
                 ("23", "E", "dorian", 66)]
        for seed, key, mode, bpm in cases:
            f = spectrum(seed, key, mode, bpm)
            with self.subTest(seed=seed, key=key, mode=mode):
                self.assertLessEqual(f["slope_dev"], 6.0, f["slope_dev"])
                self.assertLessEqual(f["b60_250"], 60, f["b60_250"])
                self.assertLessEqual(f["below60"], 8, f["below60"])
        for seed, key, mode in (("7", "D", "dorian"), ("1", "D", "dorian"),
                                ("2", "D", "dorian"), ("4", "D", "dorian"),
                                ("5", "D", "dorian")):
            f = spectrum(seed, key, mode, 66)
            with self.subTest(seed=seed, key=key, mode=mode):
                self.assertLessEqual(f["slope_dev"], 6.0, f["slope_dev"])
                self.assertLessEqual(f["below60"], 8, f["below60"])


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
