#!/usr/bin/python3
"""The music report: renders pieces with `auralis render` (and `auralis
compose` for the score as MIDI) and prints the figures of issue 8 next to
the produced-ambient references of ../shared/MUSIC.md:

  spectrum   long-term 1/3-octave spectrum re total, energy above 5 and
             10 kHz, shares below 60 Hz and in 60-250 Hz, tilt 1-10 kHz,
             largest deviation from a -3.5 dB/oct slope over 100 Hz-8 kHz
  loudness   integrated, LRA, true peak (ffmpeg's ebur128)
  melody     per-note prominence (mix vs a render without melody, in the
             third octave of the note's fundamental, rider gain removed by
             the melody-free band below 220 Hz), share of melody notes above
             the top pad voice and in unison with one, trills (A-B-A-B of
             4-note windows), neighbour returns (X-Y-X of 3-note windows),
             motif restatement, phrase lengths, the room the bed makes in
             1-3 kHz while the melody sings (mel_room)
  harmony    tonic-rooted time, mean chord length, pitch classes at once
  form       entry order and times per seed, texture swell spacing,
             percussion presence by section and its level re the mix
             where it plays (perc_db), section level against note
             density, spectral distance between seeds and within a piece
  edges      first sound (time to pass -40 dBFS), the last 10 ms level

Usage: scripts/music_report.py [--bin build/auralis] [--out build/music]
       [--seeds 7,3,11] [--intensities 0.1,0.5,0.9] [--minutes 10]
       [--key D --mode dorian --bpm 66] [--json FILE] [--no-png]

The analysis functions are imported by tests/cli/test_music.py, so the tests
and the report measure the same way. Only numpy, scipy (and matplotlib for
the pictures) and ffmpeg; the MIDI reader is the few lines below."""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import wave

import numpy as np

RATE = 48000
LAYERS = ["pads", "melody", "bass", "percussion", "textures", "bells"]
SHORT = {"pads": "P", "melody": "M", "bass": "B", "percussion": "D",
         "textures": "T", "bells": "C"}
NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


# ---------------------------------------------------------------- running


def run(binary, cmd, out, opts):
    """`auralis CMD --quiet OPTS -o OUT` (render: float WAV); OUT"""
    args = [binary, cmd, "--quiet", *opts, "-o", out]
    if cmd == "render":
        args.insert(2, "--float")
    r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args), r.stderr))
    return out


def run_auralis(binary, cmd, out, seed, key, mode, bpm, intensity, seconds,
                extra=()):
    return run(binary, cmd, out, ["--seed", str(seed), "--key", key, "--mode", mode,
                                  "--bpm", str(bpm), "--intensity", str(intensity),
                                  "--seconds", str(seconds), *extra])


def read_wav(path):
    """float WAV (or 16-bit) -> (rate, frames x 2 float64)"""
    with open(path, "rb") as f:
        data = f.read()
    # minimal RIFF walk: fmt and data chunks (WAVE_FORMAT_IEEE_FLOAT or PCM)
    pos, fmt, rate, ch, bits, pcm = 12, None, None, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt, ch, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if fmt == 0xFFFE:  # extensible: the subformat's first two bytes
                fmt = struct.unpack("<H", body[24:26])[0]
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt == 3 and bits == 32:
        x = np.frombuffer(pcm, dtype="<f4").astype(np.float64)
    elif fmt == 1 and bits == 16:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    else:
        raise ValueError("unsupported WAV format %r/%r" % (fmt, bits))
    return rate, x.reshape(-1, ch)


def ebur128(path):
    r = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path,
                        "-af", "ebur128=peak=true", "-f", "null", "-"],
                       capture_output=True, text=True, timeout=900)
    s = r.stderr[r.stderr.rfind("Summary:"):]
    num = r"(-?[\d.]+|-inf)"
    i = float(re.search(r"I:\s+" + num + " LUFS", s).group(1))
    lra = float(re.search(r"LRA:\s+" + num + " LU", s).group(1))
    tp = float(re.search(r"Peak:\s+" + num + " dBFS", s).group(1))
    return {"lufs": i, "lra": lra, "tp": tp}


# ---------------------------------------------------------------- MIDI


def _varlen(b, i):
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def read_midi(path):
    """Our own SMF type 1 files -> dict: notes[layer] = [(on_s, off_s, note,
    vel)], chords = [(t_s, name)], sections = [(t_s, name)], end_s.
    Tempo changes are honoured (conductor track first)."""
    with open(path, "rb") as f:
        b = f.read()
    _, ntr, ppq = struct.unpack(">HHH", b[8:14])
    pos, tracks = 14, []
    for _ in range(ntr):
        assert b[pos:pos + 4] == b"MTrk"
        ln = struct.unpack(">I", b[pos + 4:pos + 8])[0]
        tracks.append(b[pos + 8:pos + 8 + ln])
        pos += 8 + ln
    evs = []  # (tick, track, kind, data)
    for ti, t in enumerate(tracks):
        i, tick, status = 0, 0, 0
        while i < len(t):
            d, i = _varlen(t, i)
            tick += d
            c = t[i]
            if c == 0xFF:
                typ = t[i + 1]
                ln, j = _varlen(t, i + 2)
                evs.append((tick, ti, "meta%d" % typ, t[j:j + ln]))
                i = j + ln
                continue
            if c in (0xF0, 0xF7):
                ln, j = _varlen(t, i + 1)
                i = j + ln
                continue
            if c & 0x80:
                status = c
                i += 1
            hi = status & 0xF0
            if hi in (0xC0, 0xD0):
                i += 1
                continue
            a, v = t[i], t[i + 1]
            i += 2
            if hi == 0x90 and v > 0:
                evs.append((tick, ti, "on", (a, v)))
            elif hi in (0x80, 0x90):
                evs.append((tick, ti, "off", (a, 0)))
    evs.sort(key=lambda e: (e[0], e[2] != "meta81"))
    # tick -> seconds through the tempo map
    tmap = [(0, 0.0, 500000)]
    for tick, _, kind, data in evs:
        if kind == "meta81":
            us = int.from_bytes(data, "big")
            t0, s0, u0 = tmap[-1]
            tmap.append((tick, s0 + (tick - t0) * u0 / 1e6 / ppq, us))

    def secs(tick):
        k = len(tmap) - 1
        while tmap[k][0] > tick:
            k -= 1
        t0, s0, u0 = tmap[k]
        return s0 + (tick - t0) * u0 / 1e6 / ppq

    notes = {l: [] for l in LAYERS}
    open_ = {}
    chords, sections, end = [], [], 0.0
    for tick, ti, kind, data in evs:
        s = secs(tick)
        end = max(end, s)
        if kind == "meta1" and ti == 0:
            chords.append((s, data.decode("latin-1")))
        elif kind == "meta6" and ti == 0 and data.startswith(b"section"):
            sections.append((s, data.decode("latin-1").split()[-1]))
        elif kind in ("on", "off") and 1 <= ti <= len(LAYERS):
            layer = LAYERS[ti - 1]
            n, v = data
            if kind == "on":
                open_.setdefault((layer, n), []).append((s, v))
            elif open_.get((layer, n)):
                on, v0 = open_[(layer, n)].pop(0)
                notes[layer].append((on, s, n, v0))
    for l in notes:
        notes[l].sort()
    return {"notes": notes, "chords": chords, "sections": sections, "end": end}


def chord_root(name):
    pc = NOTE_PC[name[0]]
    if len(name) > 1 and name[1] == "#":
        pc += 1
    elif len(name) > 1 and name[1] == "b":
        pc -= 1
    return pc % 12


# ---------------------------------------------------------------- spectrum

THIRD = 1000.0 * 2.0 ** (np.arange(-17, 14) / 3.0)  # 20 Hz .. 20 kHz


def psd(x, rate=RATE, nseg=16384):
    """Welch's average (Hann, 50% overlap) summed over the channels, taken
    in chunks of segments so that a 10-minute stereo render needs tens of
    MB, not GB (scipy's welch on the whole array held ~4 GB)"""
    from scipy.signal import get_window
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    w = get_window("hann", nseg).astype(np.float32)
    hop = nseg // 2
    n = (len(x) - nseg) // hop + 1
    acc = np.zeros(nseg // 2 + 1)
    if n <= 0:
        return np.fft.rfftfreq(nseg, 1 / rate), acc
    for c in range(x.shape[1]):
        xc = np.ascontiguousarray(x[:, c], dtype=np.float32)
        for k0 in range(0, n, 128):
            k1 = min(n, k0 + 128)
            seg = np.lib.stride_tricks.as_strided(
                xc[k0 * hop:], shape=(k1 - k0, nseg),
                strides=(hop * xc.strides[0], xc.strides[0]))
            seg = seg - seg.mean(axis=1, keepdims=True)
            acc += (np.abs(np.fft.rfft(seg * w, axis=1)) ** 2).sum(axis=0)
    p = acc / n / (rate * float((w.astype(np.float64) ** 2).sum()))
    p[1:-1] *= 2.0
    return np.fft.rfftfreq(nseg, 1 / rate), p


def thirds(f, p):
    """band powers of the 1/3-octave bands (re total, dB) and the bands"""
    tot = p.sum()
    lv = []
    for fc in THIRD:
        m = (f >= fc * 2 ** (-1 / 6)) & (f < fc * 2 ** (1 / 6))
        lv.append(10 * np.log10(p[m].sum() / tot + 1e-30))
    return np.array(lv)


def spectrum_figures(x, rate=RATE):
    f, p = psd(x, rate)
    tot = p.sum()
    band = lambda lo, hi: p[(f >= lo) & (f < hi)].sum() / tot
    th = thirds(f, p)
    sel = (THIRD >= 990) & (THIRD <= 10100)
    tilt = np.polyfit(np.log2(THIRD[sel]), th[sel], 1)[0]
    sel = (THIRD >= 99) & (THIRD <= 8100)
    ref = -3.5 * np.log2(THIRD[sel] / 1000.0)
    dev = th[sel] - ref
    dev -= dev.mean()
    return {"above5k": 10 * np.log10(band(5000, 1e6) + 1e-30),
            "above10k": 10 * np.log10(band(10000, 1e6) + 1e-30),
            "below60": 100 * band(0, 60), "b60_250": 100 * band(60, 250),
            "tilt1_10k": float(tilt), "slope_dev": float(np.abs(dev).max()),
            "thirds": th.tolist()}


def band_power(seg, rate, lo, hi):
    if len(seg) < 64:
        return 1e-30
    w = np.hanning(len(seg))
    s = np.fft.rfft(seg * w[:, None], axis=0)
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    m = (f >= lo) & (f < hi)
    return float((np.abs(s[m]) ** 2).sum()) + 1e-30


# ---------------------------------------------------------------- melody


def note_band_db(x, ref, rate, mel, start, span, band):
    """Per melody note, the power of render x against render ref (same
    piece, one layer changed) in band(note) = (lo, hi) Hz, over the note
    from onset + start to at most onset + span seconds; the rider's gain
    taken out by the melody-free 40-220 Hz band over the note +-3 s. A
    list of dB, one per note long enough (0.1 s)."""
    diffs = []
    n_end = min(len(x), len(ref))
    for on, off, n, _ in mel:
        a = int((on + start) * rate)
        b = int(min(off, on + span) * rate)
        if b - a < rate // 10 or b > n_end:
            continue
        lo, hi = band(n)
        px = band_power(x[a:b], rate, lo, hi)
        pr = band_power(ref[a:b], rate, lo, hi)
        ga, gb = max(0, a - 3 * rate), min(n_end, b + 3 * rate)
        gx = band_power(x[ga:gb], rate, 40, 220)
        gr = band_power(ref[ga:gb], rate, 40, 220)
        diffs.append(10 * np.log10(px / pr) - 10 * np.log10(gx / gr))
    return diffs


def _third_of_note(n):
    f0 = 440.0 * 2 ** ((n - 69) / 12)
    return f0 * 2 ** (-1 / 6), f0 * 2 ** (1 / 6)


def melody_prominence(mix, nomel, rate, mel):
    """median / quartiles of the per-note band difference (dB) between the
    mix and a render without melody, in the third-octave band of each
    note's fundamental (note_band_db); and over a fixed octave around the
    melody's median pitch, the whole piece"""
    diffs = note_band_db(mix, nomel, rate, mel, 0.05, 1.5, _third_of_note)
    if not diffs:
        return {"prom_med": float("nan"), "prom_q1": float("nan"),
                "prom_q3": float("nan"), "prom_fixed": float("nan")}
    d = np.array(diffs)
    # a fixed band (one octave) around the melody's median pitch, whole piece
    med = np.median([n for _, _, n, _ in mel])
    f0 = 440.0 * 2 ** ((med - 69) / 12)
    pm = band_power(mix, rate, f0 / 1.414, f0 * 1.414)
    pn = band_power(nomel, rate, f0 / 1.414, f0 * 1.414)
    gm = band_power(mix, rate, 40, 220)
    gn = band_power(nomel, rate, 40, 220)
    return {"prom_med": float(np.median(d)), "prom_q1": float(np.percentile(d, 25)),
            "prom_q3": float(np.percentile(d, 75)),
            "prom_fixed": float(10 * np.log10(pm / pn) - 10 * np.log10(gm / gn))}


def melody_room(nomel, room, rate, mel, lo=1000.0, hi=3000.0):
    """How much room the bed makes in lo..hi while the melody sings: per
    melody note (note_band_db), the bed's power in that band from a render
    where the melody plays silently (`--volume melody=0`: its voices
    sound, so the pads' dip follows them, but nothing of it is heard)
    against a render without it (`--no-melody`: no dip); median dB
    (negative: the bed steps back)"""
    diffs = note_band_db(room, nomel, rate, mel, 0.3, 2.0, lambda n: (lo, hi))
    return float(np.median(diffs)) if diffs else float("nan")


def perc_level(mix, noperc, rate, score):
    """The percussion's level re the mix where it plays: the mix against
    the same render with the percussion silent (`--volume
    percussion=0`), the rider's small difference fitted out (least
    squares over the piece: the percussion is uncorrelated with the
    rest); power of the difference re the mix's power, over the sections
    that have percussion (median, dB), and how many sections have it"""
    g = float(np.sum(mix * noperc) / (np.sum(noperc * noperc) + 1e-30))
    secs = score["sections"] + [(len(mix) / rate, "end")]
    perc = score["notes"]["percussion"]
    lv, n = [], 0
    for i in range(len(secs) - 1):
        a, b = secs[i][0], min(secs[i + 1][0], len(mix) / rate)
        if b - a < 10 or not any(a <= on < b for on, _, _, _ in perc):
            continue
        n += 1
        ia, ib = int(a * rate), int(b * rate)
        d = mix[ia:ib] - g * noperc[ia:ib]
        lv.append(10 * np.log10(np.mean(d ** 2) / (np.mean(mix[ia:ib] ** 2) + 1e-30) + 1e-30))
    return (float(np.median(lv)) if lv else float("nan")), n


def phrases_of(mel, gap=0.6, bpm=66.0):
    """melody notes split where the silence between a note-off and the next
    note-on exceeds `gap` beats"""
    out, cur, last_off = [], [], None
    g = gap * 60.0 / bpm
    for on, off, n, v in mel:
        if cur and on - last_off > g:
            out.append(cur)
            cur = []
        cur.append((on, off, n, v))
        last_off = off
    if cur:
        out.append(cur)
    return out


def melody_stats(score, bpm):
    mel = score["notes"]["melody"]
    pads = score["notes"]["pads"]
    pitches = [n for _, _, n, _ in mel]
    above = unison = 0
    for on, off, n, _ in mel:
        t = on + 0.02
        sounding = [p for a, b, p, _ in pads if a <= t < b]
        if not sounding or n > max(sounding):
            above += 1
        if n in sounding:
            unison += 1
    nm = max(len(mel), 1)
    tr = nb = w4 = w3 = 0
    for ph in phrases_of(mel, bpm=bpm):
        p = [n for _, _, n, _ in ph]
        for i in range(len(p) - 2):
            w3 += 1
            nb += p[i] == p[i + 2] and p[i] != p[i + 1]
        for i in range(len(p) - 3):
            w4 += 1
            tr += p[i] == p[i + 2] and p[i + 1] == p[i + 3] and p[i] != p[i + 1]
    # motif restatement: a phrase of >= 3 notes whose interval sequence (in
    # semitones, any transposition, any rhythm) equals an earlier phrase's,
    # or contains a run of >= 3 intervals that an earlier phrase had
    seen_full, seen_runs = set(), set()
    rest = n3 = 0
    lens = []
    for ph in phrases_of(mel, bpm=bpm):
        p = [n for _, _, n, _ in ph]
        lens.append(len(p))
        if len(p) < 3:
            continue
        n3 += 1
        iv = tuple(np.diff(p))
        runs = {iv[i:i + k] for k in range(3, len(iv) + 1)
                for i in range(len(iv) - k + 1)}
        if iv in seen_full or runs & seen_runs:
            rest += 1
        seen_full.add(iv)
        seen_runs |= runs
    return {"mel_notes": len(mel), "above_pad": 100.0 * above / nm,
            "unison": 100.0 * unison / nm,
            "trill": 100.0 * tr / max(w4, 1), "neigh": 100.0 * nb / max(w3, 1),
            "restate": 100.0 * rest / max(n3, 1), "phr_max": max(lens or [0]),
            "phr_mean": float(np.mean(lens)) if lens else 0.0,
            "mel_range": [min(pitches or [0]), max(pitches or [0])]}


def harmony_stats(score, key_pc):
    ch, end = score["chords"], score["end"]
    if not ch:
        return {"tonic": float("nan"), "chord_s": float("nan"), "nchords": 0}
    tonic = 0.0
    lens = []
    for i, (t, name) in enumerate(ch):
        t1 = ch[i + 1][0] if i + 1 < len(ch) else end
        lens.append(t1 - t)
        if chord_root(name) == key_pc:
            tonic += t1 - t
    # pitch classes of the pads sounding at once (1 s grid)
    pads = score["notes"]["pads"]
    pcs = []
    for t in np.arange(5.0, end, 1.0):
        pcs.append(len({n % 12 for a, b, n, _ in pads if a <= t < b}))
    # the full chord lengths only: the last one is cut by the end
    full = lens[:-1] if len(lens) > 1 else lens
    return {"tonic": 100.0 * tonic / max(end, 1e-9),
            "chord_s": float(np.mean(full)), "nchords": len(ch),
            "names": len({n for _, n in ch}),
            "pcs5": 100.0 * float(np.mean(np.array(pcs) >= 5)) if pcs else 0.0}


def form_stats(score):
    first = {}
    for l in LAYERS:
        if score["notes"][l]:
            first[l] = score["notes"][l][0][0]
    order = "".join(SHORT[l] for l in sorted(first, key=first.get))
    tex = [on for on, _, _, _ in score["notes"]["textures"]]
    ons = np.unique(np.round(tex, 1))
    gaps = np.diff(ons[np.concatenate([[True], np.diff(ons) > 2.0])]) if len(ons) > 2 else []
    # percussion presence per section
    secs = score["sections"] + [(score["end"], "end")]
    perc = score["notes"]["percussion"]
    with_p = 0
    for i in range(len(secs) - 1):
        a, b = secs[i][0], secs[i + 1][0]
        with_p += any(a <= on < b for on, _, _, _ in perc)
    return {"order": order, "entries": {SHORT[l]: round(t, 1) for l, t in first.items()},
            "swell_cv": float(np.std(gaps) / np.mean(gaps)) if len(gaps) > 2 else float("nan"),
            "perc_sections": "%d/%d" % (with_p, len(secs) - 1)}


# ---------------------------------------------------------------- edges


def first_sound(x, rate, thr_db=-40.0):
    """seconds until the 10 ms peak passes thr_db dBFS"""
    w = rate // 100
    n = len(x) // w
    pk = np.abs(x[: n * w]).reshape(n, w, -1).max(axis=(1, 2))
    idx = np.nonzero(pk > 10 ** (thr_db / 20))[0]
    return float(idx[0] * w / rate) if len(idx) else float("inf")


def last10ms(x, rate):
    seg = x[-rate // 100:]
    return float(20 * np.log10(np.sqrt(np.mean(seg ** 2)) + 1e-12))


def k_weight(x, rate=RATE):
    """BS.1770 K-weighting (the 48 kHz coefficients; other rates are not
    rendered by the report): what a loudness meter hears"""
    from scipy.signal import lfilter
    assert rate == 48000
    y = lfilter([1.53512485958697, -2.69169618940638, 1.19839281085285],
                [1.0, -1.69065929318241, 0.73248077421585], x, axis=0)
    return lfilter([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621], y, axis=0)


def section_levels(x, rate, score):
    """(section note rate, section loudness dB, name) per section of at
    least 20 s; loudness as the K-weighted mean power over the section
    (raw power would follow the bass: at high intensity a dense section
    is brighter, so at the same loudness it has less raw power)"""
    secs = score["sections"] + [(len(x) / rate, "end")]
    out = []
    kx = None
    for i in range(len(secs) - 1):
        a, b = secs[i][0], min(secs[i + 1][0], len(x) / rate)
        if b - a < 20:
            continue
        if kx is None:
            kx = k_weight(x.astype(np.float64), rate)
        seg = kx[int(a * rate):int(b * rate)]
        lvl = 10 * np.log10(np.mean(seg ** 2) * 2 + 1e-20) - 0.691
        nn = sum(1 for l in LAYERS if l != "percussion"
                 for on, _, _, _ in score["notes"][l] if a <= on < b)
        out.append((nn / (b - a) * 60, lvl, secs[i][1]))
    return out


def section_figures(x, rate, score):
    """sec_corr (section loudness against note rate: > 0 when the level
    follows density) and sec_span (loudest - quietest section, dB)"""
    sl = section_levels(x, rate, score)
    if len(sl) < 3:
        return {"sec_corr": float("nan"), "sec_span": float("nan")}
    nr, lvl = np.array([s[0] for s in sl]), np.array([s[1] for s in sl])
    return {"sec_corr": float(np.corrcoef(nr, lvl)[0, 1]) if np.std(nr) > 0 else float("nan"),
            "sec_span": float(lvl.max() - lvl.min())}


def thirds_of(x, rate=RATE):
    f, p = psd(x, rate)
    return thirds(f, p)


def spectral_distance(a, b):
    sel = (THIRD >= 50) & (THIRD <= 12000)
    d = a[sel] - b[sel]
    return float(np.sqrt(np.mean((d - d.mean()) ** 2)))


# ---------------------------------------------------------------- pictures


def pictures(x, rate, title, path_spec, results, path_lt):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram
    m = x.mean(axis=1).astype(np.float32)
    f, t, s = spectrogram(m, fs=rate, nperseg=4096, noverlap=0)
    fl = np.geomspace(30, 20000, 300)
    idx = np.searchsorted(f, fl)
    idx = np.clip(idx, 1, len(f) - 1)
    db = 10 * np.log10(s[idx] + 1e-14)
    fig, ax = plt.subplots(figsize=(14, 5))
    vmax = np.percentile(db, 99.5)
    ax.pcolormesh(t, fl, db, vmin=vmax - 80, vmax=vmax, shading="auto", cmap="magma")
    ax.set_yscale("log")
    ax.set_ylabel("Hz")
    ax.set_xlabel("s")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path_spec, dpi=80)
    plt.close(fig)
    if results is not None:
        plot_thirds(results, "long-term spectrum", path_lt)


def plot_thirds(curves, title, path):
    """long-term 1/3-octave spectra [(label, bands)] against the -3.5
    dB/oct slope +-6 dB over 100 Hz-8 kHz (placed at the curves' mean)"""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 5))
    for label, th in curves:
        ax.semilogx(THIRD, th, marker=".", label=label)
    ref = -3.5 * np.log2(THIRD / 1000.0)
    sel = (THIRD >= 100) & (THIRD <= 8000)
    off = np.mean([np.mean(np.array(th)[sel] - ref[sel]) for _, th in curves])
    ax.semilogx(THIRD[sel], ref[sel] + off, "k--", label="-3.5 dB/oct +-6")
    ax.semilogx(THIRD[sel], ref[sel] + off + 6, "k:", lw=0.8)
    ax.semilogx(THIRD[sel], ref[sel] + off - 6, "k:", lw=0.8)
    ax.set_ylim(-75, 0)
    ax.set_xlabel("Hz (1/3-octave bands)")
    ax.set_ylabel("dB re total")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ---------------------------------------------------------------- driver


def analyse_piece(binary, out, seed, key, mode, bpm, inten, seconds, png=True,
                  prominence=True):
    tag = "s%s_%s%s_i%s" % (seed, key, mode[:3], inten)
    wav = run_auralis(binary, "render", os.path.join(out, tag + ".wav"), seed,
                      key, mode, bpm, inten, seconds)
    mid = run_auralis(binary, "compose", os.path.join(out, tag + ".mid"), seed,
                      key, mode, bpm, inten, seconds)
    rate, x = read_wav(wav)
    score = read_midi(mid)
    r = {"seed": seed, "intensity": inten}
    r.update(spectrum_figures(x, rate))
    r.update(ebur128(wav))
    key_pc = (NOTE_PC[key[0]] + (1 if key[1:] == "#" else -1 if key[1:] == "b" else 0)) % 12
    r.update(melody_stats(score, bpm))
    r.update(harmony_stats(score, key_pc))
    r.update(form_stats(score))
    r["first_sound"] = first_sound(x, rate)
    r["last10ms"] = last10ms(x, rate)
    r.update(section_figures(x, rate, score))
    h = len(x) // 2
    r["half_dist"] = spectral_distance(thirds_of(x[:h]), thirds_of(x[h:]))
    if prominence:
        nm = run_auralis(binary, "render", os.path.join(out, tag + "_nomel.wav"), seed,
                         key, mode, bpm, inten, seconds, ("--no-melody",))
        _, y = read_wav(nm)
        r.update(melody_prominence(x, y, rate, score["notes"]["melody"]))
        rm = run_auralis(binary, "render", os.path.join(out, tag + "_room.wav"), seed,
                         key, mode, bpm, inten, seconds, ("--volume", "melody=0"))
        _, z = read_wav(rm)
        r["mel_room"] = melody_room(y, z, rate, score["notes"]["melody"])
        del z
        os.unlink(rm)
        os.unlink(nm)
        del y
    if score["notes"]["percussion"]:
        npc = run_auralis(binary, "render", os.path.join(out, tag + "_noperc.wav"), seed,
                          key, mode, bpm, inten, seconds, ("--volume", "percussion=0"))
        _, y = read_wav(npc)
        r["perc_db"], r["perc_secs"] = perc_level(x, y, rate, score)
        os.unlink(npc)
        del y
    else:
        r["perc_db"], r["perc_secs"] = float("nan"), 0
    if png:
        pictures(x, rate, "seed %s %s %s, intensity %s" % (seed, key, mode, inten),
                 os.path.join(out, tag + "_spectrogram.png"), None, None)
    r["_x_thirds"] = thirds_of(x).tolist()
    os.unlink(wav)
    return r


COLS = [("seed", "%s"), ("intensity", "%s"), ("above5k", "%.1f"), ("above10k", "%.1f"),
        ("below60", "%.1f"), ("b60_250", "%.1f"), ("tilt1_10k", "%.1f"),
        ("slope_dev", "%.1f"), ("lufs", "%.1f"), ("lra", "%.1f"), ("tp", "%.1f"),
        ("prom_med", "%.1f"), ("prom_fixed", "%.1f"), ("mel_room", "%.1f"), ("above_pad", "%.0f"),
        ("unison", "%.0f"), ("trill", "%.1f"), ("neigh", "%.0f"), ("restate", "%.0f"),
        ("phr_max", "%d"), ("tonic", "%.0f"), ("chord_s", "%.1f"), ("pcs5", "%.0f"),
        ("sec_corr", "%.2f"), ("sec_span", "%.1f"), ("swell_cv", "%.2f"),
        ("perc_sections", "%s"), ("perc_db", "%.1f"), ("order", "%s"), ("first_sound", "%.2f"),
        ("last10ms", "%.0f"), ("half_dist", "%.1f")]

TARGETS = """targets (issue 8): above5k -32..-20 at 0.5, >= -40 at 0.1; b60_250 <= 60%;
below60 <= 8%; tilt1_10k -8..-3 at 0.5; slope_dev <= 6; lufs -16+-1; tp <= -1;
lra 5..10; prom_med >= 5; above_pad >= 80; trill <= 3; neigh <= 20;
restate >= 20 at 0.5; phr_max <= 10; tonic >= 40 at 0.1/0.5; chord_s >= 7;
sec_corr > 0 (level follows density); first_sound <= 0.3; last10ms < -50;
seed-to-seed spectral distance > half_dist; >= 3 entry orders over 5 seeds"""


def table(rows, cols=None):
    """a Markdown table of rows (dicts) in the columns [(name, format)]"""
    cols = cols or COLS
    head = [c for c, _ in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = []
        for c, f in cols:
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
    ap.add_argument("--out", default="build/music")
    ap.add_argument("--seeds", default="7,3,11")
    ap.add_argument("--order-seeds", default="1,2,3,4,5,7,11,13")
    ap.add_argument("--intensities", default="0.1,0.5,0.9")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--key", default="D")
    ap.add_argument("--mode", default="dorian")
    ap.add_argument("--bpm", type=float, default=66)
    ap.add_argument("--json")
    ap.add_argument("--no-png", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    secs = a.minutes * 60
    rows = []
    for s in a.seeds.split(","):
        for i in a.intensities.split(","):
            r = analyse_piece(a.bin, a.out, s, a.key, a.mode, a.bpm, i, secs,
                              png=not a.no_png)
            rows.append(r)
            print("seed %s intensity %s done" % (s, i), file=sys.stderr, flush=True)
    print(table(rows))
    print()
    print(TARGETS)
    # between seeds vs within a piece, at the middle intensity
    mid = a.intensities.split(",")[len(a.intensities.split(",")) // 2]
    th = [(r["seed"], np.array(r["_x_thirds"])) for r in rows if r["intensity"] == mid]
    if len(th) >= 2:
        ds = [spectral_distance(th[i][1], th[j][1]) for i in range(len(th))
              for j in range(i + 1, len(th))]
        hd = [r["half_dist"] for r in rows if r["intensity"] == mid]
        print("\nspectral distance at %s: between seeds median %.1f dB (min %.1f), "
              "halves of one piece median %.1f dB" % (mid, np.median(ds), min(ds), np.median(hd)))
    # entry orders over more seeds (scores only)
    orders = []
    for s in a.order_seeds.split(","):
        mid_path = os.path.join(a.out, "order_%s.mid" % s)
        run_auralis(a.bin, "compose", mid_path, s, a.key, a.mode, a.bpm, mid, 180)
        f = form_stats(read_midi(mid_path))
        orders.append(f["order"])
        print("seed %s entries %s" % (s, f["entries"]))
    print("entry orders over %d seeds: %d distinct (%s)" % (len(orders), len(set(orders)),
                                                           " ".join(orders)))
    if not a.no_png:
        for s in a.seeds.split(","):
            res = [("intensity %s" % r["intensity"], r["_x_thirds"])
                   for r in rows if r["seed"] == s]
            plot_thirds(res, "long-term spectrum, seed %s" % s,
                        os.path.join(a.out, "s%s_spectrum.png" % s))
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                      f, indent=1)


if __name__ == "__main__":
    main()
