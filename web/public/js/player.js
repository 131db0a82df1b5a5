// The main-thread half of the player: WebSocket stream (with reconnection),
// decoding, jitter/tier tracking, and the AudioContext with its worklet.
// Emits 'state', 'hello', 'params', 'event', 'error' and 'started' events.
// One instance per page; main thread only.

import { TierController } from './buffering.js';
import { FrameRing, ringBytes } from './ring.js';
import { ST, STATE } from './playout.js';
import * as P from './protocol.js';
import * as C from './codec.js';

const CAPACITY = 1 << 18; // frames: 5.4 s at 48 kHz, above the deepest tier plus a burst
const STATS_EVERY_MS = 5000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10000;
const DISCONNECT_AFTER_PAUSE_MS = 60000; // a station: it is live, keep it a while
// A personal performance: after the pause's fade the socket closes, and play
// resumes the same performance where it was paused (docs/protocol.md, Resume).
const CLOSE_AFTER_PAUSE_MS = 1200;
// Play fades in over this (gain squared: eased, no click) when the audio
// starts mid-music (a station, a resume); a performance's own start is from
// silence and fades over 30 ms only (playout.js quietStartFadeS).
export const START_FADE_S = 0.2;
// Failed connection attempts in a row (no hello) before the player asks the
// server why over plain HTTP and says so in the page.
const PROBE_AFTER_FAILURES = 2;

export class Player extends EventTarget {
  // codec: 'auto' (Opus where WebCodecs decodes it, else pcm16), 'opus', 'pcm16'
  constructor({ wsUrl, sampleRate = 48000, codec = 'auto' } = {}) {
    super();
    this.codecPref = codec;
    this.codec = null; // what the current connection asked for
    this.opus = null; // C.OpusStream of the current connection
    this.rx = new C.ByteRate();
    this.wsUrl = wsUrl;
    this.ctxRate = sampleRate;
    this.streamRate = sampleRate;
    this.desired = {}; // what to connect to: station, or seed + params
    this.params = {}; // as the server last reported them
    this.state = 'idle';
    this.detail = '';
    this.tier = new TierController();
    this.ctx = null;
    this.node = null;
    this.analyser = null;
    this.ws = null;
    this.wantConnected = false;
    this.wantPlaying = false;
    this.lastError = '';
    this.volume = 1;
    this.sleepGain = 1; // the sleep timer's fade, times the volume
    this.failures = 0; // connection attempts in a row that got no hello
    // The performance being played: its resume id, starting parameters and
    // timeline (every change with its position, from `state`), enough to
    // resume it at a position on this server or any other.
    this.perf = null; // {id, start, timeline: [], keptS}
    this.resumeFrom = null; // {position} when the next connect should resume
    this.refusal = ''; // why the server refused, when it said
    this.attempts = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.pending = []; // decoded chunks waiting for the worklet
    this.written = 0; // frames handed to the ring (producer count)
    this.segments = []; // {start: written index, pos: stream position}
    this.chunks = 0;
    this.dropped = 0;
    this.stream = null;
    this.lastUnderruns = 0;
    this.lastStats = new Float64Array(ST.LEN);
    this.statsView = null;
    this.quietView = null;
    this.quietStart = false;
    this.lastClientStats = 0;
    this.pausedAt = 0;
    this.lastTarget = this.tier.target_ms;
    this.m = { play_at: null, ws_open_ms: null, hello_ms: null, audio_ready_ms: null, first_chunk_ms: null, press_to_audible_ms: null, first_output_ms: null, first_audible_ms: null, first_loud_ms: null, press_to_loud_ms: null, connects: 0, reconnects: 0, state_messages: 0, errors: 0 };
    this.pollTimer = setInterval(() => this.poll(), 100);
  }

  // --- public API -------------------------------------------------------

  // Call from a user gesture (click, key, media key): creates/resumes audio.
  play() {
    if (this.state === 'error') this.state = 'idle';
    this.wantPlaying = true;
    this.pausedAt = 0;
    this.pausePosition = undefined;
    if (this.m.play_at === null || this.state === 'idle' || this.state === 'paused') {
      this.m.play_at = performance.now();
    }
    // Socket first: the server's first burst is then on its way while the
    // audio device opens and the worklet module loads.
    if (!this.ws && !this.retryTimer) { this.wantConnected = true; this.connect(); }
    this.ensureAudio();
    this.ctx.resume().catch(() => {});
    this.post({ type: 'play', on: true, fadeS: START_FADE_S });
    this.refreshState();
  }

  // Open the audio device early (on pointerdown, before the click lands):
  // the first AudioContext in a browser can take over 100 ms to start.
  warm() {
    if (this.pressAt === undefined) this.pressAt = performance.now();
    this.ensureAudio();
    if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
  }

  pause(fadeS = 1) {
    this.wantPlaying = false;
    this.pausedAt = performance.now();
    // where to come back to: the sample the listener last heard
    if (this.perf && !this.desired.station && this.ws) this.pausePosition = this.playedPosition();
    this.post({ type: 'play', on: false, fadeS });
    this.refreshState();
  }

  toggle() { if (this.wantPlaying) this.pause(); else this.play(); }

  setVolume(v) { this.volume = v; this.post({ type: 'volume', value: v * this.sleepGain }); }

  // The sleep timer's gain (0..1), applied on top of the volume; the
  // worklet smooths every step (30 ms), and the timer moves it slowly.
  setSleepGain(g) { this.sleepGain = Math.max(0, Math.min(1, g)); this.post({ type: 'volume', value: this.volume * this.sleepGain }); }

  // Live change of key, mode, bpm, intensity, layers: sent to the server;
  // remembered for reconnects.
  set(changes) {
    const vols = changes.volumes ? { ...this.desired.volumes, ...changes.volumes } : null;
    Object.assign(this.desired, changes);
    if (vols) this.desired.volumes = vols;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(P.setMessage(changes));
  }

  // New piece or station: drop what is buffered and reconnect.
  retune(desired) {
    this.desired = { ...desired };
    this.perf = null;
    this.resumeFrom = null;
    // a moment from a link: that performance at that position
    if (Number.isSafeInteger(desired.position)) {
      const { timeline, position, ...start } = desired;
      this.perf = { id: desired.resume ?? null, start: P.normalizeParams(start), timeline: timeline ? timeline.split(';') : [], keptS: null };
      this.resumeFrom = { position };
      delete this.desired.timeline; delete this.desired.position; delete this.desired.resume;
    }
    // pending chunks are dropped here, never written: flush what the ring has
    this.post({ type: 'flush', upTo: this.written });
    this.pending = [];
    this.closeSocket();
    this.attempts = 0;
    if (this.wantPlaying) { this.wantConnected = true; this.connect(); }
    this.refreshState();
  }

  stats() {
    const s = this.lastStats;
    return {
      state: this.state,
      tier: this.tier.name,
      buffer_ms: (s[ST.DEPTH] * 1000) / this.streamRate,
      target_ms: this.tier.target_ms,
      jitter_ms: this.tier.jitter.score,
      underruns: s[ST.UNDERRUNS],
      playback_rate: s[ST.RATE] || 1,
      chunks: this.chunks,
      sample_rate: this.streamRate,
      context_rate: this.ctx ? this.ctx.sampleRate : null,
      shared_memory: !!this.statsView,
      skips: s[ST.SKIPS],
      dropped: this.dropped,
      stream: this.stream,
      reconnects: this.m.reconnects,
      codec: this.codec,
      bytes_per_second: Math.round(this.rx.perSecond()),
    };
  }

  metrics() {
    const { play_at, ...m } = this.m;
    return { ...m, output_latency_ms: this.ctx ? ((this.ctx.outputLatency || 0) + (this.ctx.baseLatency || 0)) * 1000 : null };
  }

  // Stream position (frames) of the sample now leaving the worklet.
  playedPosition() {
    const consumed = this.lastStats[ST.CONSUMED];
    let seg = null;
    for (const s of this.segments) { if (s.start <= consumed) seg = s; else break; }
    while (this.segments.length > 1 && this.segments[1].start <= consumed) this.segments.shift();
    return seg ? seg.pos + (consumed - seg.start) : 0;
  }

  // --- audio ------------------------------------------------------------

  ensureAudio() {
    if (this.ctx) return;
    try {
      this.ctx = new AudioContext({ sampleRate: this.ctxRate, latencyHint: 'interactive' });
    } catch {
      this.ctx = new AudioContext(); // the worklet resamples from the stream's rate
    }
    const shared = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
    const ringBuffer = shared ? new SharedArrayBuffer(ringBytes(CAPACITY)) : null;
    const statsBuffer = shared ? new SharedArrayBuffer(ST.LEN * 8) : null;
    this.ring = shared ? new FrameRing(CAPACITY, ringBuffer) : null;
    this.statsView = shared ? new Float64Array(statsBuffer) : null;
    this.quietView = shared ? new Int32Array(statsBuffer, ST.QUIET * 8, 1) : null;
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 4096;
    this.analyser.smoothingTimeConstant = 0.85;
    this.ready = this.ctx.audioWorklet.addModule(new URL('./worklet.js', import.meta.url)).then(() => {
      this.node = new AudioWorkletNode(this.ctx, 'auralis-player', {
        numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2],
        processorOptions: { capacity: CAPACITY, ringBuffer, statsBuffer, streamRate: this.streamRate, targetMs: this.tier.target_ms },
      });
      this.node.port.onmessage = (e) => this.onWorkletMessage(e.data);
      this.node.connect(this.analyser);
      this.analyser.connect(this.ctx.destination);
      this.post({ type: 'volume', value: this.volume * this.sleepGain });
      this.post({ type: 'play', on: this.wantPlaying, fadeS: START_FADE_S });
      if (this.quietStart) this.post({ type: 'quiet', on: true });
      if (this.m.audio_ready_ms === null && this.m.play_at !== null) this.m.audio_ready_ms = performance.now() - this.m.play_at;
      for (const c of this.pending) this.push(c.data, c.frames);
      this.pending = [];
    }).catch((err) => this.fail(`audio could not start: ${err.message}`));
  }

  post(m, transfer) { if (this.node) this.node.port.postMessage(m, transfer ?? []); }

  pendingFrames() { return this.pending.reduce((a, c) => a + c.frames, 0); }

  push(data, frames) {
    if (this.ring) {
      const n = this.ring.write(data, frames);
      this.dropped += frames - n;
      this.written += n;
    } else {
      this.node.port.postMessage({ type: 'chunk', data, frames }, [data.buffer]);
      this.written += frames;
    }
  }

  onWorkletMessage(m) {
    if (m.type === 'stats') this.lastStats = m.stats;
    else if (m.type === 'started') {
      const now = performance.now();
      if (this.m.play_at !== null && this.m.first_output_ms === null) {
        this.m.first_output_ms = now - this.m.play_at;
        // When that block reaches the speaker: map context time to page time.
        // It reaches the speaker after the output latency (measured after the
        // message arrived, so this errs late, never early).
        const latency = ((this.ctx.outputLatency || 0) + (this.ctx.baseLatency || 0)) * 1000;
        this.m.first_audible_ms = this.m.first_output_ms + latency;
        // from the pointer going down on the button, when warm() saw it
        if (this.pressAt !== undefined && this.pressAt <= this.m.play_at) this.m.press_to_audible_ms = now + latency - this.pressAt;
      }
      this.dispatchEvent(new Event('started'));
    } else if (m.type === 'loud' && this.m.play_at !== null && this.m.first_loud_ms === null) {
      // the first 128-frame block above -40 dBFS RMS, mapped the same way
      const now = performance.now();
      const latency = ((this.ctx.outputLatency || 0) + (this.ctx.baseLatency || 0)) * 1000;
      this.m.first_loud_ms = now + latency - this.m.play_at;
      if (this.pressAt !== undefined && this.pressAt <= this.m.play_at) this.m.press_to_loud_ms = now + latency - this.pressAt;
    }
  }

  // --- network ----------------------------------------------------------

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.codec = C.chooseCodec(this.codecPref);
    this.opus?.close();
    this.opus = null;
    const ws = new WebSocket(P.streamUrl(this.wsUrl, this.connectParams(), this.codec));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.gotAudio = false;
    this.gotHello = false;
    this.setState(this.attempts ? 'reconnecting' : 'connecting', this.attempts ? `attempt ${this.attempts + 1}` : '');
    ws.onopen = () => { if (this.m.ws_open_ms === null && this.m.play_at !== null) this.m.ws_open_ms = performance.now() - this.m.play_at; };
    ws.onmessage = (e) => { if (ws === this.ws) this.onMessage(e.data); };
    ws.onclose = (e) => { if (ws === this.ws) this.onClose(e); };
    ws.onerror = () => {}; // onclose follows with the code
  }

  // What the next connection asks for: the same performance at a position
  // (resume by id, with the starting parameters and timeline as the
  // fallback any server can replay), or the desired station or settings.
  connectParams() {
    const r = this.resumeFrom, pf = this.perf;
    if (!r || !pf || this.desired.station) return this.desired;
    return { ...pf.start, resume: pf.id ?? undefined, timeline: pf.timeline.join(';') || undefined, position: r.position };
  }

  // Remember where the listener is, so the next connect resumes there.
  markResume(position = this.playedPosition()) {
    if (this.perf && !this.desired.station && Number.isSafeInteger(position) && position >= 0) this.resumeFrom = { position };
  }

  // Audio still buffered from the old connection would repeat what a
  // resumed stream sends again: drop it (fades out first if sounding).
  flushBuffered() {
    this.post({ type: 'flush', upTo: this.written });
    this.pending = [];
  }

  closeSocket() {
    const ws = this.ws;
    this.ws = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (ws) { ws.onopen = ws.onmessage = ws.onclose = null; try { ws.close(1000); } catch { /* closing */ } }
  }

  onClose(e) {
    const ws = this.ws;
    this.ws = null;
    if (!this.wantConnected) { this.refreshState(); return; }
    if (e.code === 1008 || e.code === 1003) { this.fail(this.lastError || `refused by the server (${e.code})`); return; }
    // A blip: continue this performance right after the last chunk that
    // arrived; what is buffered keeps playing meanwhile, so a quick
    // reconnect is seamless and a slow one a gap, never a jump or a repeat.
    if (this.gotHello && this.perf && this.lastEnd !== undefined) this.markResume(this.lastEnd);
    if (!this.gotHello) {
      this.failures++;
      // A refused upgrade looks like any dropped connection to the page:
      // ask the server (same URL, plain HTTP) what it did not like.
      // an Opus attempt is probed at once: a 44.1 kHz server refuses Opus
      if ((this.failures >= PROBE_AFTER_FAILURES || this.codec === 'opus') && ws) this.probe(ws.url);
    }
    this.attempts++;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.attempts - 1));
    const delay = base * (0.8 + 0.4 * Math.random());
    this.retryAt = performance.now() + delay;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.m.reconnects++; this.connect(); }, delay);
    this.setState('reconnecting', `${this.refusal ? `${this.refusal}; ` : ''}retry in ${(delay / 1000).toFixed(1)} s`);
  }

  // Asks the server why the upgrade failed: GET /api/validate with the
  // same query answers what the upgrade would (docs/protocol.md). A 400 (a
  // value the server refuses) will not get better by retrying: show the
  // server's reason and stop. Otherwise say what is known, and keep trying.
  async probe(url) {
    const u = new URL(url);
    const http = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}/api/validate${u.search}`;
    let status = 0, body = null;
    try {
      const r = await fetch(http, { cache: 'no-store' });
      status = r.status;
      body = await r.json().catch(() => null);
    } catch { status = 0; }
    if (!this.wantConnected || this.gotHello) return;
    const reason = body?.message ?? '';
    // refused for codec=opus (a 44.1 kHz server): pcm16 from the next attempt
    if (status === 400 && u.searchParams.get('codec') === 'opus' && /codec=opus/.test(reason)) { this.codecPref = 'pcm16'; return; }
    if (status === 400 && reason) { this.fail(reason); return; }
    this.refusal = status === 0 ? 'server unreachable' : status === 503 ? (reason || 'server full') : `cannot connect (${this.failures} attempts)`;
  }

  onMessage(data) {
    if (typeof data !== 'string') return this.onChunk(data);
    const m = P.parseServerMessage(data);
    if (!m) return;
    switch (m.type) {
      case 'hello':
        this.m.connects++;
        this.gotHello = true;
        this.failures = 0;
        this.refusal = '';
        if (this.m.hello_ms === null && this.m.play_at !== null) this.m.hello_ms = performance.now() - this.m.play_at;
        this.stream = m.stream ?? null;
        if (m.sample_rate && m.sample_rate !== this.streamRate) {
          this.streamRate = m.sample_rate;
          this.post({ type: 'rate', sampleRate: m.sample_rate });
        }
        this.tier.newStream();
        this.params = { ...m.params };
        if (m.resume?.id && !this.desired.station) {
          const resumed = !!m.resume.resumed && this.perf;
          if (resumed) {
            // a new branch: the timeline up to the resume point is kept
            const at = Number(m.position) || 0;
            this.perf.timeline = this.perf.timeline.filter((e) => Number(e.split(':')[0]) < at);
            this.perf.id = m.resume.id;
          } else {
            this.perf = { id: m.resume.id, start: { ...m.params }, timeline: [], keptS: null };
          }
          this.perf.keptS = m.resume.kept_s ?? null;
          this.perf.resumed = !!m.resume.resumed;
          this.perf.helloPosition = Number(m.position) || 0;
        } else if (!m.resume) {
          this.perf = null; // a server without resume
        }
        this.resumeFrom = null;
        this.lastEnd = Number(m.position) || 0; // the first chunk's position
        // keep the same piece on reconnect: pin the seed the server chose
        if (!this.desired.station && m.params.seed !== undefined) this.desired.seed = m.params.seed;
        this.dispatchEvent(new CustomEvent('hello', { detail: m }));
        this.dispatchEvent(new CustomEvent('params', { detail: this.params }));
        this.refreshState();
        break;
      case 'state':
        this.m.state_messages++;
        if (this.perf && typeof m.change === 'string' && m.change) this.perf.timeline.push(m.change);
        Object.assign(this.params, m.params);
        this.dispatchEvent(new CustomEvent('params', { detail: this.params, }));
        this.dispatchEvent(new CustomEvent('statechange', { detail: m }));
        break;
      case 'event':
        this.dispatchEvent(new CustomEvent('event', { detail: m }));
        break;
      case 'error':
        this.m.errors++;
        this.lastError = m.message ?? m.code;
        this.dispatchEvent(new CustomEvent('servererror', { detail: m }));
        break;
    }
  }

  onChunk(buf) {
    let h;
    try { h = P.parseHeader(buf); } catch { return; }
    if (h.codec !== P.CODEC_PCM16 && h.codec !== P.CODEC_OPUS) return;
    const now = performance.now();
    this.rx.add(buf.byteLength, now);
    if (!this.gotAudio) {
      this.gotAudio = true;
      this.attempts = 0;
      // a performance's first frame starts from silence: no long fade
      // (playout.js, quietStartFadeS); elsewhere (a station, a resume) the
      // start fade applies. Only a first start (or one after a flush) uses it.
      this.quietStart = h.position === 0;
      this.post({ type: 'quiet', on: this.quietStart });
      // in shared memory too, ordered before the chunk's frames are published
      if (this.quietView) Atomics.store(this.quietView, 0, this.quietStart ? 1 : 2);
      if (this.m.first_chunk_ms === null && this.m.play_at !== null) this.m.first_chunk_ms = now - this.m.play_at;
    }
    this.chunks++;
    this.lastEnd = h.position + h.frames;
    this.tier.onArrival(now, h.position, this.streamRate);
    this.syncTarget();
    if (h.codec === P.CODEC_PCM16) return this.acceptPcm(P.decodePcm16(buf, h), h.frames, h.position);
    try {
      if (!this.opus) this.opus = new C.OpusStream((d, n, pos) => this.acceptPcm(d, n, pos), (msg) => this.opusBroke(msg));
      this.opus.decode(buf, h);
    } catch (e) { this.opusBroke(e.message); }
  }

  // Decoded audio at a stream position, from either codec.
  acceptPcm(data, frames, position) {
    const start = this.written + this.pendingFrames();
    const last = this.segments[this.segments.length - 1];
    if (!last || last.pos + (start - last.start) !== position) this.segments.push({ start, pos: position });
    if (this.node) this.push(data, frames);
    else this.pending.push({ data, frames });
  }

  // The browser could not decode Opus after all: reconnect asking for pcm16.
  opusBroke(msg) {
    if (this.codec !== 'opus') return;
    C.opusFailed();
    this.lastError = msg;
    // the same performance, where the listener is, in pcm16
    const perf = this.perf, at = this.playedPosition();
    this.retune(this.desired);
    if (perf && !this.desired.station) { this.perf = perf; this.markResume(at); }
  }

  // --- housekeeping -----------------------------------------------------

  syncTarget() {
    if (this.tier.target_ms !== this.lastTarget) {
      this.lastTarget = this.tier.target_ms;
      this.post({ type: 'target', ms: this.lastTarget });
    }
  }

  poll() {
    const now = performance.now();
    if (this.statsView) this.lastStats = this.statsView.slice();
    const u = this.lastStats[ST.UNDERRUNS];
    if (u > this.lastUnderruns) { this.lastUnderruns = u; this.tier.onUnderrun(now); }
    this.tier.tick(now);
    this.syncTarget();
    if (!this.wantPlaying && this.pausedAt && this.ws && this.perf && !this.desired.station &&
        this.pausePosition !== undefined && now - this.pausedAt > CLOSE_AFTER_PAUSE_MS) {
      // faded out: stop streaming, and resume here on play
      this.wantConnected = false;
      this.markResume(this.pausePosition);
      this.closeSocket();
      this.flushBuffered();
    }
    if (!this.wantPlaying && this.pausedAt && this.ws && now - this.pausedAt > DISCONNECT_AFTER_PAUSE_MS) {
      this.wantConnected = false; // a long pause: stop streaming, reconnect on play
      this.closeSocket();
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN && now - this.lastClientStats >= STATS_EVERY_MS && this.gotAudio) {
      this.lastClientStats = now;
      this.ws.send(P.clientStatsMessage(this.stats()));
    }
    this.refreshState();
  }

  refreshState() {
    if (this.state === 'error') return;
    if (this.retryTimer) return; // 'reconnecting' with its countdown
    let s, d = '';
    if (!this.wantPlaying) s = this.ctx ? 'paused' : 'idle';
    else if (!this.ws) s = 'connecting';
    else if (this.ws.readyState !== WebSocket.OPEN) s = this.attempts ? 'reconnecting' : 'connecting';
    else if (this.lastStats[ST.STATE] === STATE.PLAY && this.node) s = 'playing';
    else s = 'buffering';
    if (s === 'buffering' && this.lastStats[ST.UNDERRUNS] > 0) d = 'refilling after a gap';
    this.setState(s, d);
  }

  setState(s, detail = '') {
    if (s === this.state && detail === this.detail) return;
    this.state = s;
    this.detail = detail;
    this.dispatchEvent(new CustomEvent('state', { detail: { state: s, detail } }));
  }

  fail(msg) {
    this.wantConnected = false;
    this.closeSocket();
    this.state = 'idle';
    this.setState('error', msg);
  }
}
