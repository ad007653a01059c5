/** What a store offers right after start: valid and invalid candidates, seeds, pending proofs. */
import { expect } from 'vitest';
import { sha256 } from '../../../src/ttp/index.js';
import { brokenYaml, failingYaml, ruleYaml, unprovenYaml } from './rules.js';
import { candidateOf, codes, type StoreCase } from './suite.js';

export const candidateCases: readonly StoreCase[] = [
  {
    name: 'offers each valid definition as a candidate, reporting no change for the initial load',
    needs: [],
    async run(h) {
      const texts = { L0001: ruleYaml('L0001'), L0002: ruleYaml('L0002', { version: 4 }) };
      const s = await h.open(texts);
      expect([...s.store.candidates().keys()].sort()).toEqual(['L0001', 'L0002']);
      for (const [id, text] of Object.entries(texts)) {
        const c = candidateOf(s.store.candidates(), id);
        expect(c.rule_id).toBe(id);
        expect(c.good?.rule.def.id).toBe(id);
        expect(c.good?.rule.source).toBe(s.store.source);
        expect(c.good?.yaml).toBe(text);
        expect(c.good?.content_sha256).toBe(sha256(text));
        expect(c.current).toMatchObject({ content_sha256: sha256(text), valid: true, pending: false });
      }
      expect(candidateOf(s.store.candidates(), 'L0002').good?.version).toBe(4);
      expect(s.changes).toEqual([]);
    },
  },
  {
    name: 'reports an invalid definition with its problems and no good definition',
    needs: [],
    async run(h) {
      const s = await h.open({ L0001: failingYaml('L0001'), L0002: brokenYaml('L0002') });
      const failing = candidateOf(s.store.candidates(), 'L0001');
      expect(failing.good).toBeNull();
      expect(failing.current).toMatchObject({ valid: false, pending: false, content_sha256: sha256(failingYaml('L0001')), version: 2 });
      expect(codes(failing)).toContain('test_failed');
      // Not even YAML: still reported under the rule's id (the file's stem, the row's key).
      const broken = candidateOf(s.store.candidates(), 'L0002');
      expect(broken.good).toBeNull();
      expect(broken.current.valid).toBe(false);
      expect(codes(broken)).toContain('yaml_syntax');
    },
  },
  {
    name: 'after a restart, restores the last good text from the seed when the current one is invalid',
    needs: [],
    async run(h) {
      const seed = new Map([
        ['L0001', ruleYaml('L0001')],
        ['L0002', ruleYaml('L0002')],
        ['L0003', ruleYaml('L0003')],
        ['L0004', failingYaml('L0004', 1)],
      ]);
      const s = await h.open({ L0001: failingYaml('L0001'), L0002: brokenYaml('L0002'), L0003: ruleYaml('L0003', { version: 2 }), L0004: failingYaml('L0004') }, { seed });
      for (const id of ['L0001', 'L0002']) {
        const c = candidateOf(s.store.candidates(), id);
        expect(c.good?.content_sha256).toBe(sha256(ruleYaml(id)));
        expect(c.good?.version).toBe(1);
        expect(c.current.valid).toBe(false);
      }
      // A valid current text wins over the seed; a seed that no longer validates restores nothing.
      expect(candidateOf(s.store.candidates(), 'L0003').good?.version).toBe(2);
      expect(candidateOf(s.store.candidates(), 'L0004').good).toBeNull();
      expect(s.changes).toEqual([]);
    },
  },
  {
    name: 'a definition waiting for a regex proof is pending, and valid once the proof lands',
    needs: [],
    async run(h) {
      const text = unprovenYaml('L0001');
      const s = await h.open({ L0001: text, L0002: ruleYaml('L0002') });
      const before = candidateOf(s.store.candidates(), 'L0001');
      expect(before.good).toBeNull();
      expect(before.current).toMatchObject({ valid: false, pending: true, content_sha256: sha256(text) });
      await expect.poll(() => s.prover.held).toBe(1);
      s.prover.release();
      await s.settle(['L0001']);
      const after = candidateOf(s.store.candidates(), 'L0001');
      expect(after.good?.content_sha256).toBe(sha256(text));
      expect(after.current).toMatchObject({ valid: true, pending: false });
      expect(s.changes).toEqual(['L0001']);
    },
  },
];
