#!/usr/bin/python3
"""Black-box tests of `auralis compose`: the MIDI file is read back with an
independent parser (mido) and checked against the issue's promises."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import mido

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
MODES = {"ionian": [0, 2, 4, 5, 7, 9, 11], "dorian": [0, 2, 3, 5, 7, 9, 10],
         "phrygian": [0, 1, 3, 5, 7, 8, 10], "lydian": [0, 2, 4, 6, 7, 9, 11],
         "mixolydian": [0, 2, 4, 5, 7, 9, 10], "aeolian": [0, 2, 3, 5, 7, 8, 10]}
KEYS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "Bb": 10}
TMP = tempfile.mkdtemp(prefix="auralis-test-")


def compose(*args, out=None):
    out = out or os.path.join(TMP, "p%d.mid" % time.monotonic_ns())
    r = subprocess.run([BIN, "compose", "--quiet", *args, "-o", out],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("compose failed (%d): %s" % (r.returncode, r.stderr))
    return out


def notes_by_track(path):
    """{track name: [(abs_tick, note, vel, channel, duration_ticks)]}, plus
    hanging notes count per track and max polyphony per track."""
    mf = mido.MidiFile(path)
    res, hanging, poly = {}, {}, {}
    for tr in mf.tracks:
        name = tr.name
        t = 0
        on = {}
        out = []
        maxpoly = 0
        for m in tr:
            t += m.time
            if m.type == "note_on" and m.velocity > 0:
                assert (m.channel, m.note) not in on, "overlapping same note in %s" % name
                on[(m.channel, m.note)] = (t, m.velocity)
                maxpoly = max(maxpoly, len(on))
            elif m.type == "note_off" or (m.type == "note_on" and m.velocity == 0):
                k = (m.channel, m.note)
                assert k in on, "note-off without note-on in %s" % name
                st, v = on.pop(k)
                out.append((st, m.note, v, m.channel, t - st))
        res[name] = out
        hanging[name] = len(on)
        poly[name] = maxpoly
    return mf, res, hanging, poly


class ComposeMidi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = compose("--seed", "7", "--minutes", "10", "--key", "D",
                           "--mode", "dorian", "--bpm", "66", "--intensity", "0.5")
        cls.mf, cls.notes, cls.hanging, cls.poly = notes_by_track(cls.path)

    def test_structure(self):
        mf = self.mf
        self.assertEqual(mf.type, 1)
        names = [t.name for t in mf.tracks]
        for n in ["Pads", "Melody", "Bass", "Percussion", "Textures", "Bells"]:
            self.assertIn(n, names)
        # program change on each layer track, percussion on channel 10
        for tr in mf.tracks[1:]:
            pcs = [m for m in tr if m.type == "program_change"]
            self.assertEqual(len(pcs), 1, tr.name)
            chans = {m.channel for m in tr if m.type in ("note_on", "note_off")}
            if tr.name == "Percussion":
                self.assertTrue(chans <= {9}, chans)
            else:
                self.assertNotIn(9, chans)
        meta = [m for m in mf.tracks[0] if m.is_meta]
        tempos = [m for m in meta if m.type == "set_tempo"]
        self.assertTrue(tempos)
        self.assertAlmostEqual(mido.tempo2bpm(tempos[0].tempo), 66, places=2)
        keys = [m for m in meta if m.type == "key_signature"]
        self.assertTrue(keys)
        # D dorian shares C major's signature
        self.assertEqual(keys[0].key, "C")
        # length about ten minutes
        self.assertAlmostEqual(mf.length, 600, delta=3)

    def test_no_hanging_notes(self):
        self.assertEqual(sum(self.hanging.values()), 0, self.hanging)

    def test_in_key(self):
        scale = {(2 + s) % 12 for s in MODES["dorian"]}
        for layer in ("Pads", "Bass"):
            notes = self.notes[layer]
            self.assertTrue(notes, layer)
            out = [n for n in notes if n[1] % 12 not in scale]
            self.assertEqual(out, [], "%s notes outside D dorian" % layer)
        mel = self.notes["Melody"]
        self.assertGreater(len(mel), 20)
        inside = sum(1 for n in mel if n[1] % 12 in scale) / len(mel)
        self.assertGreaterEqual(inside, 0.95)

    def test_polyphony_bounded(self):
        # the bass: root and drone, plus the tenor (composition.md)
        limits = {"Pads": 6, "Melody": 2, "Bass": 3, "Bells": 4, "Textures": 4,
                  "Percussion": 4}
        for name, lim in limits.items():
            self.assertLessEqual(self.poly.get(name, 0), lim, name)

    def test_registers(self):
        # pads from A#2: a low voice on B2/C3 fills 110-140 Hz between the
        # bass and the pads (docs/composition.md); the bass's tenor in
        # A#2..C#3 (46-49) fills the same band
        ranges = {"Pads": (46, 83), "Melody": (60, 96), "Bass": (24, 49),
                  "Bells": (72, 96)}
        for name, (lo, hi) in ranges.items():
            for n in self.notes[name]:
                self.assertTrue(lo <= n[1] <= hi, "%s note %d" % (name, n[1]))

    def test_deterministic_bytes(self):
        again = compose("--seed", "7", "--minutes", "10", "--key", "D",
                        "--mode", "dorian", "--bpm", "66", "--intensity", "0.5")
        with open(self.path, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_other_seed_differs(self):
        other = compose("--seed", "8", "--minutes", "10", "--key", "D",
                        "--mode", "dorian", "--bpm", "66", "--intensity", "0.5")
        _, notes, _, _ = notes_by_track(other)
        self.assertNotEqual(notes["Melody"], self.notes["Melody"])


class IntensityAndModes(unittest.TestCase):
    def test_density_and_percussion(self):
        # seed 2's orchestration has drums (the seed chooses the layers)
        lo = compose("--seed", "2", "--minutes", "10", "--intensity", "0.1")
        hi = compose("--seed", "2", "--minutes", "10", "--intensity", "0.9")
        _, nlo, _, _ = notes_by_track(lo)
        _, nhi, _, _ = notes_by_track(hi)
        count = lambda d: sum(len(v) for v in d.values())
        self.assertEqual(len(nlo["Percussion"]), 0)
        self.assertGreater(len(nhi["Percussion"]), 0)
        self.assertGreaterEqual(count(nhi), 3 * count(nlo),
                                "density %d vs %d" % (count(nhi), count(nlo)))

    def test_every_mode_stays_in_key(self):
        for i, (mode, steps) in enumerate(MODES.items()):
            key = list(KEYS)[i % len(KEYS)]
            p = compose("--seed", str(100 + i), "--minutes", "4", "--key", key,
                        "--mode", mode, "--intensity", "0.6")
            _, notes, hanging, _ = notes_by_track(p)
            scale = {(KEYS[key] + s) % 12 for s in steps}
            for layer in ("Pads", "Bass"):
                bad = [n[1] for n in notes[layer] if n[1] % 12 not in scale]
                self.assertEqual(bad, [], "%s %s %s" % (key, mode, layer))
            self.assertEqual(sum(hanging.values()), 0)

    def test_tempo_glide_in_tempo_map(self):
        p = compose("--seed", "5", "--minutes", "2", "--bpm", "60",
                    "--change", "30s:bpm=90")
        mf = mido.MidiFile(p)
        bpms = [mido.tempo2bpm(m.tempo) for m in mf.tracks[0] if m.type == "set_tempo"]
        self.assertAlmostEqual(bpms[0], 60, places=1)
        self.assertAlmostEqual(bpms[-1], 90, places=1)
        # a glide: intermediate values, not one jump
        self.assertTrue(any(62 < b < 88 for b in bpms), bpms)

    def test_bars_length(self):
        p = compose("--seed", "5", "--bars", "16", "--bpm", "60")
        self.assertAlmostEqual(mido.MidiFile(p).length, 64, delta=1.5)


class BadInput(unittest.TestCase):
    def run_bad(self, *args):
        out = os.path.join(TMP, "bad.mid")
        r = subprocess.run([BIN, "compose", *args, "-o", out],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertFalse(os.path.exists(out))
        return lines[0]

    def test_messages_name_option_and_value(self):
        for args, opt, val in [(["--bpm", "500"], "bpm", "500"),
                               (["--key", "H"], "key", "H"),
                               (["--mode", "bluesy"], "mode", "bluesy"),
                               (["--intensity", "1.5"], "intensity", "1.5"),
                               (["--seed", "-3"], "seed", "-3"),
                               (["--minutes", "5000"], "minutes", "5000"),
                               (["--change", "10s:tempo=3"], "tempo", "tempo")]:
            msg = self.run_bad(*args)
            self.assertIn(opt, msg)
            self.assertIn(val, msg)

    def test_unknown_option_and_extension(self):
        self.assertIn("--frobnicate", self.run_bad("--frobnicate"))
        r = subprocess.run([BIN, "compose", "-o", os.path.join(TMP, "x.wav")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)

    def test_help_and_version(self):
        r = subprocess.run([BIN, "compose", "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--seed", r.stdout)
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"auralis \d+\.\d+")

    def test_random_seed_printed(self):
        out = os.path.join(TMP, "rand.mid")
        r = subprocess.run([BIN, "compose", "--minutes", "1", "-o", out],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"seed: \d+")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
