/** Seeded randomness for simulations and statistical tests: results repeat for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Poisson draw: Knuth's method for small means, a rounded normal for large ones. */
export function poisson(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 60) {
    const u = Math.max(random(), Number.MIN_VALUE);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

export interface Stream {
  canaryRequests: number;
  baselineRequests: number;
  /** The controls' error rate. */
  baseErrorRate: number;
  /** What the change does: canary error rate = base × naturalRatio × regression. */
  regression: number;
  /** The canary's own error rate relative to the controls' before any change (θ); 1 when absent. */
  naturalRatio?: number;
}

/** One simulated interval (e.g. a minute) of canary and baseline traffic. */
export function simulateInterval(stream: Stream, random: () => number) {
  return {
    canaryRequests: stream.canaryRequests,
    canaryEvents: poisson(
      stream.canaryRequests * stream.baseErrorRate * stream.regression * (stream.naturalRatio ?? 1),
      random,
    ),
    baselineRequests: stream.baselineRequests,
    baselineEvents: poisson(stream.baselineRequests * stream.baseErrorRate, random),
  };
}

/** The pre-change window: `minutes` intervals of the stream without the change, summed. */
export function simulatePreChange(stream: Stream, minutes: number, random: () => number) {
  const total = { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 };
  for (let i = 0; i < minutes; i++) {
    const c = simulateInterval({ ...stream, regression: 1 }, random);
    total.canaryRequests += c.canaryRequests;
    total.canaryEvents += c.canaryEvents;
    total.baselineRequests += c.baselineRequests;
    total.baselineEvents += c.baselineEvents;
  }
  return total;
}
