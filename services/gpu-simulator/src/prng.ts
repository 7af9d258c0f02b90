// Deterministic pseudo-randomness: the same node name and time always give the same simulated values,
// so a value can be recomputed from time alone (no timers, no stored random streams).

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** 32-bit FNV-1a hash of a string; used to turn names into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A uniform number in [0, 1) that depends only on the seed and the integer keys. */
export function unit(seed: number, a = 0, b = 0): number {
  let h = mix32((seed ^ mix32((a | 0) + 0x9e3779b9)) >>> 0);
  h = mix32((h ^ mix32((b | 0) + 0x85ebca6b)) >>> 0);
  return h / 4294967296;
}

/** A 32-bit unsigned integer that depends only on the seed and the integer keys. */
export function bits32(seed: number, a = 0, b = 0): number {
  return Math.floor(unit(seed, a, b) * 4294967296) >>> 0;
}
