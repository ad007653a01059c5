/**
 * Operators' rule states in the running worker (ttp.md §5.4, §7.4): a setting written to
 * `ttp_rule_states` is picked up by the worker's state poll; `disabled` stops a rule,
 * `clipped` caps its confidence and never raises it; an expiring setting is deleted by
 * `DELETE … WHERE rule_id = ? AND expires_at = ?` and announced once, journaled, as an
 * `auto_revert`; a newer setting survives that delete; of two workers only the one whose
 * delete removed the row publishes. Run on both dialects from cases.ts.
 */
import { expect, it, vi } from 'vitest';
import { FakeClock, isoFromEpochMs, type BusEvent } from '../../../src/bus/index.js';
import type { Db, RuleStateRow, TtpTagRow } from '../../../src/db/index.js';
import { commandRow, DAY, until, type RunningWorker, type WorkerHarness } from './support.js';

const POLL = { DECNET_TTP_DB_POLL_MS: '100' };
const SHADOW = 'cat /etc/shadow'; // R0014, T1003.008, confidence 0.95
const UNAME = 'uname -a'; // R0018, T1082, confidence 0.7

function setting(rule_id: string, over: Partial<RuleStateRow> = {}): RuleStateRow {
  return { rule_id, state: 'disabled', confidence_max: null, expires_at: null, reason: 'test', set_by: 'admin', set_at: isoFromEpochMs(DAY), ...over };
}

async function setStates(db: Db, rows: readonly RuleStateRow[]): Promise<void> {
  await db.write(async (tx) => {
    for (const row of rows) await db.repos.ttpRules.setState(tx, row);
  });
}

async function tagsOf(h: WorkerHarness, ip: string): Promise<TtpTagRow[]> {
  return (await h.db.repos.ttpTags.list({ attacker_ip: ip }, { limit: 100, offset: 0 })).tags.sort((a, b) => a.rule_id.localeCompare(b.rule_id));
}

/** Writes both commands from `ip` and waits for the worker to have read them; returns that address's tags. */
async function actFrom(h: WorkerHarness, run: RunningWorker, ip: string, ms: number): Promise<TtpTagRow[]> {
  await h.insertLogs([commandRow(SHADOW, ip, ms), commandRow(UNAME, ip, ms + 1000)]);
  await run.caughtUp();
  return tagsOf(h, ip);
}

/** Waits until the worker runs `count` rules (a `disabled` setting without expiry leaves the index). */
async function untilRulesActive(run: RunningWorker, count: number): Promise<void> {
  await until(async () => {
    await run.nudge(); // the counters are refreshed after each pass
    return run.counters.rules_active === count;
  }, `rules_active to reach ${count}`);
}

const reverts = (events: readonly BusEvent[], ruleId: string): BusEvent[] => events.filter((e) => e.topic === `ttp.rule.state.${ruleId}`);

/** Moves the fake clock in 100 ms steps until `check` holds (each step may fire the state poll). */
async function advanceUntil(clock: FakeClock, check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  await until(async () => {
    clock.advance(100);
    return check();
  }, what);
}

export function stateCases(fresh: () => Promise<WorkerHarness>): void {
  it('a rule disabled in ttp_rule_states stops tagging once the worker polls the states', async () => {
    const w = await fresh();
    const run = w.start(POLL);
    expect((await actFrom(w, run, '192.0.2.10', DAY)).map((t) => t.rule_id)).toEqual(['R0014', 'R0018']);
    const active = run.counters.rules_active;
    await setStates(w.db, [setting('R0014')]);
    await untilRulesActive(run, active - 1);
    expect((await actFrom(w, run, '192.0.2.11', DAY + 10_000)).map((t) => t.rule_id)).toEqual(['R0018']);
    await run.stop();
  });

  it('clipped caps the emitted confidence at confidence_max and never raises it', async () => {
    const w = await fresh();
    const run = w.start(POLL);
    const before = await actFrom(w, run, '192.0.2.20', DAY);
    expect(before.map((t) => [t.rule_id, t.confidence])).toEqual([
      ['R0014', 0.95],
      ['R0018', 0.7],
    ]);
    const active = run.counters.rules_active;
    // R0001 disabled in the same transaction only tells us when the worker has read the settings
    await setStates(w.db, [setting('R0014', { state: 'clipped', confidence_max: 0.5 }), setting('R0018', { state: 'clipped', confidence_max: 0.9 }), setting('R0001')]);
    await untilRulesActive(run, active - 1);
    const after = await actFrom(w, run, '192.0.2.21', DAY + 10_000);
    expect(after.map((t) => [t.rule_id, t.confidence])).toEqual([
      ['R0014', 0.5],
      ['R0018', 0.7],
    ]);
    await run.stop();
  });

  it('an expiring setting reverts by itself: one journaled ttp.rule.state auto_revert, then the rule runs unclipped', async () => {
    const w = await fresh();
    const clock = new FakeClock(DAY);
    const run = w.start(POLL, { clock });
    await run.caughtUp();
    const polls = vi.spyOn(w.db.repos.ttpRules, 'listStates');
    const expiresAt = DAY + 30_000;
    await setStates(w.db, [setting('R0014', { state: 'clipped', confidence_max: 0.5, expires_at: isoFromEpochMs(expiresAt) })]);
    // two whole polls after the write (each reads the states twice): the clip is in force
    const seen = polls.mock.calls.length;
    await advanceUntil(clock, () => polls.mock.calls.length >= seen + 4, 'two state polls');
    expect(clock.now()).toBeLessThan(expiresAt);
    expect((await actFrom(w, run, '192.0.2.30', DAY)).map((t) => [t.rule_id, t.confidence])).toEqual([
      ['R0014', 0.5],
      ['R0018', 0.7],
    ]);
    clock.advance(expiresAt - clock.now());
    await advanceUntil(clock, () => reverts(w.events, 'R0014').length > 0, 'the automatic revert');
    const [event] = reverts(w.events, 'R0014');
    expect(event).toMatchObject({ type: 'rule.state', payload: { rule_id: 'R0014', state: 'enabled', previous_state: 'clipped', auto_revert: true, set_by: 'system' } });
    const setAt = Date.parse((event?.payload as { set_at: string }).set_at);
    expect(setAt).toBeGreaterThanOrEqual(expiresAt);
    expect(setAt).toBeLessThanOrEqual(clock.now());
    const journal = await w.db.repos.journal.readAfter(0, { patterns: ['ttp.rule.state.*'], limit: 10 });
    expect(journal.map((j) => [j.id, j.topic, j.payload])).toEqual([[event?.id, 'ttp.rule.state.R0014', event?.payload]]);
    expect(await w.db.repos.ttpRules.getState('R0014')).toBeUndefined();
    // later polls find nothing to revert
    const after = polls.mock.calls.length;
    await advanceUntil(clock, () => polls.mock.calls.length >= after + 6, 'three more state polls');
    expect(reverts(w.events, 'R0014')).toHaveLength(1);
    expect((await actFrom(w, run, '192.0.2.31', clock.now())).map((t) => [t.rule_id, t.confidence])).toEqual([
      ['R0014', 0.95],
      ['R0018', 0.7],
    ]);
    await run.stop();
  });

  it('a newer setting written before the expired one is deleted survives the conditional delete, and reverts at its own expiry', async () => {
    const w = await fresh();
    const clock = new FakeClock(DAY);
    const run = w.start(POLL, { clock });
    await run.caughtUp();
    const old = setting('R0014', { state: 'clipped', confidence_max: 0.5, expires_at: isoFromEpochMs(DAY + 1000) });
    const newer = setting('R0014', { state: 'clipped', confidence_max: 0.4, expires_at: isoFromEpochMs(DAY + 60_000), set_at: isoFromEpochMs(DAY + 900) });
    const rules = w.db.repos.ttpRules;
    const deleteExpired = rules.deleteExpiredState.bind(rules);
    const polls = vi.spyOn(rules, 'listStates');
    const attempts: [string, boolean][] = [];
    let pollsAtAttempt = 0;
    vi.spyOn(rules, 'deleteExpiredState').mockImplementation(async (tx, ruleId, expiresAt) => {
      // the operator's new setting lands after the worker read the expired one, before its delete runs
      if (attempts.length === 0) {
        pollsAtAttempt = polls.mock.calls.length;
        await rules.setState(tx, newer);
      }
      const deleted = await deleteExpired(tx, ruleId, expiresAt);
      attempts.push([expiresAt, deleted]);
      return deleted;
    });
    await setStates(w.db, [old]);
    await advanceUntil(clock, () => attempts.length > 0, 'the worker to try deleting the expired setting');
    // the next poll has started, so the one that tried the delete has ended (and re-read the states)
    await advanceUntil(clock, () => polls.mock.calls.length >= pollsAtAttempt + 2, 'the next state poll');
    expect(attempts).toEqual([[old.expires_at, false]]);
    expect(await rules.getState('R0014')).toEqual(newer);
    expect(reverts(w.events, 'R0014')).toEqual([]);
    expect(await w.db.repos.journal.readAfter(0, { patterns: ['ttp.rule.state.*'], limit: 10 })).toEqual([]);
    // the newer setting is in force, and reverts (once) when its own time comes
    expect((await actFrom(w, run, '192.0.2.40', DAY)).map((t) => [t.rule_id, t.confidence])).toEqual([
      ['R0014', 0.4],
      ['R0018', 0.7],
    ]);
    clock.advance(60_000);
    await advanceUntil(clock, () => reverts(w.events, 'R0014').length > 0, 'the newer setting’s revert');
    expect(attempts).toEqual([
      [old.expires_at, false],
      [newer.expires_at, true],
    ]);
    expect(reverts(w.events, 'R0014').map((e) => e.payload)).toEqual([expect.objectContaining({ state: 'enabled', previous_state: 'clipped', auto_revert: true, set_by: 'system' })]);
    expect(await rules.getState('R0014')).toBeUndefined();
    await run.stop();
  });

  it('of two workers on one database, only the one whose delete removed the expired row publishes the revert', async () => {
    const w = await fresh();
    const clock = new FakeClock(DAY + 10_000);
    const handles = [await w.open(), await w.open()];
    const runs = handles.map((db, i) => w.start(POLL, { clock, db, instance: `test:${i + 1}` }));
    for (const run of runs) await run.caughtUp();
    // The clock has not moved since the workers started, so neither has polled yet. The
    // setting is already expired; each worker's next poll is held until both have read it,
    // so both try the delete.
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((r) => (release = r));
    const results: boolean[] = [];
    for (const db of handles) {
      const rules = db.repos.ttpRules;
      const listStates = rules.listStates.bind(rules);
      const deleteExpired = rules.deleteExpiredState.bind(rules);
      let held = false;
      vi.spyOn(rules, 'listStates').mockImplementation(async (tx) => {
        const rows = await listStates(tx);
        if (!held && rows.some((r) => r.rule_id === 'R0014')) {
          held = true;
          if (++arrived === handles.length) release();
          await bothRead;
        }
        return rows;
      });
      vi.spyOn(rules, 'deleteExpiredState').mockImplementation(async (tx, ruleId, expiresAt) => {
        const deleted = await deleteExpired(tx, ruleId, expiresAt);
        results.push(deleted);
        return deleted;
      });
    }
    await setStates(w.db, [setting('R0014', { state: 'disabled', expires_at: isoFromEpochMs(DAY + 1000) })]);
    clock.advance(100);
    await until(() => results.length === handles.length, 'both workers to try the delete');
    await until(() => reverts(w.events, 'R0014').length > 0, 'the revert');
    expect(results.sort()).toEqual([false, true]);
    expect(reverts(w.events, 'R0014')).toHaveLength(1);
    expect(reverts(w.events, 'R0014')[0]?.payload).toMatchObject({ state: 'enabled', previous_state: 'disabled', auto_revert: true, set_by: 'system' });
    expect(await w.db.repos.journal.readAfter(0, { patterns: ['ttp.rule.state.*'], limit: 10 })).toHaveLength(1);
    for (const run of runs) await run.stop();
  });
}
