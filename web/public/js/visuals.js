// Visualisation, one canvas that fills the stage: a slow aurora whose
// colour follows the chords (circle of fifths around the performance's own
// hue) and whose light breathes with the music's level, a soft spectrum
// along the bottom, and the notes as a scrolling roll whose pitch range
// follows the music (so there is no empty strip). The same drawing in the
// full-screen mode, slower and softer: calm enough to leave on all night
// (everything eases over seconds, nothing flashes, ~30 frames a second at
// most, nothing drawn while the page is hidden). Main thread only.

const LAYER_COLORS = {
  pads: [160, 175, 255],
  melody: [255, 207, 159],
  bass: [120, 220, 210],
  percussion: [230, 230, 240],
  textures: [140, 210, 255],
  bells: [255, 170, 220],
  chord: [190, 165, 255],
};
const MAX_NOTES = 600;
const FRAME_MS = 33;

function fit(canvas) {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return dpr;
}
const rgba = (c, a) => `rgba(${c[0]},${c[1]},${c[2]},${a.toFixed(3)})`;
const hsla = (h, s, l, a) => `hsla(${h.toFixed(1)},${s}%,${l}%,${a.toFixed(3)})`;
// one-pole smoothing towards a target over tau seconds
const ease = (x, target, dt, tau) => x + (target - x) * (1 - Math.exp(-dt / tau));
function easeHue(h, target, dt, tau) {
  let d = ((target - h + 540) % 360) - 180;
  return (h + d * (1 - Math.exp(-dt / tau)) + 360) % 360;
}

export class Visuals {
  constructor({ roll }) {
    this.canvas = roll;
    this.notes = []; // {note, layer, t0, t1, vel}
    this.particles = [];
    this.analyser = null;
    this.freq = null;
    this.smooth = new Float32Array(96).fill(-120);
    this.sawNotes = false;
    this.lastFrame = 0;
    this.running = false;
    this.immersive = false;
    this.baseHue = 230; // the performance's hue
    this.hue = 230; this.targetHue = 230;
    this.level = 0; // smoothed loudness 0..1
    this.lo = 40; this.hi = 84; // pitch range shown (eased)
    this.t = 0;
    // CSS pixels kept free of notes at the top and bottom (the labels and
    // controls drawn over the stage): set by the page
    this.insets = () => ({ top: 0, bottom: 0 });
  }

  setAnalyser(a) { this.analyser = a; this.freq = new Float32Array(a.frequencyBinCount); }
  setHue(h) { this.baseHue = h; this.targetHue = h; }
  setImmersive(on) { this.immersive = on; }
  clear() { this.notes = []; this.particles = []; this.sawNotes = false; }

  // Called when an event's position is reached in playback (t in ms).
  onEvent(e, t) {
    if (e.kind === 'note_on') {
      this.sawNotes = true;
      this.notes.push({ note: e.note, layer: e.layer || 'melody', t0: t, t1: null, vel: (e.velocity || 80) / 127 });
      if (e.layer !== 'percussion') this.spawn(e.note, e.layer, (e.velocity || 80) / 127);
    } else if (e.kind === 'note_off') {
      for (let i = this.notes.length - 1; i >= 0; i--) {
        const n = this.notes[i];
        if (n.note === e.note && n.t1 === null && (!e.layer || n.layer === e.layer)) { n.t1 = t; break; }
      }
    } else if (e.kind === 'chord') {
      const root = e.tones?.length ? Math.min(...e.tones) % 12 : null;
      // circle of fifths: related chords get neighbouring colours
      if (root !== null) this.targetHue = (this.baseHue + ((root * 7) % 12) * 12) % 360;
      if (e.tones?.length && !this.sawNotes) {
        // Without note events, show the chord's voicing as held notes.
        for (const n of this.notes) if (n.layer === 'chord' && n.t1 === null) n.t1 = t;
        for (const note of e.tones) this.notes.push({ note, layer: 'chord', t0: t, t1: null, vel: 0.6 });
        for (const note of e.tones) this.spawn(note, 'chord', 0.4);
      }
    }
    if (this.notes.length > MAX_NOTES) this.notes.splice(0, this.notes.length - MAX_NOTES);
  }

  spawn(note, layer, vel) {
    if (this.particles.length > 80) return;
    const c = LAYER_COLORS[layer] ?? LAYER_COLORS.melody;
    this.particles.push({ note, x: 0.86 + (Math.random() - 0.5) * 0.02, dy: 0, vy: 0.01 + Math.random() * 0.012, r: 3 + vel * 8, life: 1, c });
  }

  start() {
    if (this.running) return;
    this.running = true;
    const loop = (ts) => {
      if (!this.running) return;
      requestAnimationFrame(loop);
      if (ts - this.lastFrame < FRAME_MS) return;
      const dt = this.lastFrame ? Math.min(0.1, (ts - this.lastFrame) / 1000) : FRAME_MS / 1000;
      this.lastFrame = ts;
      this.draw(performance.now(), dt);
    };
    requestAnimationFrame(loop);
  }

  // Loudness of the music now (0..1) from the analyser, and the spectrum.
  readSpectrum(dt) {
    if (!this.analyser) { this.level = ease(this.level, 0, dt, 2); return false; }
    this.analyser.getFloatFrequencyData(this.freq);
    const sr = this.analyser.context.sampleRate, bins = this.freq.length, N = this.smooth.length;
    const f0 = 40, f1 = 14000;
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const f = f0 * Math.pow(f1 / f0, i / (N - 1));
      const b = Math.min(bins - 1, Math.round((f / (sr / 2)) * bins));
      // a gentle +3 dB/octave tilt so the music's shape, not its bass, shows
      const db = this.freq[b] + 3 * Math.log2(f / 1000);
      this.smooth[i] += ((Number.isFinite(db) ? db : -120) - this.smooth[i]) * Math.min(1, dt * 4);
      sum += Math.max(0, Math.min(1, (this.smooth[i] + 100) / 70));
    }
    // the light follows the level over ~2 s: it breathes, it never flickers
    this.level = ease(this.level, Math.min(1, (sum / N) * 1.6), dt, 2);
    return true;
  }

  draw(now, dt) {
    const c = this.canvas;
    if (!c.clientWidth || !c.clientHeight) return;
    const g = c.getContext('2d');
    const dpr = fit(c);
    const W = c.width, H = c.height;
    this.t += dt;
    const hasSpec = this.readSpectrum(dt);
    this.hue = easeHue(this.hue, this.targetHue, dt, this.immersive ? 6 : 4);
    this.drawAurora(g, W, H);
    if (hasSpec) this.drawSpectrum(g, W, H);
    this.drawRoll(g, W, H, dpr, now, dt);
    this.drawParticles(g, W, H, dt);
  }

  // The aurora is soft light with no edges: drawn on a canvas 1/8 the size
  // and scaled up (smoothly), it costs a fraction of a full-size fill.
  drawAurora(out, W, H) {
    const w = Math.max(8, Math.round(W / 8)), h = Math.max(8, Math.round(H / 8));
    if (!this.small) this.small = document.createElement('canvas');
    if (this.small.width !== w || this.small.height !== h) { this.small.width = w; this.small.height = h; }
    this.paintAurora(this.small.getContext('2d'), w, h);
    out.imageSmoothingEnabled = true;
    out.imageSmoothingQuality = 'low';
    out.drawImage(this.small, 0, 0, W, H);
  }

  paintAurora(g, W, H) {
    g.globalCompositeOperation = 'source-over';
    const bg = g.createLinearGradient(0, 0, 0, H);
    bg.addColorStop(0, hsla(this.hue, 40, 7, 1));
    bg.addColorStop(1, hsla((this.hue + 40) % 360, 45, 4, 1));
    g.fillStyle = bg;
    g.fillRect(0, 0, W, H);
    g.globalCompositeOperation = 'lighter';
    const L = 0.16 + 0.2 * this.level; // never bright: it is for listening in the dark
    const slow = this.immersive ? 0.5 : 1;
    for (let i = 0; i < 3; i++) {
      const ph = this.t * 0.02 * slow * (1 + i * 0.37) + i * 2.1;
      const x = W * (0.5 + 0.35 * Math.sin(ph)), y = H * (0.55 + 0.25 * Math.cos(ph * 1.3 + i));
      const r = Math.max(W, H) * (0.45 + 0.1 * Math.sin(ph * 0.7 + i)) * (0.9 + 0.2 * this.level);
      const h = (this.hue + i * 35) % 360;
      const rg = g.createRadialGradient(x, y, 0, x, y, r);
      rg.addColorStop(0, hsla(h, 65, 55, L * (1 - i * 0.2)));
      rg.addColorStop(1, hsla(h, 65, 40, 0));
      g.fillStyle = rg;
      g.fillRect(0, 0, W, H);
    }
    g.globalCompositeOperation = 'source-over';
  }

  drawSpectrum(g, W, H) {
    const N = this.smooth.length, top = H * (this.immersive ? 0.22 : 0.3);
    g.beginPath();
    g.moveTo(0, H);
    for (let i = 0; i < N; i++) {
      const v = Math.max(0, Math.min(1, (this.smooth[i] + 100) / 70));
      g.lineTo((i / (N - 1)) * W, H - v * top);
    }
    g.lineTo(W, H);
    g.closePath();
    const grad = g.createLinearGradient(0, H - top, 0, H);
    grad.addColorStop(0, hsla((this.hue + 50) % 360, 80, 78, 0.28));
    grad.addColorStop(1, hsla(this.hue, 80, 60, 0.03));
    g.fillStyle = grad;
    g.fill();
  }

  drawRoll(g, W, H, dpr, now, dt) {
    const seconds = this.immersive ? 40 : 24;
    const head = W * 0.86;
    const pxs = head / seconds;
    const cutoff = now - seconds * 1000;
    this.notes = this.notes.filter((n) => n.t1 === null || n.t1 > cutoff);
    // the pitch range follows what is (and was recently) sounding
    let lo = 127, hi = 0;
    for (const n of this.notes) if (n.layer !== 'percussion') { lo = Math.min(lo, n.note); hi = Math.max(hi, n.note); }
    if (hi >= lo) {
      const mid = (lo + hi) / 2, span = Math.max(24, hi - lo + 8);
      this.lo = ease(this.lo, mid - span / 2, dt, 3);
      this.hi = ease(this.hi, mid + span / 2, dt, 3);
    }
    const ins = this.insets();
    const top = ins.top * dpr + H * 0.04, bottom = H - ins.bottom * dpr - H * 0.1;
    this.topPx = ins.top * dpr;
    this.percY = H - ins.bottom * dpr - H * 0.04;
    this.y = (n) => bottom - ((n - this.lo) / (this.hi - this.lo)) * (bottom - top);
    g.globalCompositeOperation = 'lighter';
    const bar = Math.max(3, (this.immersive ? 6 : 4) * dpr);
    for (const n of this.notes) {
      const x0 = head - ((now - n.t0) / 1000) * pxs;
      const x1 = n.t1 === null ? head : head - ((now - n.t1) / 1000) * pxs;
      if (x1 < 0) continue;
      const col = LAYER_COLORS[n.layer] ?? LAYER_COLORS.melody;
      const age = Math.min(1, Math.max(0, x1 / head));
      // a note eases in over its first 300 ms: no flash at the onset
      const attack = Math.min(1, (now - n.t0) / 300);
      const a = (n.layer === 'chord' ? 0.22 : 0.3 + 0.45 * n.vel) * (0.25 + 0.75 * age) * attack * (this.immersive ? 0.8 : 1);
      const yy = n.layer === 'percussion' ? this.percY : this.y(n.note);
      const grad = g.createLinearGradient(x0, 0, x1, 0);
      grad.addColorStop(0, rgba(col, a * 0.1));
      grad.addColorStop(1, rgba(col, a));
      g.fillStyle = grad;
      const w = Math.max(bar, x1 - x0);
      g.beginPath();
      if (g.roundRect) g.roundRect(x1 - w, yy - bar / 2, w, bar, bar / 2); else g.rect(x1 - w, yy - bar / 2, w, bar);
      g.fill();
      if (n.t1 === null) { // sounding: a soft glow at the playhead
        const r = bar * (this.immersive ? 5 : 3);
        const rg = g.createRadialGradient(head, yy, 0, head, yy, r);
        rg.addColorStop(0, rgba(col, 0.45 * a));
        rg.addColorStop(1, rgba(col, 0));
        g.fillStyle = rg;
        g.fillRect(head - r, yy - r, 2 * r, 2 * r);
      }
    }
    g.globalCompositeOperation = 'source-over';
    // the playhead: a faint vertical glow where notes sound
    const lg = g.createLinearGradient(head - 2 * dpr, 0, head + 24 * dpr, 0);
    lg.addColorStop(0, 'rgba(170,180,255,0)');
    lg.addColorStop(0.1, 'rgba(170,180,255,0.08)');
    lg.addColorStop(1, 'rgba(170,180,255,0)');
    g.fillStyle = lg;
    g.fillRect(head - 2 * dpr, 0, 26 * dpr, H);
  }

  // Notes leave soft motes that rise slowly from the playhead and fade.
  drawParticles(g, W, H, dt) {
    if (!this.y) return;
    g.globalCompositeOperation = 'lighter';
    for (const p of this.particles) {
      p.dy -= p.vy * dt * 2;
      p.x -= dt * 0.004;
      p.life -= dt / (this.immersive ? 12 : 8);
      const r = p.r * (W / 1400 + 0.6);
      const x = p.x * W, y = this.y(p.note) + p.dy * H;
      // motes fade out before they reach the labels: nothing drifts over text
      const room = Math.min(1, Math.max(0, (y - r * 3 - (this.topPx ?? 0)) / (H * 0.08)));
      if (room <= 0) { p.life = 0; continue; }
      const rg = g.createRadialGradient(x, y, 0, x, y, r * 3);
      rg.addColorStop(0, rgba(p.c, 0.28 * room * Math.max(0, p.life) * Math.min(1, (1 - p.life) * 6)));
      rg.addColorStop(1, rgba(p.c, 0));
      g.fillStyle = rg;
      g.fillRect(x - r * 3, y - r * 3, r * 6, r * 6);
    }
    g.globalCompositeOperation = 'source-over';
    this.particles = this.particles.filter((p) => p.life > 0);
  }
}
