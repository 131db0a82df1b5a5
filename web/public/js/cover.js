// Generated cover art: a small SVG drawn from a piece's (or preset's) name
// and a seed, so the same piece always gets the same picture and different
// pieces look different. Soft gradients only (no filters: cheap to draw, no
// smudges). Pure functions, any thread.

// FNV-1a over the text: a 32-bit hash that seeds the picture.
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// mulberry32: a tiny deterministic PRNG for the picture's shapes.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// An SVG document (string), square, viewBox 0 0 100 100. `hue` (0..360)
// overrides the hue taken from the hash (a performance's own colour).
export function coverSvg(name, seed = '', { hue = null, title = null } = {}) {
  const h = hash32(`${name}|${seed}`);
  const r = prng(h);
  const base = hue ?? Math.floor(r() * 360);
  const hue2 = (base + 30 + Math.floor(r() * 80)) % 360;
  const hue3 = (base + 180 + Math.floor(r() * 60) - 30) % 360;
  const id = `c${h.toString(36)}`;
  const blobs = [];
  for (let i = 0; i < 4; i++) {
    const hh = [base, hue2, hue3, base][i];
    const cx = (10 + r() * 80).toFixed(1), cy = (10 + r() * 80).toFixed(1), rad = (22 + r() * 30).toFixed(1);
    blobs.push(`<radialGradient id="${id}b${i}"><stop offset="0" stop-color="hsl(${hh} 70% ${55 + i * 5}%)" stop-opacity="${(0.55 - i * 0.08).toFixed(2)}"/><stop offset="1" stop-color="hsl(${hh} 70% 50%)" stop-opacity="0"/></radialGradient>`);
    blobs.push(`<circle cx="${cx}" cy="${cy}" r="${rad}" fill="url(#${id}b${i})"/>`);
  }
  const waves = [];
  const n = 3 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const y = 35 + i * (45 / n) + r() * 6, a = 3 + r() * 7, ph = r() * 100;
    let d = `M0 ${y.toFixed(1)}`;
    for (let x = 0; x <= 100; x += 10) d += ` L${x} ${(y + a * Math.sin((x + ph) / 16)).toFixed(1)}`;
    waves.push(`<path d="${d}" fill="none" stroke="hsl(${hue2} 80% 85%)" stroke-opacity="${(0.10 + r() * 0.18).toFixed(2)}" stroke-width="${(0.4 + r() * 0.8).toFixed(2)}"/>`);
  }
  const defs = blobs.filter((b) => b.startsWith('<radial')).join('');
  const shapes = blobs.filter((b) => b.startsWith('<circle')).join('');
  const t = title ? `<title>${esc(title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" preserveAspectRatio="xMidYMid slice" aria-hidden="true">${t}<defs><linearGradient id="${id}g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${base} 45% 18%)"/><stop offset="1" stop-color="hsl(${hue3} 40% 8%)"/></linearGradient>${defs}</defs><rect width="100" height="100" fill="url(#${id}g)"/>${shapes}${waves.join('')}</svg>`;
}
