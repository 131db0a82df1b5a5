#!/usr/bin/python3
"""The music report per piece: renders every named piece in its own
defaults (key, mode, tempo, intensity; `--intensity` overrides) and prints
the produced-music figures of issue 8 with the music report's own
functions (scripts/music_report.py), so pieces, tests and the default mix
are measured the same way.

Usage: scripts/pieces_report.py [--bin build/auralis] [--out build/pieces]
       [--pieces drift,rooms,...] [--seeds 7,3,11] [--minutes 10]
       [--intensity X] [--no-soundfont] [--endless] [--json FILE] [--png]
       [--jobs 2]

The figures a piece is held to (tests/cli/test_pieces_targets.py asserts
them on shorter renders): above 5 kHz -40..-20 dB re total, tilt 1-10 kHz
-8..-3 dB/oct (a piece's own brightness may move it), 1/3-octave slope
within +-6 dB of -3.5 dB/oct over 100 Hz-8 kHz, 60-250 Hz at most 60 %,
below 60 Hz at most 8 %, -16 +-1 LUFS, true peak at most -1 dBTP, LRA 5-10
LU, melody per-note prominence at least +5 dB."""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import music_report as mr  # noqa: E402

PIECES = ["drift", "rooms", "glass", "choir", "night", "pulse"]

COLS = [("piece", "%s"), ("seed", "%s"), ("intensity", "%s"), ("above5k", "%.1f"),
        ("above10k", "%.1f"), ("below60", "%.1f"), ("b60_250", "%.1f"),
        ("tilt1_10k", "%.1f"), ("slope_dev", "%.1f"), ("lufs", "%.1f"),
        ("lra", "%.1f"), ("tp", "%.1f"), ("prom_med", "%.1f"), ("mel_notes", "%d"),
        ("above_pad", "%.0f"), ("sec_corr", "%.2f"), ("sec_span", "%.1f"),
        ("perc_sections", "%s"), ("last10ms", "%.0f")]


def render(binary, cmd, out, piece, seed, seconds, extra=()):
    return mr.run(binary, cmd, out, ["--piece", piece, "--seed", str(seed),
                                     "--seconds", str(seconds), *extra])


def analyse(binary, out, piece, seed, seconds, intensity=None, soundfont=True,
            prominence=True, png=False, bpm=None, endless=False, loud_seconds=None):
    """the issue 8 figures of one render of a piece (its defaults unless
    intensity is given); endless: no ending (a stream's music: the fade of
    a file's ending would count as dynamics); loud_seconds: integrated
    loudness, LRA and true peak from a render of that length (issue 8
    defines them over 10 minutes or more; the render is cheap, the other
    figures' analysis is what costs)"""
    extra = ["--endless"] if endless else []
    if intensity is not None:
        extra += ["--intensity", str(intensity)]
    if not soundfont:
        extra += ["--no-soundfont"]
    tag = "%s_s%s_i%s%s" % (piece, seed, intensity if intensity is not None else "d",
                            "" if soundfont else "_nosf")
    wav = render(binary, "render", os.path.join(out, tag + ".wav"), piece, seed,
                 seconds, extra)
    mid = render(binary, "compose", os.path.join(out, tag + ".mid"), piece, seed,
                 seconds, extra)
    rate, x = mr.read_wav(wav)
    score = mr.read_midi(mid)
    if bpm is None:  # the piece's tempo, from the score's first tempo event
        import mido
        t = [m.tempo for m in mido.MidiFile(mid).tracks[0] if m.type == "set_tempo"]
        bpm = mido.tempo2bpm(t[0]) if t else 60.0
    r = {"piece": piece, "seed": seed,
         "intensity": intensity if intensity is not None else "def"}
    r.update(mr.spectrum_figures(x, rate))
    if loud_seconds and loud_seconds != seconds:
        lw = render(binary, "render", os.path.join(out, tag + "_loud.wav"), piece,
                    seed, loud_seconds, extra)
        r.update(mr.ebur128(lw))
        os.unlink(lw)
    else:
        r.update(mr.ebur128(wav))
    r.update(mr.melody_stats(score, bpm))
    r.update(mr.form_stats(score))
    r["last10ms"] = mr.last10ms(x, rate)
    r.update(mr.section_figures(x, rate, score))
    mel = score["notes"]["melody"]
    if prominence and mel:
        nm = render(binary, "render", os.path.join(out, tag + "_nomel.wav"), piece,
                    seed, seconds, extra + ["--no-melody"])
        _, y = mr.read_wav(nm)
        r.update(mr.melody_prominence(x, y, rate, mel))
        os.unlink(nm)
    else:
        r["prom_med"] = float("nan")
    if png:
        mr.pictures(x, rate, "%s seed %s" % (piece, seed),
                    os.path.join(out, tag + "_spectrogram.png"), None, None)
    os.unlink(wav)
    return r


def analyse_all(binary, out, jobs, seconds, workers=2, **kw):
    """analyse (piece, seed) jobs, `workers` at a time (each is mostly its
    subprocesses and numpy, which release the GIL); results in job order"""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda j: analyse(binary, out, j[0], j[1], seconds, **kw),
                           jobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/auralis")
    ap.add_argument("--out", default="build/pieces")
    ap.add_argument("--pieces", default=",".join(PIECES))
    ap.add_argument("--seeds", default="7,3,11")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--intensity", type=float)
    ap.add_argument("--no-soundfont", action="store_true")
    ap.add_argument("--no-prominence", action="store_true")
    ap.add_argument("--endless", action="store_true",
                    help="no ending (as a stream): LRA without the final fade")
    ap.add_argument("--json")
    ap.add_argument("--png", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="analyses at a time")
    ap.add_argument("--loud-minutes", type=float,
                    help="loudness figures from renders this long (default: --minutes)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    jobs = [(p, s) for p in a.pieces.split(",") for s in a.seeds.split(",")]
    rows = analyse_all(a.bin, a.out, jobs, a.minutes * 60, a.jobs,
                       intensity=a.intensity, soundfont=not a.no_soundfont,
                       prominence=not a.no_prominence, png=a.png, endless=a.endless,
                       loud_seconds=a.loud_minutes * 60 if a.loud_minutes else None)
    print(mr.table(rows, COLS))
    if a.png:
        pieces = a.pieces.split(",")
        mr.plot_thirds([(p, np.mean([r["thirds"] for r in rows if r["piece"] == p], axis=0))
                        for p in pieces], "long-term spectrum per piece (mean over seeds)",
                       os.path.join(a.out, "pieces_spectrum.png"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
