/**
 * The database store beyond the conformance suite (ttp.md §5.2): its poll timer, a failed
 * poll, and a hand-edited row whose text names another rule. Real SQLite, a fake clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/bus/index.js';
import type { Db } from '../../../src/db/index.js';
import type { TtpRulesRepo } from '../../../src/db/repositories/ttp-types.js';
import { sha256 } from '../../../src/ttp/index.js';
import { DatabaseStore } from '../../../src/ttp/stores/index.js';
import { sqliteHarness, type DbHarness } from '../../conformance/db/harness.js';
import { until } from './harness.js';
import { ruleYaml, testValidator } from './rules.js';
import { candidateOf } from './suite.js';

let harness: DbHarness;
let db: Db;

beforeAll(async () => {
  const h = await sqliteHarness();
  if (!('harness' in h)) throw new Error('no SQLite harness');
  harness = h.harness;
  db = await harness.main.open();
});
afterAll(async () => {
  await db.close();
  await harness.dispose();
});
beforeEach(async () => {
  await db.write(async (tx) => void (await tx.db.deleteFrom('ttp_rules').execute()));
});

function put(ruleId: string, yaml: string): Promise<unknown> {
  return db.write((tx) => db.repos.ttpRules.putRule(tx, { rule_id: ruleId, yaml, content_sha256: sha256(yaml), updated_by: 'test' }));
}

async function started(repo: Pick<TtpRulesRepo, 'hashes' | 'getRules'>, clock: FakeClock): Promise<{ store: DatabaseStore; changes: string[]; stop: () => void }> {
  const store = new DatabaseStore(repo, { validator: testValidator(), clock, pollMs: 1000 });
  const changes: string[] = [];
  store.onChange((id) => changes.push(id));
  const ac = new AbortController();
  await store.start(ac.signal);
  return { store, changes, stop: () => ac.abort() };
}

describe('database store', () => {
  it('polls every pollMs', async () => {
    const clock = new FakeClock();
    const { store, changes, stop } = await started(db.repos.ttpRules, clock);
    try {
      await put('L0001', ruleYaml('L0001'));
      await until(() => {
        clock.advance(1000);
        return changes.length === 1;
      }, 'the poll');
      expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(1);
    } finally {
      stop();
    }
  });

  it('keeps its candidates when a poll fails, and catches up on the next', async () => {
    const clock = new FakeClock();
    await put('L0001', ruleYaml('L0001'));
    let failing = false;
    const repo: Pick<TtpRulesRepo, 'hashes' | 'getRules'> = {
      hashes: () => (failing ? Promise.reject(new Error('database unavailable')) : db.repos.ttpRules.hashes()),
      getRules: (ids) => db.repos.ttpRules.getRules(ids),
    };
    const { store, changes, stop } = await started(repo, clock);
    try {
      failing = true;
      await expect(store.poll()).rejects.toThrow('database unavailable');
      expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(1);
      failing = false;
      await put('L0001', ruleYaml('L0001', { version: 2 }));
      await store.poll();
      expect(changes).toEqual(['L0001']);
      expect(candidateOf(store.candidates(), 'L0001').good?.version).toBe(2);
    } finally {
      stop();
    }
  });

  it('a row whose text names another rule is invalid under the row’s id', async () => {
    await put('L0001', ruleYaml('L0002'));
    const { store, stop } = await started(db.repos.ttpRules, new FakeClock());
    try {
      const c = candidateOf(store.candidates(), 'L0001');
      expect(c.good).toBeNull();
      expect(c.current.valid).toBe(false);
      expect(c.current.problems.map((p) => p.code)).toContain('bad_id');
      expect(store.candidates().has('L0002')).toBe(false);
    } finally {
      stop();
    }
  });
});
