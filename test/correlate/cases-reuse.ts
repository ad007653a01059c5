/**
 * Credential reuse (analysis.md §3): thresholds, keys, growth, no re-fire, journal and
 * finding together; findings grown batch by batch agree with a recount of `credentials`,
 * their capped lists included.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { REUSE_LIST_MAX } from '../../src/correlate/index.js';
import { fromDbInt, isoFromDb, type Db } from '../../src/db/index.js';
import { ingest, rig, sha, T0, at, type CredSpec, type Rig } from './support.js';
import type { CaseContext } from './cases-profiles.js';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortedCapped = (values: Iterable<string>): { list: string[]; cut: boolean } => {
  const all = [...new Set(values)].sort(byText);
  return { list: all.slice(0, REUSE_LIST_MAX), cut: all.length > REUSE_LIST_MAX };
};

/** What each qualifying key's finding and event should state, recounted from every credential row. */
async function recount(db: Db, minTargets: number, across: boolean) {
  const rows = await db.kysely.selectFrom('credentials').selectAll().execute();
  const keys = new Map<string, typeof rows>();
  for (const r of rows) {
    if (r.decky.startsWith('decnet-')) continue;
    const key = `${r.secret_sha256}/${r.secret_kind}/${across ? '*' : r.principal}`;
    keys.set(key, [...(keys.get(key) ?? []), r]);
  }
  const out = new Map<string, { attackerCount: number; event: Record<string, unknown> & { target_count: number; first_seen: string; last_seen: string } }>();
  for (const [key, mine] of keys) {
    const targets = [...new Map(mine.map((r) => [`${r.decky}\u0000${r.service}`, { decky: r.decky, service: r.service }])).values()].sort((a, b) => byText(a.decky, b.decky) || byText(a.service, b.service));
    if (targets.length < minTargets) continue;
    const ips = sortedCapped(mine.map((r) => r.attacker_ip));
    const uuids = sortedCapped(mine.flatMap((r) => (r.attacker_id === null ? [] : [r.attacker_id])));
    const deckies = sortedCapped(targets.map((t) => t.decky));
    const services = sortedCapped(targets.map((t) => t.service));
    const attackerCount = new Set(mine.map((r) => r.attacker_ip)).size;
    out.set(key, {
      attackerCount,
      event: {
      target_count: targets.length,
      attempt_count: mine.reduce((n, r) => n + fromDbInt(r.count), 0),
      targets: targets.slice(0, REUSE_LIST_MAX),
      attacker_ips: ips.list,
      attacker_uuids: uuids.list,
      deckies: deckies.list,
      services: services.list,
      truncated: targets.length > REUSE_LIST_MAX || ips.cut || uuids.cut || deckies.cut || services.cut,
      first_seen: mine.map((r) => isoFromDb(r.first_seen)).sort(byText)[0] as string,
      last_seen: mine.map((r) => isoFromDb(r.last_seen)).sort(byText).at(-1) as string,
      },
    });
  }
  return out;
}

/** The stored findings keyed like recount's, with the counts their rows hold. */
async function storedFindings(db: Db) {
  const rows = await db.kysely.selectFrom('credential_reuse').select(['id', 'secret_sha256', 'secret_kind', 'principal_key', 'target_count', 'attacker_count', 'first_seen', 'last_seen']).execute();
  return new Map(rows.map((r) => [`${r.secret_sha256}/${r.secret_kind}/${r.principal_key}`, { id: r.id, target_count: fromDbInt(r.target_count), attacker_count: fromDbInt(r.attacker_count), first_seen: isoFromDb(r.first_seen), last_seen: isoFromDb(r.last_seen) }]));
}

const arbCred: fc.Arbitrary<CredSpec> = fc.record({
  s: fc.integer({ min: 0, max: 900 }),
  ip: fc.constantFrom('198.51.100.23', '203.0.113.7', '2001:db8::7', '192.0.2.9'),
  decky: fc.constantFrom('decky-01', 'decky-02', 'decky-03', 'decnet-prober'),
  service: fc.constantFrom('ssh', 'ftp'),
  principal: fc.constantFrom('root', 'admin'),
  secret: fc.constantFrom('toor', '123456', 'hunter2'),
});

async function setup(ctx: CaseContext, env: Record<string, string> = {}): Promise<Rig> {
  const clock = new FakeClock(T0 + 3_600_000);
  return rig(await ctx.fresh(clock), clock, env);
}

export function reuseCases(ctx: CaseContext): void {
  it('one target gives nothing; a second gives one finding and one journaled event; a repeat counts once', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [], [{ s: 1, secret: 'toor' }, { s: 2, secret: 'toor' }]);
    await r.pass();
    expect(r.rec.topics('credential.reuse')).toEqual([]);
    expect((await r.db.repos.credentialReuse.list({ limit: 10, offset: 0 })).total).toBe(0);

    await ingest(r.db, [], [{ s: 3, secret: 'toor', decky: 'decky-02' }]);
    await r.pass();
    const events = r.rec.of('credential.reuse.detected');
    const a = await r.db.repos.attackers.findByIp('198.51.100.23');
    expect(events).toEqual([
      {
        id: expect.any(String),
        secret_sha256: sha('toor'),
        secret_kind: 'plaintext',
        principal: 'root',
        target_count: 2,
        attempt_count: 3,
        attacker_uuids: [a?.id],
        attacker_ips: ['198.51.100.23'],
        deckies: ['decky-01', 'decky-02'],
        services: ['ssh'],
        targets: [
          { decky: 'decky-01', service: 'ssh' },
          { decky: 'decky-02', service: 'ssh' },
        ],
        first_seen: at(1),
        last_seen: at(3),
        reason: 'new',
        truncated: false,
      },
    ]);
    // the journal row and the finding committed together
    const journal = await r.db.repos.journal.readAfter(0, { patterns: ['credential.reuse.detected'], limit: 10 });
    expect(journal.map((j) => j.payload)).toEqual(events);
    const detail = await r.db.repos.credentialReuse.get(events[0]?.id as string);
    expect(detail).toMatchObject({ target_count: 2, attacker_count: 1, attempt_count: 3, principal: 'root' });
    expect(await r.pass()).toMatchObject({ findings: 0 });
    expect(r.rec.of('credential.reuse.detected')).toHaveLength(1);
    await r.close();
  });

  it('grows with new_targets, then new_attackers; a repeat and a restart publish nothing; attempt_count stays the credentials\' sum', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [], [{ s: 1, secret: 'toor' }, { s: 2, secret: 'toor', decky: 'decky-02' }]);
    await r.pass();
    await ingest(r.db, [], [{ s: 3, secret: 'toor', decky: 'decky-03', service: 'ftp' }]);
    await r.pass();
    await ingest(r.db, [], [{ s: 4, secret: 'toor', ip: '203.0.113.7' }]);
    await r.pass();
    await ingest(r.db, [], [{ s: 5, secret: 'toor' }, { s: 6, secret: 'toor', decky: 'decky-02' }]);
    await r.pass();
    const events = r.rec.of('credential.reuse.detected');
    expect(events.map((e) => [e.reason, e.target_count, (e.attacker_ips as string[]).length, e.attempt_count])).toEqual([
      ['new', 2, 1, 2],
      ['new_targets', 3, 1, 3],
      ['new_attackers', 3, 2, 4],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    const [finding] = (await r.db.repos.credentialReuse.list({ limit: 10, offset: 0 })).items;
    expect(finding).toMatchObject({ target_count: 3, attacker_count: 2, last_seen: at(6) });
    expect((await r.db.repos.credentialReuse.get(finding?.id as string))?.attempt_count).toBe(6);
    const again = await rig(await ctx.reopen(r.db, r.clock), r.clock);
    expect(await again.pass()).toMatchObject({ findings: 0, logRows: 0, credentialRows: 0 });
    expect(again.rec.events).toEqual([]);
    await again.close();
    await r.close();
  });

  it('keeps distinct principals apart, and joins them with DECNET_REUSE_ACROSS_PRINCIPALS', async () => {
    const creds = [
      { s: 1, secret: 'Summer2026!', principal: 'root' },
      { s: 2, secret: 'Summer2026!', principal: 'admin', decky: 'decky-02' },
      { s: 3, secret: 'Summer2026!', principal: 'admin', decky: 'decky-03', service: 'smtp' },
    ];
    const apart = await setup(ctx);
    await ingest(apart.db, [], creds);
    await apart.pass();
    expect(apart.rec.of('credential.reuse.detected').map((e) => [e.principal, e.target_count])).toEqual([['admin', 2]]);
    const joined = await setup(ctx, { DECNET_REUSE_ACROSS_PRINCIPALS: 'true' });
    await ingest(joined.db, [], creds);
    await joined.pass();
    expect(joined.rec.of('credential.reuse.detected').map((e) => [e.principal, e.target_count, e.services])).toEqual([['*', 3, ['smtp', 'ssh']]]);
    await apart.close();
    await joined.close();
  });

  it('never counts internal deckies as targets, and back-fills credentials.attacker_id', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [], [{ s: 1, secret: 'toor' }, { s: 2, secret: 'toor', decky: 'decnet-prober' }]);
    await r.pass();
    expect(r.rec.topics('credential.')).toEqual([]);
    const a = await r.db.repos.attackers.findByIp('198.51.100.23');
    const creds = await r.db.repos.credentials.listByAttacker('198.51.100.23');
    expect(creds.map((c) => c.attackerId)).toEqual([a?.id, a?.id]);
    expect(a?.credential_count).toBe(1);
    await r.close();
  });

  it('grows findings batch by batch to what a recount of the credentials gives, each event a growth and none for a pass that grew nothing', async () => {
    const arb = fc.record({
      rounds: fc.array(fc.record({ creds: fc.array(arbCred, { minLength: 1, maxLength: 10 }), batch: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 4 }),
      minTargets: fc.constantFrom(2, 3),
      across: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ rounds, minTargets, across }) => {
        const env = { DECNET_REUSE_MIN_TARGETS: String(minTargets), DECNET_REUSE_ACROSS_PRINCIPALS: String(across) };
        const r = await setup(ctx, env);
        try {
          let before: Awaited<ReturnType<typeof recount>> = new Map();
          for (const round of rounds) {
            await ingest(r.db, [], round.creds);
            const seen = r.rec.events.length;
            await r.pass({ DECNET_ANALYSIS_BATCH: String(round.batch) });
            const expected = await recount(r.db, minTargets, across);
            const stored = await storedFindings(r.db);
            const events = r.rec.events.slice(seen).filter((e) => e.topic === 'credential.reuse.detected').map((e) => e.payload as Record<string, unknown>);
            expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
            for (const [key, want] of expected) {
              const { target_count, first_seen, last_seen } = want.event;
              expect(stored.get(key)).toMatchObject({ target_count, attacker_count: want.attackerCount, first_seen, last_seen });
              const prev = before.get(key);
              const grew = prev === undefined || want.event.target_count > prev.event.target_count || want.attackerCount > prev.attackerCount;
              const mine = events.filter((e) => e.id === stored.get(key)?.id);
              // a pass that grew the finding: at most one event per batch, each one a growth, the last stating the final state; none otherwise
              if (!grew) expect(mine).toEqual([]);
              else {
                expect(mine.length).toBeGreaterThanOrEqual(1);
                expect(mine.length).toBeLessThanOrEqual(Math.ceil(round.creds.length / round.batch));
                expect(mine.at(-1)).toMatchObject(want.event);
                const sizes = mine.map((e) => [e.target_count as number, (e.attacker_ips as string[]).length]);
                for (let i = 1; i < sizes.length; i++) expect(sizes[i]?.some((n, k) => n > (sizes[i - 1]?.[k] as number))).toBe(true);
              }
            }
            before = expected;
          }
        } finally {
          await r.close();
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('keeps the first 100 of each list as a finding outgrows them, in any arrival order', async () => {
    const r = await setup(ctx);
    // 130 deckies arriving in three passes, the later ones sorting between the earlier ones
    const deckies = Array.from({ length: 130 }, (_, i) => `decky-${String((i * 47) % 130).padStart(3, '0')}`);
    for (const [n, part] of [deckies.slice(0, 60), deckies.slice(60, 110), deckies.slice(110)].entries()) {
      await ingest(r.db, [], part.map((decky, i) => ({ s: n * 200 + i, secret: 'toor', decky, ip: `10.0.${n}.${i}` })));
      await r.pass();
    }
    const events = r.rec.of('credential.reuse.detected');
    const expected = (await recount(r.db, 2, false)).get(`${sha('toor')}/plaintext/root`);
    expect(events.map((e) => [e.reason, e.target_count, e.truncated])).toEqual([
      ['new', 60, false],
      ['new_targets', 110, true],
      ['new_targets', 130, true],
    ]);
    expect(events.at(-1)).toMatchObject(expected?.event as Record<string, unknown>);
    expect((events.at(-1)?.deckies as string[]).at(-1)).toBe('decky-099');
    await r.close();
  });
}
