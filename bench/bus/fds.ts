/**
 * File descriptors: the memory test holds 1,000 connections in one worker and as many
 * in the broker. Children inherit our limit, so the shell's `ulimit -n` tells whether
 * that fits; failing up front with a clear message beats an EMFILE halfway through.
 */
import { execFileSync } from 'node:child_process';

/** The soft limit on open files, or null when it cannot be read (no shell) or is unlimited. */
export function openFileLimit(): number | null {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    const n = Number(out);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** Throws when the limit is known and below `needed`. */
export function requireOpenFiles(needed: number): void {
  const limit = openFileLimit();
  if (limit !== null && limit < needed) {
    throw new Error(`ulimit -n is ${limit}; bench:bus needs at least ${needed.toLocaleString('en-US')} open files (1,000 idle clients in one process and in the broker). Raise it, e.g. \`ulimit -n 4096\`, and run again.`);
  }
}
