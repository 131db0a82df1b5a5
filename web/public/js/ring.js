// Single-producer single-consumer ring of interleaved stereo float frames.
// Backed by a SharedArrayBuffer (main thread writes, worklet reads) when the
// page is cross-origin isolated, or by a plain ArrayBuffer owned by the
// worklet otherwise. Indices are frame counters modulo 2^32, published with
// Atomics; the consumer caches them per audio block (beginRead/endRead) so
// the per-frame path touches no atomics. Never allocates after construction.

export const RING_HEADER_BYTES = 8; // Int32 write index, Int32 read index
export const CHANNELS = 2;

export function ringBytes(capacityFrames) {
  return RING_HEADER_BYTES + capacityFrames * CHANNELS * 4;
}

export class FrameRing {
  // capacityFrames: a power of two. buffer: optional (Shared)ArrayBuffer of
  // ringBytes(capacityFrames) bytes to attach to (both sides pass the same).
  constructor(capacityFrames, buffer = null) {
    if (capacityFrames & (capacityFrames - 1)) throw new Error('ring capacity must be a power of two');
    this.capacity = capacityFrames;
    this.mask = capacityFrames - 1;
    this.buffer = buffer ?? new ArrayBuffer(ringBytes(capacityFrames));
    this.idx = new Int32Array(this.buffer, 0, 2);
    this.data = new Float32Array(this.buffer, RING_HEADER_BYTES, capacityFrames * CHANNELS);
    this.r = 0; // consumer's cached read index
    this.w = 0; // consumer's cached write index
  }

  available() { return (Atomics.load(this.idx, 0) - Atomics.load(this.idx, 1)) | 0; }

  // Producer: copies up to frames frames of interleaved stereo; returns how
  // many fitted (a full ring drops the rest: the consumer is far behind).
  write(interleaved, frames) {
    const w = Atomics.load(this.idx, 0);
    const r = Atomics.load(this.idx, 1);
    const free = this.capacity - ((w - r) | 0);
    const n = Math.min(frames, free);
    const start = w & this.mask;
    const first = Math.min(n, this.capacity - start);
    this.data.set(interleaved.subarray(0, first * CHANNELS), start * CHANNELS);
    if (n > first) this.data.set(interleaved.subarray(first * CHANNELS, n * CHANNELS), 0);
    Atomics.store(this.idx, 0, (w + n) | 0);
    return n;
  }

  // Consumer side.
  beginRead() {
    this.w = Atomics.load(this.idx, 0);
    this.r = Atomics.load(this.idx, 1);
    return (this.w - this.r) | 0;
  }
  cachedAvailable() { return (this.w - this.r) | 0; }
  pop(h, i) {
    if (this.r === this.w) return false;
    const j = (this.r & this.mask) * CHANNELS;
    h[i] = this.data[j];
    h[i + 1] = this.data[j + 1];
    this.r = (this.r + 1) | 0;
    return true;
  }
  skip(n) {
    const k = Math.max(0, Math.min(n, this.cachedAvailable()));
    this.r = (this.r + k) | 0;
    return k;
  }
  // How many of the next frames (at most max) are quieter than level in
  // both channels, without reading them.
  leadingQuiet(max, level) {
    const n = Math.min(max, this.cachedAvailable());
    for (let k = 0; k < n; k++) {
      const j = ((this.r + k) & this.mask) * CHANNELS;
      if (Math.abs(this.data[j]) >= level || Math.abs(this.data[j + 1]) >= level) return k;
    }
    return n;
  }
  endRead() { Atomics.store(this.idx, 1, this.r); }
}
