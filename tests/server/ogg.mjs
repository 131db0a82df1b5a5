// A small Ogg reader for tests (RFC 3533): pages and the packets they carry,
// enough to compare an Ogg Opus file or HTTP stream with WebSocket packets.
export function oggPages(buf) {
  const pages = [];
  let off = 0;
  while (off + 27 <= buf.length) {
    if (buf.toString('ascii', off, off + 4) !== 'OggS') throw new Error(`no OggS at ${off}`);
    const nseg = buf[off + 26];
    const lacing = buf.subarray(off + 27, off + 27 + nseg);
    const bodyLen = lacing.reduce((a, b) => a + b, 0);
    const start = off + 27 + nseg;
    if (start + bodyLen > buf.length) break; // a partial page at the end
    pages.push({
      type: buf[off + 5],
      granule: buf.readBigInt64LE(off + 6),
      serial: buf.readUInt32LE(off + 14),
      seq: buf.readUInt32LE(off + 18),
      lacing,
      body: buf.subarray(start, start + bodyLen),
    });
    off = start + bodyLen;
  }
  return { pages, rest: off };
}

// Packets of the pages in order (a packet may span pages).
export function oggPackets(pages) {
  const out = [];
  let cur = [];
  for (const p of pages) {
    let o = 0;
    for (const l of p.lacing) {
      cur.push(p.body.subarray(o, o + l));
      o += l;
      if (l < 255) { out.push(Buffer.concat(cur)); cur = []; }
    }
  }
  return out;
}

// Codec-1 payload of a WebSocket chunk: [u16 length][packet] repeated.
export function opusPacketsOf(payload) {
  const out = [];
  let o = 0;
  while (o + 2 <= payload.length) {
    const n = payload.readUInt16LE(o);
    out.push(payload.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
  if (o !== payload.length) throw new Error('codec-1 payload does not end on a packet');
  return out;
}
