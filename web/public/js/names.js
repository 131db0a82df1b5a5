// Names: a readable name for every performance, derived from its seed
// ("Amber Tide 7F3A"; the seed stays behind it), and the station-name rule
// the server applies (src/server/query.c, au_station_name_ok): one rule, the
// page refuses what the server would refuse, with the server's words.
// Pure functions, any thread.

const ADJECTIVES = [
  'Amber', 'Azure', 'Silver', 'Velvet', 'Quiet', 'Hollow', 'Distant', 'Golden',
  'Misty', 'Pale', 'Slow', 'Soft', 'Deep', 'Still', 'Gentle', 'Lunar',
  'Solar', 'Frosted', 'Woven', 'Drifting', 'Faded', 'Hidden', 'Glass', 'Paper',
  'Cedar', 'Indigo', 'Ivory', 'Copper', 'Opal', 'Violet', 'Coral', 'Ember',
  'Willow', 'Saffron', 'Slate', 'Mossy', 'Crimson', 'Lucid', 'Silent', 'Warm',
  'Cool', 'Wandering', 'Northern', 'Southern', 'Evening', 'Morning', 'Midnight', 'Twilight',
  'Rainy', 'Snowy', 'Cloudy', 'Salt', 'Sea', 'Stone', 'Ashen', 'Pine',
  'Fern', 'Dusk', 'Dawn', 'Tidal', 'Sleeping', 'Open', 'Far', 'Low',
];
const NOUNS = [
  'Tide', 'Harbor', 'Meadow', 'Lantern', 'Garden', 'River', 'Field', 'Shore',
  'Horizon', 'Orchard', 'Valley', 'Canopy', 'Current', 'Echo', 'Hymn', 'Veil',
  'Drift', 'Bloom', 'Haze', 'Embers', 'Aurora', 'Lagoon', 'Reef', 'Glacier',
  'Dune', 'Forest', 'Grove', 'Hollow', 'Mirror', 'Window', 'Room', 'Bridge',
  'Signal', 'Choir', 'Prism', 'Comet', 'Nebula', 'Orbit', 'Moon', 'Star',
  'Rain', 'Fog', 'Breeze', 'Wave', 'Cove', 'Island', 'Lake', 'Spring',
  'Well', 'Path', 'Trail', 'Ridge', 'Summit', 'Cloud', 'Feather', 'Thread',
  'Loom', 'Bell', 'Chime', 'Reverie', 'Lullaby', 'Vespers', 'Atlas', 'Compass',
];

const M64 = (1n << 64n) - 1n;

// splitmix64: every bit of the seed moves every bit of the result, so
// neighbouring seeds get unrelated names.
export function mix64(x) {
  let z = (BigInt.asUintN(64, x) + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

// The seed as a BigInt (decimal string or number), or null.
export function seedBig(seed) {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) return BigInt(seed);
  if (typeof seed === 'string' && /^\d{1,20}$/.test(seed)) {
    const b = BigInt(seed);
    return b <= M64 ? b : null;
  }
  return null;
}

// "Amber Tide 7F3A": adjective, noun and four hex digits, all from the
// mixed seed (64 x 64 x 65536 names; the seed itself is always shown too).
export function performanceName(seed) {
  const s = seedBig(seed);
  if (s === null) return '';
  const h = mix64(s);
  const adj = ADJECTIVES[Number(h & 63n)];
  const noun = NOUNS[Number((h >> 6n) & 63n)];
  const tag = Number((h >> 16n) & 0xffffn).toString(16).toUpperCase().padStart(4, '0');
  return `${adj} ${noun} ${tag}`;
}

// A hue (0..360) for the performance: cover art and visuals share it.
export function seedHue(seed) {
  const s = seedBig(seed);
  return s === null ? 230 : Number((mix64(s) >> 32n) % 360n);
}

// The server's rule (docs/protocol.md, "Station names"): 1 to 32 of
// A-Z a-z 0-9 . _ -, not starting with '.'. A server that publishes its rule
// in /api/health (station_name: pattern, max_length, rule) replaces this copy
// through useStationRule(), so page and server cannot disagree.
export const STATION_MAX_DEFAULT = 32;
const DEFAULT_RULE = {
  re: /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}$/,
  max: STATION_MAX_DEFAULT,
  rule: "station must be 1 to 32 characters of A-Z a-z 0-9 . _ -, not starting with '.'",
};
let rule = DEFAULT_RULE;
export function stationRule() { return { pattern: rule.re.source, max: rule.max, rule: rule.rule }; }
// Adopts the server's rule from /api/health's station_name (ignored if malformed).
export function useStationRule(sn) {
  try {
    if (!sn || typeof sn.pattern !== 'string') return false;
    const re = new RegExp(sn.pattern);
    const max = Number.isInteger(sn.max_length) && sn.max_length > 0 ? sn.max_length : DEFAULT_RULE.max;
    rule = { re, max, rule: typeof sn.rule === 'string' && sn.rule ? sn.rule : DEFAULT_RULE.rule };
    return true;
  } catch { return false; }
}
export function resetStationRule() { rule = DEFAULT_RULE; }
export function stationNameProblem(name) {
  if (typeof name === 'string' && name.length <= rule.max && rule.re.test(name)) return null;
  const v = String(name ?? '');
  return `${rule.rule} (got '${v.slice(0, 40)}${v.length > 40 ? '...' : ''}')`;
}
