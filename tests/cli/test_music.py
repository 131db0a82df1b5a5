#!/usr/bin/python3
"""The music's targets (issue 8) on deterministic renders: renders are
bit-identical for a seed, so these figures are facts about the code, not
samples that could flake. Measured with the music report's own functions
(scripts/music_report.py), at several seeds, keys, modes and intensities.
Mostly 10-minute renders (renders are fast; the analysis is chunked):
a few minutes of CPU. Dynamics at full intensity, the 7-minute piece and
the seeds-versus-halves comparison are in test_music_long.py."""
import os
import shutil
import sys
import unittest

import numpy as np

from music_case import BIN, TMP, mr, piece  # noqa: E402


class Produced(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 10 minutes: the loudness target (-16 +-1 LUFS) is over
        # 10 minutes or more; 2-3 minutes are the opening rise, whose level
        # grows with it
        cls.mid = piece("7", "D", "dorian", 66, "0.5", 600)
        cls.calm = piece("3", "A", "aeolian", 72, "0.1", 600)
        cls.busy = piece("11", "F", "lydian", 60, "0.9", 600)
        cls.all = [cls.mid, cls.calm, cls.busy]

    def test_top_end_and_tilt(self):
        r = self.mid
        self.assertGreaterEqual(r["above5k"], -32, r["above5k"])
        self.assertLessEqual(r["above5k"], -20, r["above5k"])
        self.assertGreaterEqual(r["tilt1_10k"], -8, r["tilt1_10k"])
        self.assertLessEqual(r["tilt1_10k"], -3, r["tilt1_10k"])
        self.assertGreaterEqual(self.calm["above5k"], -40, self.calm["above5k"])

    def test_smooth_slope(self):
        # 1/3-octave long-term spectrum, 100 Hz-8 kHz, within +-6 dB of a
        # -3.5 dB/oct slope at every intensity (the calm case was 6.8: a
        # 125 Hz band where a calm modal piece sounds no pitch; drift's
        # calm rules, synthesis.md: 4.9)
        for r in (self.calm, self.mid, self.busy):
            with self.subTest(seed=r["seed"], intensity=r["intensity"]):
                self.assertLessEqual(r["slope_dev"], 6.0, r["slope_dev"])
        # and calm in D dorian at three seeds (they were 6.7, 5.0 and 7.1:
        # the tonic's 315 Hz band over the line, 125 Hz and the top under
        # it); the spectrum alone, so one render each
        for seed in ("7", "3", "11"):
            p = mr.run_auralis(BIN, "render", os.path.join(TMP, "calm%s.wav" % seed), seed,
                               "D", "dorian", 66, "0.1", 600)
            rate, x = mr.read_wav(p)
            os.unlink(p)
            f = mr.spectrum_figures(x, rate)
            with self.subTest(seed=seed, key="D dorian", intensity="0.1"):
                self.assertLessEqual(f["slope_dev"], 6.0, f["slope_dev"])
                self.assertLessEqual(f["b60_250"], 60, f["b60_250"])
                self.assertLessEqual(f["below60"], 8, f["below60"])
                self.assertGreaterEqual(f["above5k"], -40, f["above5k"])

    def test_low_mid_mass(self):
        for r in self.all:
            with self.subTest(seed=r["seed"]):
                self.assertLessEqual(r["b60_250"], 60, r["b60_250"])
                self.assertLessEqual(r["below60"], 8, r["below60"])

    def test_melody_sings(self):
        for r in self.all:
            with self.subTest(seed=r["seed"], intensity=r["intensity"]):
                self.assertGreaterEqual(r["prom_med"], 5.0, r["prom_med"])
                self.assertGreaterEqual(r["above_pad"], 80, r["above_pad"])
                self.assertLessEqual(r["trill"], 3, r["trill"])
                self.assertLessEqual(r["phr_max"], 10, r["phr_max"])
                # the pads make room in 1-3 kHz while the melody sings: the
                # bed there steps back (about 5 dB at 0.5; 2-3 dB when calm,
                # where the dark pads hold little of it)
                self.assertLessEqual(r["mel_room"], -2.0, r["mel_room"])
        for r in self.all:
            with self.subTest(seed=r["seed"], intensity=r["intensity"]):
                self.assertLessEqual(r["neigh"], 20, r["neigh"])
        self.assertGreaterEqual(self.mid["restate"], 20, self.mid["restate"])

    def test_percussion_audible_when_present(self):
        # seed 7 has a kit; in 3 minutes at 0.5 one section has it
        r = self.mid
        self.assertGreaterEqual(r["perc_secs"], 1)
        self.assertGreaterEqual(r["perc_db"], -18.0, r["perc_db"])
        self.assertLessEqual(r["perc_db"], -6.0, r["perc_db"])

    def test_harmony_has_a_home(self):
        for r in self.all:
            self.assertGreaterEqual(r["tonic"], 40, r["tonic"])
            self.assertGreaterEqual(r["chord_s"], 7.0, r["chord_s"])

    def test_loudness_edges(self):
        for r in self.all:
            with self.subTest(seed=r["seed"]):
                self.assertLessEqual(r["tp"], -1.0, r["tp"])
                self.assertAlmostEqual(r["lufs"], -16.0, delta=1.0)
                self.assertGreaterEqual(r["lra"], 5.0, r["lra"])
                self.assertLessEqual(r["lra"], 10.0, r["lra"])
                self.assertGreater(r["sec_corr"], 0.0, r["sec_corr"])
                # a live stream is audible at once, and a file ends in silence
                self.assertLessEqual(r["first_sound"], 0.3, r["first_sound"])
                self.assertLess(r["last10ms"], -50, r["last10ms"])


class Scores(unittest.TestCase):
    """The composition targets from the scores alone (`auralis compose`,
    cheap), over 5 seeds x 4 keys/modes at the calm and middle
    intensities, 10 minutes each: the melody sings above the pads without
    turning back on itself, motifs return, the harmony has a home."""

    def test_melody_and_harmony_over_seeds(self):
        cases = [("A", "aeolian", 72, "0.1"), ("F", "lydian", 60, "0.1"),
                 ("D", "dorian", 66, "0.5"), ("C", "mixolydian", 70, "0.5")]
        for seed in (1, 2, 3, 4, 5):
            for key, mode, bpm, inten in cases:
                p = mr.run_auralis(BIN, "compose", os.path.join(TMP, "sc.mid"), seed,
                                   key, mode, bpm, inten, 600)
                sc = mr.read_midi(p)
                m = mr.melody_stats(sc, bpm)
                h = mr.harmony_stats(sc, mr.NOTE_PC[key])
                with self.subTest(seed=seed, key=key, mode=mode, intensity=inten):
                    self.assertGreaterEqual(m["above_pad"], 80, m["above_pad"])
                    self.assertLessEqual(m["trill"], 3, m["trill"])
                    self.assertLessEqual(m["neigh"], 20, m["neigh"])
                    self.assertLessEqual(m["phr_max"], 10, m["phr_max"])
                    if inten == "0.5":
                        self.assertGreaterEqual(m["restate"], 20, m["restate"])
                    self.assertGreaterEqual(h["tonic"], 40, h["tonic"])
                    self.assertGreaterEqual(h["chord_s"], 7.0, h["chord_s"])


class Form(unittest.TestCase):
    def test_entry_orders_differ(self):
        orders = []
        for s in range(1, 6):
            p = mr.run_auralis(BIN, "compose", os.path.join(TMP, "o%d.mid" % s), s,
                               "D", "dorian", 66, "0.6", 150)
            orders.append(mr.form_stats(mr.read_midi(p))["order"])
        self.assertGreaterEqual(len(set(orders)), 3, orders)

    def test_ending_keeps_length_and_streams_unaffected(self):
        a = mr.run_auralis(BIN, "render", os.path.join(TMP, "end.wav"), "4", "G",
                           "ionian", 80, "0.6", 40)
        b = mr.run_auralis(BIN, "render", os.path.join(TMP, "endless.wav"), "4", "G",
                           "ionian", 80, "0.6", 40, ("--endless",))
        rate, x = mr.read_wav(a)
        _, y = mr.read_wav(b)
        self.assertEqual(len(x), 40 * rate)
        self.assertEqual(len(y), 40 * rate)
        self.assertLess(mr.last10ms(x, rate), -50)
        self.assertGreater(mr.last10ms(y, rate), -50)  # a stream runs on
        # identical until the quiet tail begins (at most a third, ~13 s here)
        self.assertTrue(np.array_equal(x[: 26 * rate], y[: 26 * rate]))
        # no note starts in the last bars of the MIDI either
        m = mr.run_auralis(BIN, "compose", os.path.join(TMP, "end.mid"), "4", "G",
                           "ionian", 80, "0.6", 60)
        sc = mr.read_midi(m)
        last_on = max(n[0] for l in mr.LAYERS for n in sc["notes"][l])
        self.assertLess(last_on, 60 - 2 * 4 * 60 / 80)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
