/**
 * The requests of the tile bench: tiles of a IIIF tile pyramid as a deep-zoom viewer asks for
 * them (OpenSeadragon's IIIF tile source: region = tile × scale factor on the full image, size =
 * region ÷ scale factor, rounded up; smaller tiles at the right and bottom edges).
 */

export interface Tile {
  scale: number;
  /** Region on the full-resolution image. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Size of the answer. */
  outW: number;
  outH: number;
}

/** A small seeded PRNG (mulberry32), so every server gets the same list on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every tile of the pyramid at the given scale factors, aligned to the tile grid of its level. */
export function allTiles(width: number, height: number, tileSize: number, scales: number[]): Tile[] {
  const out: Tile[] = [];
  for (const scale of scales) {
    const step = tileSize * scale;
    for (let y = 0; y < height; y += step) {
      for (let x = 0; x < width; x += step) {
        const w = Math.min(step, width - x);
        const h = Math.min(step, height - y);
        out.push({ scale, x, y, w, h, outW: Math.ceil(w / scale), outH: Math.ceil(h / scale) });
      }
    }
  }
  return out;
}

/**
 * `n` tile requests at random positions and scale factors: seeded shuffles of the whole pyramid,
 * one after the other, so no tile comes twice before every tile has come once (the first pass
 * over the list then renders as many distinct tiles as the pyramid holds, not a few low-resolution
 * tiles over and over). Scale factors are therefore weighted by how many tiles their level has.
 */
export function tileList(width: number, height: number, tileSize: number, scales: number[], n: number, seed: number): Tile[] {
  const tiles = allTiles(width, height, tileSize, scales);
  const rnd = mulberry32(seed);
  const out: Tile[] = [];
  while (out.length < n) {
    const round = [...tiles];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const a = round[i];
      const b = round[j];
      if (a && b) {
        round[i] = b;
        round[j] = a;
      }
    }
    out.push(...round.slice(0, n - out.length));
  }
  return out;
}

/** The path tail of a tile: IIIF 3 asks for "w,h" (canonical in 3.0), IIIF 2 for "w," (what 2.x viewers ask). */
export function tileTail(t: Tile, version: 2 | 3): string {
  const size = version === 3 ? `${t.outW},${t.outH}` : `${t.outW},`;
  return `${t.x},${t.y},${t.w},${t.h}/${size}/0/default.jpg`;
}

/** Width and height from a JPEG's SOF marker, or null when the bytes are not a JPEG. */
export function jpegSize(b: Buffer): { width: number; height: number } | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] ?? 0;
    // Fill bytes and markers without a length.
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

/** Counts of a list's tiles per scale factor, and how many distinct tiles it holds. */
export function describeList(list: Tile[]): { perScale: Map<number, number>; distinct: number } {
  const perScale = new Map<number, number>();
  const keys = new Set<string>();
  for (const t of list) {
    perScale.set(t.scale, (perScale.get(t.scale) ?? 0) + 1);
    keys.add(`${t.scale}/${t.x}/${t.y}`);
  }
  return { perScale, distinct: keys.size };
}

/** The key of a tile (same region and size). */
export const tileKey = (t: Tile): string => `${t.scale}/${t.x}/${t.y}`;
