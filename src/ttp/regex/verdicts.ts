/**
 * The regex verdict cache (ttp.md §3.3): `safe` verdicts keyed by SHA-256 of
 * `flags + "\0" + pattern`, kept with the checker that gave them, per recheck version (a
 * file written by another version is ignored as a whole). The pack's committed file
 * (`rules/ttp/regex-verdicts.json`) is read-only; new proofs go to the writable layer
 * (`$DECNET_HOME/cache/ttp-regex-verdicts.json`). Only `safe` is ever cached.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CachedVerdict {
  readonly checker: string;
  readonly pattern: string;
  readonly flags: string;
}

interface VerdictFile {
  recheck: string;
  verdicts: Record<string, CachedVerdict>;
}

export function verdictKey(pattern: string, flags: string): string {
  return createHash('sha256').update(`${flags}\0${pattern}`, 'utf8').digest('hex');
}

/** Flags in canonical order, so `si` and `is` share a key. */
export function canonicalFlags(flags: string): string {
  return [...new Set(flags)].filter((f) => f !== 'u').sort().join('');
}

export class VerdictCache {
  private readonly layers: Map<string, CachedVerdict>[] = [];
  private readonly writable = new Map<string, CachedVerdict>();
  private dirty = false;

  /**
   * @param files read-only layers (the pack's file first)
   * @param writeFile where new verdicts are saved, or null to keep them in memory only
   */
  constructor(
    readonly recheck: string,
    files: readonly string[] = [],
    private readonly writeFile: string | null = null,
  ) {
    for (const f of files) this.layers.push(this.read(f));
    if (writeFile !== null) for (const [k, v] of this.read(writeFile)) this.writable.set(k, v);
  }

  private read(file: string): Map<string, CachedVerdict> {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<VerdictFile>;
      if (parsed.recheck !== this.recheck || typeof parsed.verdicts !== 'object' || parsed.verdicts === null) return new Map();
      return new Map(Object.entries(parsed.verdicts));
    } catch {
      return new Map();
    }
  }

  get(pattern: string, flags: string): CachedVerdict | undefined {
    const key = verdictKey(pattern, canonicalFlags(flags));
    for (const layer of this.layers) {
      const v = layer.get(key);
      if (v) return v;
    }
    return this.writable.get(key);
  }

  put(pattern: string, flags: string, checker: string): void {
    const f = canonicalFlags(flags);
    this.writable.set(verdictKey(pattern, f), { checker, pattern, flags: f });
    this.dirty = true;
  }

  /** Every verdict held (all layers), for writing a pack file. */
  entries(): Map<string, CachedVerdict> {
    const all = new Map<string, CachedVerdict>();
    for (const layer of [...this.layers, this.writable]) for (const [k, v] of layer) all.set(k, v);
    return all;
  }

  /** Writes the writable layer (atomically) when it changed. */
  save(): void {
    if (!this.dirty || this.writeFile === null) return;
    writeVerdictFile(this.writeFile, this.recheck, this.writable);
    this.dirty = false;
  }
}

export function writeVerdictFile(file: string, recheck: string, verdicts: ReadonlyMap<string, CachedVerdict>): void {
  const sorted = Object.fromEntries([...verdicts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ recheck, verdicts: sorted }, null, 1)}\n`);
  renameSync(tmp, file);
}
