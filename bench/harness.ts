/** Shared bits of the benchmarks: flags, progress on stderr, percentiles, the JSON last line. */

export interface BenchFlags {
  readonly quick: boolean;
}

export function readFlags(argv: string[] = process.argv.slice(2)): BenchFlags {
  return { quick: argv.includes('--quick') };
}

export function progress(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Percentile (0–100) of an unsorted sample, by nearest rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Prints the one JSON object a script reads (the last stdout line). */
export function report(bench: string, results: unknown[], extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench, ...extra, results })}\n`);
}
