/**
 * `decnet correlate --rebuild` (analysis.md §1.6, §0.2): from log id 0 it reproduces the
 * rows the incremental passes derived, ids included, and publishes and journals nothing;
 * stopped mid-way, the worker's next pass finishes the replay just as quietly.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../src/bus/index.js';
import { runRebuild } from '../../src/correlate/index.js';
import type { CaseContext } from './cases-profiles.js';
import { journalCounts, snapshotDerived } from './snapshot.js';
import { ingest, rig, settings, T0, type CredSpec, type LineSpec } from './support.js';

const IPS = ['198.51.100.23', '203.0.113.7', '2001:db8::7'];
const DECKIES = ['decky-01', 'decky-02', 'decnet-prober'];
const SERVICES = ['ssh', 'http', 'ftp'];
const TYPES = ['connect', 'request', 'login_attempt', 'command', 'command', 'unknown_packet', 'session_recorded', 'session_recorded', 'decky_mutated'];

const arbLine: fc.Arbitrary<LineSpec> = fc
  .record({ s: fc.integer({ min: 0, max: 600 }), ip: fc.constantFrom(...IPS), decky: fc.constantFrom(...DECKIES), service: fc.constantFrom(...SERVICES), type: fc.constantFrom(...TYPES), session: fc.constantFrom('a1', 'b2') })
  .map(({ s, ip, decky, service, type, session }): LineSpec => {
    if (type === 'decky_mutated') return { s, ip: null, decky, service: 'mutator', type, source: 'internal:mutator', fields: { decky, old_services: 'ssh', new_services: 'ssh,http', trigger: 'operator' } };
    if (type === 'command') return { s, ip, decky, service, type, fields: { command: `id #${s}`, session } };
    if (type === 'session_recorded') return { s, ip, decky, service, type, fields: { sid: session, session, duration_s: '300' } };
    return { s, ip, decky, service, type, fields: { session } };
  });

const arbCred: fc.Arbitrary<CredSpec> = fc.record({
  s: fc.integer({ min: 0, max: 600 }),
  ip: fc.constantFrom(...IPS),
  decky: fc.constantFrom(...DECKIES),
  service: fc.constantFrom(...SERVICES),
  principal: fc.constantFrom('root', 'root', 'admin'),
  secret: fc.constantFrom('toor', '123456'),
});

/** Ingest rounds, each folded by a pass with its own batch size, the clock moving between them. */
const arbMix = fc.record({
  rounds: fc.array(fc.record({ lines: fc.array(arbLine, { minLength: 4, maxLength: 20 }), creds: fc.array(arbCred, { minLength: 2, maxLength: 8 }), batch: fc.integer({ min: 1, max: 7 }), advanceS: fc.integer({ min: 0, max: 45 }) }), { minLength: 2, maxLength: 4 }),
  rebuildBatch: fc.integer({ min: 1, max: 9 }),
  /** Stop the rebuild after this many batches (the worker's pass finishes it). */
  stopAfter: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

export function rebuildCases(ctx: CaseContext): void {
  it('reproduces the incremental rows with their ids, whole or stopped mid-way and finished by the worker, publishing and journaling nothing', async () => {
    await fc.assert(
      fc.asyncProperty(arbMix, async (mix) => {
        const clock = new FakeClock(T0 + 3_600_000);
        // behaviour at every batch: with an interval its value depends on when passes ran
        const r = await rig(await ctx.fresh(clock), clock, { DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS: '0' });
        try {
          for (const round of mix.rounds) {
            await ingest(r.db, round.lines, round.creds);
            clock.advance(round.advanceS * 1000);
            await r.pass({ DECNET_ANALYSIS_BATCH: String(round.batch) });
          }
          clock.advance(60_000);
          await r.pass(); // coalesced attacker.scored goes out: nothing is left to say
          const before = await snapshotDerived(r.db);
          const journal = await journalCounts(r.db);
          const published = r.rec.events.length;

          clock.advance(5_000);
          const stop = new AbortController();
          let batches = 0;
          const onBatch = (): void => {
            if (++batches === mix.stopAfter) stop.abort();
          };
          const result = await runRebuild({ db: r.db, settings: settings({ DECNET_ANALYSIS_BATCH: String(mix.rebuildBatch) }), log: silentLogger, clock, signal: stop.signal, onBatch });
          await r.rec.settle();
          expect(r.rec.events).toHaveLength(published);
          if (!result.complete) {
            const finish = await r.pass();
            expect(finish).toMatchObject({ observed: 0, scored: 0, findings: 0, attackersCreated: 0 });
          }
          expect(result.attackers).toBe(before.attackers.length);
          expect(await snapshotDerived(r.db)).toEqual(before);
          expect(await journalCounts(r.db)).toEqual(journal);
          // nothing re-fires afterwards either: attacker.observed, scored or reuse
          expect(await r.pass()).toMatchObject({ logRows: 0, credentialRows: 0, observed: 0, scored: 0, findings: 0 });
          expect(r.rec.events).toHaveLength(published);
        } finally {
          await r.close();
        }
      }),
      { numRuns: 10 },
    );
  }, 120_000);

  it('rewrites what a rebuild finds stale, keeping ids, and folds rows after its window as new ones, announced', async () => {
    const clock = new FakeClock(T0 + 3_600_000);
    const r = await rig(await ctx.fresh(clock), clock);
    await ingest(r.db, [{ s: 1 }, { s: 2, decky: 'decky-02' }], [{ s: 3, secret: 'toor' }, { s: 4, secret: 'toor', decky: 'decky-02' }]);
    await r.pass();
    const before = await snapshotDerived(r.db);
    const id = before.attackers[0]?.id;
    // damage the derived rows, and ingest a new address the worker has not folded yet
    await r.db.kysely.updateTable('attackers').set({ event_count: 99, traversal_path: 'nowhere' }).execute();
    await r.db.kysely.deleteFrom('attacker_targets').execute();
    await ingest(r.db, [{ s: 5, ip: '203.0.113.7' }]);
    const published = r.rec.events.length;
    const result = await runRebuild({ db: r.db, settings: settings(), log: silentLogger, clock });
    expect(result).toMatchObject({ complete: true, attackers: 1, reuse_findings: 1, log_rows: 4, credential_rows: 2 });
    await r.rec.settle();
    expect(r.rec.events).toHaveLength(published);
    const after = await snapshotDerived(r.db);
    expect(after.attackers).toEqual(before.attackers);
    expect(after.attacker_targets).toEqual(before.attacker_targets);
    expect(after.credential_reuse).toEqual(before.credential_reuse);
    expect(after.attackers[0]?.id).toBe(id);
    // the row after the window is the worker's: folded and announced once
    await r.pass();
    expect(r.rec.of('attacker.observed').map((o) => o.attacker_ip)).toEqual(['198.51.100.23', '203.0.113.7']);
    await r.close();
  });
}
