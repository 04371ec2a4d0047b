// Percentiles of samples, in milliseconds; timing work; reading what a child process answered.
export interface Summary {
  n: number;
  median: number;
  p95: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)) };
}

export const round = (x: number): number => Math.round(x * 100) / 100;

/** Runs work and returns how long it took, in milliseconds. */
export async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

/**
 * The last line a benchmark's child printed, its answer, parsed (the handler's own output, e.g. its metrics, comes
 * before).
 */
export const lastLine = (out: string): unknown => JSON.parse(out.trimEnd().split('\n').at(-1)!);
