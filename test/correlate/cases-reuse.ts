/** Credential reuse (analysis.md §3): thresholds, keys, growth, no re-fire, journal and finding together. */
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { ingest, rig, sha, T0, at, type Rig } from './support.js';
import type { CaseContext } from './cases-profiles.js';

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
}
