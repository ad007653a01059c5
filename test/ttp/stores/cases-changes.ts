/** Changes after start: edits, invalid edits, deletions, several rules at once, pending edits. */
import { expect } from 'vitest';
import { sha256 } from '../../../src/ttp/index.js';
import { brokenYaml, failingYaml, ruleYaml, unprovenYaml } from './rules.js';
import { candidateOf, codes, type StoreCase } from './suite.js';

export const changeCases: readonly StoreCase[] = [
  {
    name: 'an edit gives one change and a new candidate',
    needs: ['write'],
    async run(h) {
      const s = await h.open({ L0001: ruleYaml('L0001'), L0002: ruleYaml('L0002') });
      await s.write('L0001', ruleYaml('L0001', { version: 2 }));
      await s.settle(['L0001']);
      expect(s.changes).toEqual(['L0001']);
      const c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.good?.version).toBe(2);
      expect(c.current).toMatchObject({ valid: true, content_sha256: sha256(ruleYaml('L0001', { version: 2 })) });
    },
  },
  {
    name: 'an invalid edit keeps the last good candidate and records the problems',
    needs: ['write'],
    async run(h) {
      const good = ruleYaml('L0001');
      const s = await h.open({ L0001: good });
      await s.write('L0001', failingYaml('L0001'));
      await s.settle(['L0001']);
      let c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.good?.content_sha256).toBe(sha256(good));
      expect(c.current).toMatchObject({ valid: false, content_sha256: sha256(failingYaml('L0001')) });
      expect(codes(c)).toContain('test_failed');
      // A text that is not even YAML stays the same rule's (its file or row says which).
      await s.write('L0001', brokenYaml('L0001'));
      await s.settle(['L0001']);
      c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.good?.content_sha256).toBe(sha256(good));
      expect(codes(c)).toContain('yaml_syntax');
      expect(s.changes).toEqual(['L0001', 'L0001']);
    },
  },
  {
    name: 'deleting a definition removes its candidate',
    needs: ['write'],
    async run(h) {
      const s = await h.open({ L0001: ruleYaml('L0001'), L0002: ruleYaml('L0002') });
      await s.remove('L0001');
      await s.settle(['L0001']);
      expect(s.store.candidates().has('L0001')).toBe(false);
      expect(s.store.candidates().has('L0002')).toBe(true);
      expect(s.changes).toEqual(['L0001']);
    },
  },
  {
    name: 'three rules changed give three changes, one per rule',
    needs: ['write'],
    async run(h) {
      const ids = ['L0001', 'L0002', 'L0003'];
      const s = await h.open(Object.fromEntries(ids.map((id) => [id, ruleYaml(id)])));
      for (const id of ids) await s.write(id, ruleYaml(id, { version: 2 }));
      await s.settle(ids);
      expect([...s.changes].sort()).toEqual(ids);
      for (const id of ids) expect(candidateOf(s.store.candidates(), id).good?.version).toBe(2);
    },
  },
  {
    name: 'rewriting the same text is no change',
    needs: ['write'],
    async run(h) {
      const s = await h.open({ L0001: ruleYaml('L0001'), L0002: ruleYaml('L0002') });
      await s.write('L0001', ruleYaml('L0001'));
      await s.write('L0002', ruleYaml('L0002', { version: 2 }));
      await s.settle(['L0002']);
      expect(s.changes).toEqual(['L0002']);
    },
  },
  {
    name: 'an edit waiting for a regex proof keeps the last good candidate until the proof lands',
    needs: ['write'],
    async run(h) {
      const s = await h.open({ L0001: ruleYaml('L0001') });
      const next = unprovenYaml('L0001', 2);
      await s.write('L0001', next);
      await s.settle(['L0001']);
      let c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.current).toMatchObject({ pending: true, valid: false, content_sha256: sha256(next) });
      expect(c.good?.version).toBe(1);
      s.prover.release();
      await s.settle(['L0001']);
      c = candidateOf(s.store.candidates(), 'L0001');
      expect(c.good?.content_sha256).toBe(sha256(next));
      expect(c.current).toMatchObject({ pending: false, valid: true });
      expect(s.changes).toEqual(['L0001', 'L0001']);
    },
  },
];
