/**
 * The store conformance suite (ttp.md §5.1, §13 "Stores"): the same cases against every
 * store. A case names the capabilities it needs; a store without one (builtin cannot be
 * written after start) does not get that case.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Candidate } from '../../../src/ttp/stores/index.js';
import { candidateCases } from './cases-candidates.js';
import { changeCases } from './cases-changes.js';
import type { StoreCapabilities, StoreHarness } from './harness.js';

export interface StoreCase {
  readonly name: string;
  readonly needs: readonly (keyof StoreCapabilities)[];
  run(h: StoreHarness): Promise<void>;
}

/** The candidate of `ruleId`, which must exist. */
export function candidateOf(candidates: ReadonlyMap<string, Candidate>, ruleId: string): Candidate {
  const c = candidates.get(ruleId);
  expect(c, `a candidate for ${ruleId}`).toBeDefined();
  return c as Candidate;
}

export function codes(c: Candidate): string[] {
  return c.current.problems.map((p) => p.code);
}

export function runStoreConformance(h: StoreHarness, hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {}): void {
  describe(`store conformance: ${h.name}`, () => {
    if (hooks.before) beforeAll(hooks.before);
    if (hooks.after) afterAll(hooks.after);
    afterEach(() => h.closeAll());
    for (const c of [...candidateCases, ...changeCases]) if (c.needs.every((n) => h.capabilities[n])) it(c.name, () => c.run(h));
  });
}
