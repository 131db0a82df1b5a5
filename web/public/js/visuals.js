// Visualisation: a slowly scrolling piano roll of the notes as they sound,
// a soft spectrum from the AnalyserNode, and a field of drifting particles
// lit by notes. Main thread only; draws at most ~30 frames per second.

const LAYER_COLORS = {
  pads: [160, 170, 255],
  melody: [255, 207, 159],
  bass: [120, 220, 210],
  percussion: [230, 230, 240],
  textures: [140, 210, 255],
  bells: [255, 170, 220],
  chord: [190, 160, 255],
};
const LOW = 24, HIGH = 100; // MIDI range shown
const SECONDS = 24; // history across the roll
const MAX_NOTES = 600;

function fit(canvas) {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.round(canvas.clientWidth * dpr), h = Math.round(canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return dpr;
}
const rgba = (c, a) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

export class Visuals {
  constructor({ roll, spectrum, sky }) {
    this.roll = roll; this.spec = spectrum; this.sky = sky;
    this.notes = []; // {note, layer, t0, t1, vel}
    this.particles = [];
    this.analyser = null;
    this.freq = null;
    this.smooth = new Float32Array(120).fill(-120);
    this.sawNotes = false;
    this.lastFrame = 0;
    this.running = false;
  }

  setAnalyser(a) { this.analyser = a; this.freq = new Float32Array(a.frequencyBinCount); }

  // Called when an event's position is reached in playback (t in ms).
  onEvent(e, t) {
    if (e.kind === 'note_on') {
      this.sawNotes = true;
      this.notes.push({ note: e.note, layer: e.layer || 'melody', t0: t, t1: null, vel: e.velocity / 127 });
      this.spawn(e.note, e.layer, e.velocity / 127);
    } else if (e.kind === 'note_off') {
      for (let i = this.notes.length - 1; i >= 0; i--) {
        const n = this.notes[i];
        if (n.note === e.note && n.t1 === null && (!e.layer || n.layer === e.layer)) { n.t1 = t; break; }
      }
    } else if (e.kind === 'chord' && e.tones?.length) {
      // Without note events, show the chord's voicing as held pads.
      if (!this.sawNotes) {
        for (const n of this.notes) if (n.layer === 'chord' && n.t1 === null) n.t1 = t;
        for (const note of e.tones) this.notes.push({ note, layer: 'chord', t0: t, t1: null, vel: 0.6 });
      }
      for (const note of e.tones) this.spawn(note, 'chord', 0.5);
    }
    if (this.notes.length > MAX_NOTES) this.notes.splice(0, this.notes.length - MAX_NOTES);
  }

  spawn(note, layer, vel) {
    if (this.particles.length > 160) return;
    const c = LAYER_COLORS[layer] ?? LAYER_COLORS.melody;
    const x = (note - LOW) / (HIGH - LOW);
    this.particles.push({ x: Math.min(0.98, Math.max(0.02, x + (Math.random() - 0.5) * 0.08)), y: 0.75 + Math.random() * 0.2, vy: 0.006 + Math.random() * 0.01, r: 2 + vel * 10, life: 1, c });
  }

  start() {
    if (this.running) return;
    this.running = true;
    const loop = (ts) => {
      if (!this.running) return;
      requestAnimationFrame(loop);
      if (ts - this.lastFrame < 30) return;
      const dt = Math.min(0.1, (ts - this.lastFrame) / 1000);
      this.lastFrame = ts;
      this.drawRoll(performance.now());
      this.drawSpectrum();
      this.drawSky(dt);
    };
    requestAnimationFrame(loop);
  }

  drawRoll(now) {
    const c = this.roll, g = c.getContext('2d');
    const dpr = fit(c);
    const W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    const head = W * 0.86;
    const pxs = head / SECONDS;
    const y = (n) => H * 0.72 - ((n - LOW) / (HIGH - LOW)) * H * 0.62;
    // faint octave lines
    g.strokeStyle = 'rgba(150,165,255,0.05)';
    g.lineWidth = 1;
    for (let n = 24; n <= HIGH; n += 12) { g.beginPath(); g.moveTo(0, y(n)); g.lineTo(W, y(n)); g.stroke(); }
    g.globalCompositeOperation = 'lighter';
    const bar = Math.max(3, 4 * dpr);
    const cutoff = now - SECONDS * 1000;
    this.notes = this.notes.filter((n) => n.t1 === null || n.t1 > cutoff);
    for (const n of this.notes) {
      const x0 = head - ((now - n.t0) / 1000) * pxs;
      const x1 = n.t1 === null ? head : head - ((now - n.t1) / 1000) * pxs;
      if (x1 < 0) continue;
      const col = LAYER_COLORS[n.layer] ?? LAYER_COLORS.melody;
      const a = (n.layer === 'chord' ? 0.22 : 0.35 + 0.5 * n.vel) * (0.35 + 0.65 * Math.min(1, x1 / head));
      const yy = y(n.note);
      const grad = g.createLinearGradient(x0, 0, x1, 0);
      grad.addColorStop(0, rgba(col, a * 0.15));
      grad.addColorStop(1, rgba(col, a));
      g.fillStyle = grad;
      const w = Math.max(bar, x1 - x0);
      g.beginPath();
      g.roundRect ? g.roundRect(x1 - w, yy - bar / 2, w, bar, bar / 2) : g.rect(x1 - w, yy - bar / 2, w, bar);
      g.fill();
      if (n.t1 === null) { // sounding: a soft glow at the playhead
        const r = bar * 3;
        const rg = g.createRadialGradient(head, yy, 0, head, yy, r);
        rg.addColorStop(0, rgba(col, 0.5 * a));
        rg.addColorStop(1, rgba(col, 0));
        g.fillStyle = rg;
        g.fillRect(head - r, yy - r, 2 * r, 2 * r);
      }
    }
    g.globalCompositeOperation = 'source-over';
    // the playhead: a faint vertical glow where notes sound
    const lg = g.createLinearGradient(head - 2 * dpr, 0, head + 24 * dpr, 0);
    lg.addColorStop(0, 'rgba(170,180,255,0)');
    lg.addColorStop(0.1, 'rgba(170,180,255,0.10)');
    lg.addColorStop(1, 'rgba(170,180,255,0)');
    g.fillStyle = lg;
    g.fillRect(head - 2 * dpr, 0, 26 * dpr, H);
  }

  drawSpectrum() {
    const c = this.spec, g = c.getContext('2d');
    fit(c);
    const W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    if (!this.analyser) return;
    this.analyser.getFloatFrequencyData(this.freq);
    const sr = this.analyser.context.sampleRate, bins = this.freq.length, N = this.smooth.length;
    const f0 = 30, f1 = 16000;
    g.beginPath();
    g.moveTo(0, H);
    for (let i = 0; i < N; i++) {
      const f = f0 * Math.pow(f1 / f0, i / (N - 1));
      const b = Math.min(bins - 1, Math.round((f / (sr / 2)) * bins));
      // a gentle +3 dB/octave tilt so the music's shape, not its bass, shows
      const db = this.freq[b] + 3 * Math.log2(f / 1000);
      this.smooth[i] += ((Number.isFinite(db) ? db : -120) - this.smooth[i]) * 0.25;
      const v = Math.max(0, Math.min(1, (this.smooth[i] + 100) / 70));
      g.lineTo((i / (N - 1)) * W, H - v * H * 0.9);
    }
    g.lineTo(W, H);
    g.closePath();
    const grad = g.createLinearGradient(0, 0, 0, H);
    grad.addColorStop(0, 'rgba(199,166,255,0.45)');
    grad.addColorStop(1, 'rgba(120,140,255,0.02)');
    g.fillStyle = grad;
    g.fill();
  }

  drawSky(dt) {
    const c = this.sky, g = c.getContext('2d');
    fit(c);
    const W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    g.globalCompositeOperation = 'lighter';
    for (const p of this.particles) {
      p.y -= p.vy * dt * 3;
      p.life -= dt / 14;
      const r = p.r * (W / 1200 + 0.6);
      const rg = g.createRadialGradient(p.x * W, p.y * H, 0, p.x * W, p.y * H, r * 3);
      rg.addColorStop(0, rgba(p.c, 0.35 * Math.max(0, p.life)));
      rg.addColorStop(1, rgba(p.c, 0));
      g.fillStyle = rg;
      g.fillRect(p.x * W - r * 3, p.y * H - r * 3, r * 6, r * 6);
    }
    g.globalCompositeOperation = 'source-over';
    this.particles = this.particles.filter((p) => p.life > 0 && p.y > -0.1);
  }
}
