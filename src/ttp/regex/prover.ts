/**
 * ReDoS proofs with recheck (ttp.md §3.3, CORRECTIONS #9.6): its `auto` checker decides —
 * `safe` (by automaton or by fuzzing) is accepted, `vulnerable` of any degree is `redos`,
 * `unknown` (timeout, unsupported) is `redos_unproven`. The native backend runs as a child
 * process; when it cannot start, the worker-thread backend takes over. Proofs run one at a
 * time: a queue, so a lint of many new patterns never floods the machine.
 *
 * Patterns are checked with the flags they run with (`flags + "u"`).
 */
import { createRequire } from 'node:module';

export type ProofVerdict =
  | { readonly status: 'safe'; readonly checker: string }
  | { readonly status: 'vulnerable'; readonly checker: string; readonly complexity: string; readonly attack: string | null }
  | { readonly status: 'unknown'; readonly reason: string };

export interface RegexProver {
  prove(pattern: string, flags: string): Promise<ProofVerdict>;
}

interface RecheckDiagnostics {
  status: 'safe' | 'vulnerable' | 'unknown';
  checker?: string;
  complexity?: { type: string; degree?: number; summary?: string };
  attack?: { pattern?: string; string?: string };
  error?: { kind: string; message?: string };
}
interface RecheckModule {
  check(source: string, flags: string, params?: Record<string, unknown>): Promise<RecheckDiagnostics>;
}

const require = createRequire(import.meta.url);

/** recheck's version, part of every cache key: a new checker may judge differently. */
export function recheckVersion(): string {
  return (require('recheck/package.json') as { version: string }).version;
}

export const DEFAULT_PROOF_TIMEOUT_MS = 10_000;

function toVerdict(d: RecheckDiagnostics): ProofVerdict {
  if (d.status === 'safe') return { status: 'safe', checker: d.checker ?? 'auto' };
  if (d.status === 'vulnerable') {
    const c = d.complexity;
    const complexity = c?.type === 'polynomial' ? `${c.degree ?? '?'}th-degree polynomial` : (c?.type ?? 'super-linear');
    return { status: 'vulnerable', checker: d.checker ?? 'auto', complexity, attack: d.attack?.pattern ?? null };
  }
  return { status: 'unknown', reason: d.error ? `${d.error.kind}${d.error.message ? `: ${d.error.message}` : ''}` : 'unknown' };
}

/**
 * The recheck prover. recheck reads its backend from `RECHECK_BACKEND` at every call, so
 * the queue sets it around each proof: `native` first, `worker` after a native failure.
 */
export class RecheckProver implements RegexProver {
  private backend: 'native' | 'worker' = 'native';
  private tail: Promise<unknown> = Promise.resolve();
  private mod: RecheckModule | null = null;

  constructor(private readonly timeoutMs = DEFAULT_PROOF_TIMEOUT_MS) {}

  /** Which backend the next proof uses (for tests and the lint summary). */
  get currentBackend(): string {
    return this.backend;
  }

  prove(pattern: string, flags: string): Promise<ProofVerdict> {
    const run = this.tail.then(() => this.proveNow(pattern, flags));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async proveNow(pattern: string, flags: string): Promise<ProofVerdict> {
    this.mod ??= require('recheck') as RecheckModule;
    const params = { timeout: this.timeoutMs, checker: 'auto' };
    const u = flags.includes('u') ? flags : `${flags}u`;
    const previous = process.env.RECHECK_BACKEND;
    try {
      process.env.RECHECK_BACKEND = this.backend;
      try {
        return toVerdict(await this.mod.check(pattern, u, params));
      } catch (err) {
        if (this.backend !== 'native') throw err;
        this.backend = 'worker';
        process.env.RECHECK_BACKEND = 'worker';
        return toVerdict(await this.mod.check(pattern, u, params));
      }
    } catch (err) {
      return { status: 'unknown', reason: err instanceof Error ? err.message : String(err) };
    } finally {
      if (previous === undefined) delete process.env.RECHECK_BACKEND;
      else process.env.RECHECK_BACKEND = previous;
    }
  }
}
