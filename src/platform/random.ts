// Seeded pseudo-randomness, for what must be reproducible: a feed page's exploration slots (seeded by its session
// and page, so the same cursor answers the same page), the simulator and the offline evaluation's splits.

/** A 32-bit seed from a string (FNV-1a). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform in [0, 1) from a seed (mulberry32): fast, 2^32 period, plenty for sampling. */
export function seededRandom(seed: number | string): () => number {
  let a = (typeof seed === 'string' ? seedOf(seed) : seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
