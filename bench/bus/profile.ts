/**
 * `--profile`: the broker runs under `node --cpu-prof`, which writes a .cpuprofile when
 * it exits. This reads it back and lists the functions with the most self time, so a
 * missed target comes with where the broker's time went (CORRECTIONS #3.11), not just
 * the figure. The file stays on disk for a closer look (Chrome DevTools, speedscope).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
}

export interface HotFunction {
  /** `name (file:line)`; `(program)` and `(garbage collector)` are V8's own. */
  readonly fn: string;
  /** Share of the busy samples (%). */
  readonly self_pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Samples taken while the broker was busy (the idle ones are left out). */
  readonly busy_samples: number;
  /** Share of all samples that were idle (%). */
  readonly idle_pct: number;
  readonly top: readonly HotFunction[];
}

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name} (${basename(f.url)}:${f.lineNumber + 1})`;
}

/** The newest .cpuprofile in `dir`, summarised; null when there is none. */
export function summariseProfile(dir: string, top = 15): ProfileSummary | null {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const file = files[files.length - 1];
  if (file === undefined) return null;
  const path = join(dir, file);
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    if (n.callFrame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const key = label(n.callFrame);
    self.set(key, (self.get(key) ?? 0) + hits);
    total += hits;
  }
  const pct = (n: number, of: number): number => Math.round((n / Math.max(of, 1)) * 1000) / 10;
  const hottest = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    file: path,
    busy_samples: total,
    idle_pct: pct(idle, total + idle),
    top: hottest.map(([fn, hits]) => ({ fn, self_pct: pct(hits, total) })),
  };
}
