/**
 * Regex safety for rules: portability (syntax.ts), ReDoS proofs (prover.ts) behind the
 * verdict cache (verdicts.ts), literal prefilters (prefilter.ts), and the V8 backtrack
 * fallback the CLI sets before any rule regex is compiled (§3.3, defence in depth).
 */
import { setFlagsFromString } from 'node:v8';
import { canonicalFlags, VerdictCache } from './verdicts.js';
import { RecheckProver, recheckVersion, type ProofVerdict, type RegexProver } from './prover.js';

export { parsePortableRegex, maxAlternation, badFlags, type RNode, type RegexIssue, type RegexIssueCode } from './syntax.js';
export { requiredLiterals, foldForPrefilter } from './prefilter.js';
export { VerdictCache, verdictKey, canonicalFlags, writeVerdictFile, type CachedVerdict } from './verdicts.js';
export { RecheckProver, recheckVersion, DEFAULT_PROOF_TIMEOUT_MS, type ProofVerdict, type RegexProver } from './prover.js';

/** Proofs with a cache in front: what the validator asks. */
export class RegexSafety {
  /** Proofs actually run (not served from the cache). */
  proofs = 0;

  constructor(
    readonly cache: VerdictCache,
    private readonly prover: RegexProver = new RecheckProver(),
    /** false for `lint --no-cache`: re-prove every pattern (and refresh the cache). */
    private readonly useCache = true,
  ) {}

  /** The cached verdict only (synchronous): true when known safe. */
  isCachedSafe(pattern: string, flags: string): boolean {
    return this.useCache && this.cache.get(pattern, flags) !== undefined;
  }

  async check(pattern: string, flags: string): Promise<ProofVerdict> {
    const f = canonicalFlags(flags);
    const hit = this.useCache ? this.cache.get(pattern, f) : undefined;
    if (hit) return { status: 'safe', checker: hit.checker };
    this.proofs++;
    const verdict = await this.prover.prove(pattern, f);
    if (verdict.status === 'safe') this.cache.put(pattern, f, verdict.checker);
    return verdict;
  }
}

/** A RegexSafety with the given cache files and no persistence (tests, eval). */
export function memoryRegexSafety(files: readonly string[] = [], prover?: RegexProver): RegexSafety {
  return new RegexSafety(new VerdictCache(recheckVersion(), files, null), prover);
}

export const BACKTRACK_FALLBACK_FLAG = '--enable-experimental-regexp-engine-on-excessive-backtracks';
let fallbackEnabled = false;

/**
 * Sets V8's linear-engine fallback for excessive backtracking. Must run before any rule
 * regex is compiled (V8 reads the flag at compile time); the CLI calls it first thing.
 * On Node 20 (V8 11.3) the fallback does not cover `u` or `i` patterns — the proofs and the
 * 4096-character cap carry the load there.
 */
export function enableBacktrackFallback(): void {
  if (fallbackEnabled) return;
  setFlagsFromString(BACKTRACK_FALLBACK_FLAG);
  fallbackEnabled = true;
}

export function backtrackFallbackEnabled(): boolean {
  return fallbackEnabled;
}
