// SPDX-License-Identifier: MIT
/**
 * Caption neighbours, for batches of hard negatives. Contrastive losses (DAMSM's, the
 * discriminator's mismatched-caption term) only learn the distinctions their batches ask for:
 * drawn at random from 1,777 emoji, "red circle" meets "red square" in the same batch of 48
 * about once in 40 epochs, so nothing pushes the encoders to tell the two apart and colour
 * alone wins. Grouping each image with images whose captions share its rarer words makes the
 * batch's negatives differ in a detail rather than in everything.
 *
 * Similarity is tf-idf cosine over the set of words of all an image's captions: words used by
 * more than `maxShare` of the images (templates such as "an emoji of", "this bird has") carry
 * no weight, and a word of one image only cannot link two.
 */

/** Options of {@link captionNeighbours}. */
export interface CaptionNeighbourOptions {
  /** Neighbours kept per image, nearest first. Default 16. */
  count?: number;
  /** Words in more than this share of the images are ignored. Default 0.2. */
  maxShare?: number;
}

/**
 * For each image, up to `count` other images of another class, nearest first by tf-idf cosine
 * of their caption words (ties: lower index first). Images sharing no weighted word with any
 * other get an empty list. Cost: the sum over images of the document frequencies of their
 * words, milliseconds for OpenMoji and seconds for CUB.
 */
export function captionNeighbours(
  captions: readonly (readonly (readonly number[])[])[],
  classIds: ArrayLike<number>,
  options: CaptionNeighbourOptions = {},
): Int32Array[] {
  const count = options.count ?? 16;
  const maxShare = options.maxShare ?? 0.2;
  const n = captions.length;
  const words = captions.map((caps) => [...new Set(caps.flat())].sort((a, b) => a - b));
  const df = new Map<number, number>();
  for (const ws of words) for (const w of ws) df.set(w, (df.get(w) ?? 0) + 1);
  const maxDf = Math.max(1, Math.floor(maxShare * n));
  const idf = (w: number): number => {
    const d = df.get(w) as number;
    return d > maxDf ? 0 : Math.log(n / d);
  };
  const norms = words.map((ws) => Math.sqrt(ws.reduce((s, w) => s + idf(w) ** 2, 0)));
  // Inverted index over the words that can link two images (weight > 0, in two images or more).
  const postings = new Map<number, number[]>();
  words.forEach((ws, i) => {
    for (const w of ws) {
      const d = df.get(w) as number;
      if (d < 2 || idf(w) === 0) continue;
      let list = postings.get(w);
      if (!list) postings.set(w, (list = []));
      list.push(i);
    }
  });
  const scores = new Float64Array(n);
  const seen = new Uint8Array(n);
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const touched: number[] = [];
    for (const w of words[i] as number[]) {
      const list = postings.get(w);
      if (!list) continue;
      const v = idf(w) ** 2;
      for (const j of list) {
        if (!seen[j]) {
          seen[j] = 1;
          touched.push(j);
        }
        scores[j] += v;
      }
    }
    const cands: { j: number; s: number }[] = [];
    for (const j of touched) {
      if (j !== i && classIds[j] !== classIds[i]) cands.push({ j, s: (scores[j] as number) / ((norms[i] as number) * (norms[j] as number)) });
      scores[j] = 0;
      seen[j] = 0;
    }
    cands.sort((a, b) => b.s - a.s || a.j - b.j);
    out.push(Int32Array.from(cands.slice(0, count), (c) => c.j));
  }
  return out;
}

/**
 * Reorders one epoch's shuffled indices (a permutation of 0..n-1) into groups: each image not
 * yet placed is followed by up to `k` of its neighbours not yet placed, the nearest ones, or,
 * with `pick`, ones drawn from the whole list (`pick(m)` returns an integer in [0, m)), so
 * groups change between epochs and "red circle" meets red squares as well as other circles.
 * Returns a permutation of `order`: an epoch still shows every image once.
 */
export function groupByNeighbours(order: readonly number[], neighbours: readonly Int32Array[], k: number, pick?: (m: number) => number): number[] {
  const placed = new Uint8Array(neighbours.length);
  const out: number[] = [];
  for (const i of order) {
    if (placed[i]) continue;
    placed[i] = 1;
    out.push(i);
    let taken = 0;
    const list = Array.from(neighbours[i] ?? []);
    if (pick) {
      for (let a = list.length - 1; a > 0; a--) {
        const b = pick(a + 1);
        [list[a], list[b]] = [list[b] as number, list[a] as number];
      }
    }
    for (const j of list) {
      if (taken >= k) break;
      if (placed[j]) continue;
      placed[j] = 1;
      out.push(j);
      taken++;
    }
  }
  return out;
}
