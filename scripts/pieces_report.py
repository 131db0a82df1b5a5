#!/usr/bin/python3
"""The music report per piece: renders every named piece in its own
defaults (key, mode, tempo, intensity; `--intensity` overrides) and prints
the produced-music figures of issue 8 with the music report's own
functions (scripts/music_report.py), so pieces, tests and the default mix
are measured the same way.

Usage: scripts/pieces_report.py [--bin build/auralis] [--out build/pieces]
       [--pieces drift,rooms,...] [--seeds 7,3] [--minutes 10]
       [--intensity X] [--no-soundfont] [--endless] [--json FILE] [--png]

The figures a piece is held to (tests/cli/test_pieces_targets.py asserts
them on shorter renders): above 5 kHz -40..-20 dB re total, tilt 1-10 kHz
-8..-3 dB/oct (a piece's own brightness may move it), 1/3-octave slope
within +-6 dB of -3.5 dB/oct over 100 Hz-8 kHz, 60-250 Hz at most 60 %,
below 60 Hz at most 8 %, -16 +-1 LUFS, true peak at most -1 dBTP, LRA 5-10
LU, melody per-note prominence at least +5 dB."""
import argparse
import json
import os
import subprocess
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
    args = [binary, cmd, "--quiet", "--piece", piece, "--seed", str(seed),
            "--seconds", str(seconds), *extra, "-o", out]
    if cmd == "render":
        args.insert(2, "--float")
    r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args), r.stderr))
    return out


def analyse(binary, out, piece, seed, seconds, intensity=None, soundfont=True,
            prominence=True, png=False, bpm=None, endless=False):
    """the issue 8 figures of one render of a piece (its defaults unless
    intensity is given); endless: no ending (a stream's music: the fade of
    a file's ending would count as dynamics)"""
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
    r.update(mr.ebur128(wav))
    r.update(mr.melody_stats(score, bpm))
    r.update(mr.form_stats(score))
    r["last10ms"] = mr.last10ms(x, rate)
    sl = mr.section_levels(x, rate, score)
    if len(sl) >= 3:
        nr, lvl = np.array([s[0] for s in sl]), np.array([s[1] for s in sl])
        r["sec_corr"] = float(np.corrcoef(nr, lvl)[0, 1]) if np.std(nr) > 0 else float("nan")
        r["sec_span"] = float(lvl.max() - lvl.min())
    else:
        r["sec_corr"] = r["sec_span"] = float("nan")
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
    r["_thirds"] = mr.thirds_of(x, rate).tolist()
    os.unlink(wav)
    return r


def table(rows):
    head = [c for c, _ in COLS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = []
        for c, f in COLS:
            v = r.get(c, "")
            try:
                cells.append(f % v)
            except (TypeError, ValueError):
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/auralis")
    ap.add_argument("--out", default="build/pieces")
    ap.add_argument("--pieces", default=",".join(PIECES))
    ap.add_argument("--seeds", default="7,3")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--intensity", type=float)
    ap.add_argument("--no-soundfont", action="store_true")
    ap.add_argument("--no-prominence", action="store_true")
    ap.add_argument("--endless", action="store_true",
                    help="no ending (as a stream): LRA without the final fade")
    ap.add_argument("--json")
    ap.add_argument("--png", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for p in a.pieces.split(","):
        for s in a.seeds.split(","):
            rows.append(analyse(a.bin, a.out, p, s, a.minutes * 60, a.intensity,
                                not a.no_soundfont, not a.no_prominence, a.png,
                                endless=a.endless))
            print("%s seed %s done" % (p, s), file=sys.stderr, flush=True)
    print(table(rows))
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(10, 6))
        for p in a.pieces.split(","):
            th = np.mean([r["_thirds"] for r in rows if r["piece"] == p], axis=0)
            ax.semilogx(mr.THIRD, th, marker=".", label=p)
        ref = -3.5 * np.log2(mr.THIRD / 1000.0) - 15
        ax.semilogx(mr.THIRD, ref, "k--", label="-3.5 dB/oct")
        ax.set_ylim(-75, 0)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        ax.set_title("long-term spectrum per piece (mean over seeds)")
        fig.tight_layout()
        fig.savefig(os.path.join(a.out, "pieces_spectrum.png"), dpi=80)
        plt.close(fig)
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{k: v for k, v in r.items() if not k.startswith("_")}
                       for r in rows], f, indent=1)


if __name__ == "__main__":
    main()
