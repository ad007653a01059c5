/** Attacker profiles, observed/scored events, traversal, internal deckies, sessions (analysis.md §1, §2). */
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import type { Db } from '../../src/db/index.js';
import { at, ingest, rig, T0, type Rig } from './support.js';

export interface CaseContext {
  /** A fresh, migrated database for this case (closed afterwards). */
  fresh(clock: FakeClock): Promise<Db>;
  /** Another handle on the same database: a restarted process. */
  reopen(db: Db, clock: FakeClock): Promise<Db>;
}

async function setup(ctx: CaseContext, env: Record<string, string> = {}): Promise<Rig> {
  const clock = new FakeClock(T0 + 3_600_000);
  return rig(await ctx.fresh(clock), clock, env);
}

async function attacker(db: Db, ip: string) {
  const a = await db.repos.attackers.findByIp(ip);
  if (!a) throw new Error(`no attacker ${ip}`);
  return a;
}

export function profileCases(ctx: CaseContext): void {
  it('publishes the exact attacker.observed for an IP\'s first line, once, and never again (other deckies, second pass, restart)', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [{ s: 1, type: 'connect' }]);
    const first = await r.pass();
    expect(first).toMatchObject({ logRows: 1, countedRows: 1, attackersCreated: 1, observed: 1 });
    const a = await attacker(r.db, '198.51.100.23');
    expect(r.rec.of('attacker.observed')).toEqual([{ attacker_uuid: a.id, attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', event_type: 'connect', first_seen: at(1) }]);
    await ingest(r.db, [{ s: 2, decky: 'decky-02', service: 'ftp' }]);
    await r.pass();
    expect(await r.pass()).toMatchObject({ logRows: 0, observed: 0, scored: 0 });
    const again = await ctx.reopen(r.db, r.clock);
    const r2 = await rig(again, r.clock);
    expect(await r2.pass()).toMatchObject({ logRows: 0, observed: 0, scored: 0, findings: 0 });
    expect(r.rec.of('attacker.observed')).toHaveLength(1);
    expect(r2.rec.events).toEqual([]);
    await r2.close();
    await r.close();
  });

  it('counts events, deckies and services exactly, and keeps the first-contact traversal path', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [
      { s: 10, decky: 'decky-03', service: 'http', type: 'request' },
      { s: 5, decky: 'decky-02', service: 'ssh', type: 'connect' },
      { s: 20, decky: 'decky-01', service: 'ssh', type: 'command', fields: { command: 'id' } },
      { s: 30, decky: 'decky-02', service: 'ftp', type: 'login_attempt' },
      { s: 40, ip: null, decky: 'decky-01' },
      { s: 41, decky: 'decky-02', type: 'decky_mutated', ip: null, source: 'internal:mutator' },
    ]);
    await r.pass({ DECNET_ANALYSIS_BATCH: '2' });
    const a = await attacker(r.db, '198.51.100.23');
    expect(a).toMatchObject({ event_count: 4, decky_count: 3, service_count: 3, command_count: 1, is_traversal: true, traversal_path: 'decky-02 → decky-03 → decky-01', first_seen: at(5), last_seen: at(30) });
    const targets = await r.db.repos.attackers.targets(a.id);
    expect(targets.map((t) => [t.decky, t.service, t.event_count, t.interaction_count])).toEqual([
      ['decky-02', 'ssh', 1, 0],
      ['decky-03', 'http', 1, 0],
      ['decky-01', 'ssh', 1, 1],
      ['decky-02', 'ftp', 1, 0],
    ]);
    // the same totals as one batch (behaviour is computed per interval, so it may differ)
    const one = await setup(ctx);
    await ingest(one.db, [
      { s: 10, decky: 'decky-03', service: 'http', type: 'request' },
      { s: 5, decky: 'decky-02', service: 'ssh', type: 'connect' },
      { s: 20, decky: 'decky-01', service: 'ssh', type: 'command', fields: { command: 'id' } },
      { s: 30, decky: 'decky-02', service: 'ftp', type: 'login_attempt' },
    ]);
    await one.pass();
    const b = await attacker(one.db, '198.51.100.23');
    const counts = (x: typeof a) => ({ ...x, id: '', created_at: '', updated_at: '', behavior: null, behavior_class: '', behavior_computed_at: null });
    expect(counts(b)).toEqual(counts(a));
    await one.close();
    await r.close();
  });

  it('lets internal deckies create an attacker but never count, traverse or fire attacker.observed', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [
      { s: 1, decky: 'decnet-prober', service: 'prober', type: 'jarm_probe' },
      { s: 2, decky: 'decnet-prober', service: 'prober', type: 'tcpfp_probe' },
    ]);
    await r.pass();
    expect(await attacker(r.db, '198.51.100.23')).toMatchObject({ event_count: 0, decky_count: 0, is_traversal: false, first_seen: null });
    expect(r.rec.topics('attacker.')).toEqual([]);
    await ingest(r.db, [{ s: 3, decky: 'decky-01' }, { s: 4, decky: 'decnet-prober', service: 'prober' }]);
    await r.pass();
    expect(await attacker(r.db, '198.51.100.23')).toMatchObject({ event_count: 1, decky_count: 1, is_traversal: false, first_seen: at(3), last_seen: at(3) });
    expect(r.rec.of('attacker.observed')).toMatchObject([{ decky: 'decky-01', first_seen: at(3) }]);
    await r.close();
  });

  it('publishes attacker.scored at once for a significant change and coalesces the rest (injected clock)', async () => {
    const r = await setup(ctx, { DECNET_SCORED_MIN_INTERVAL_SECS: '30' });
    await ingest(r.db, [{ s: 1 }]);
    await r.pass();
    expect(r.rec.of('attacker.scored')).toMatchObject([{ event_count: 1, decky_count: 1, is_traversal: false, traversal_path: null, behavior_class: 'unknown' }]);
    await ingest(r.db, [{ s: 2 }]);
    await r.pass();
    expect(r.rec.of('attacker.scored')).toHaveLength(1); // event count only: held back
    await ingest(r.db, [{ s: 3, decky: 'decky-02' }]);
    await r.pass();
    const scored = r.rec.of('attacker.scored');
    expect(scored).toHaveLength(2); // a second decky: at once, with the latest counts
    expect(scored[1]).toMatchObject({ event_count: 3, decky_count: 2, is_traversal: true, traversal_path: 'decky-01 → decky-02' });
    await ingest(r.db, [{ s: 4, decky: 'decky-02' }]);
    await r.pass();
    expect(r.rec.of('attacker.scored')).toHaveLength(2);
    r.clock.advance(29_000);
    await r.pass();
    expect(r.rec.of('attacker.scored')).toHaveLength(2);
    r.clock.advance(1_000);
    await r.pass(); // the interval has passed: the held-back state goes out, without new rows
    expect(r.rec.of('attacker.scored')).toHaveLength(3);
    expect(r.rec.of('attacker.scored')[2]).toMatchObject({ event_count: 4 });
    r.clock.advance(60_000);
    await r.pass();
    expect(r.rec.of('attacker.scored')).toHaveLength(3); // nothing changed: nothing re-fires
    await r.close();
  });

  it('classifies behaviour from the latest rows when the interval allows', async () => {
    const r = await setup(ctx, { DECNET_PROFILE_BEHAVIOR_INTERVAL_SECS: '0' });
    // ten failed logins on one service, one second apart: brute force
    await ingest(r.db, Array.from({ length: 10 }, (_, i) => ({ s: i, type: 'login_attempt' })));
    await r.pass();
    const a = await attacker(r.db, '198.51.100.23');
    expect(a.behavior_class).toBe('brute_force');
    expect(a.behavior).toMatchObject({ rows: 10, services: 1, mean_gap_s: 1, cv: 0 });
    expect(r.rec.of('attacker.scored').at(-1)).toMatchObject({ behavior_class: 'brute_force' });
    await r.close();
  });

  it('records a Cowrie-style session with its commands, splits back-to-back sessions, and a replay inserts nothing', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [
      { s: 0, type: 'connect', fields: { session: 'a1' } },
      { s: 2, type: 'command', fields: { command: 'uname -a', session: 'a1' } },
      { s: 3, type: 'command', fields: { command: 'cat /etc/shadow', session: 'a1' } },
      { s: 4, type: 'session_recorded', fields: { sid: 'a1', duration_s: '4.5', session: 'a1' } },
      { s: 5, type: 'command', fields: { command: 'id', session: 'b2' } },
      { s: 6, type: 'session_recorded', fields: { sid: 'b2', duration_s: '1.5', session: 'b2' } },
    ]);
    const result = await r.pass();
    expect(result.sessions).toBe(2);
    const a = await attacker(r.db, '198.51.100.23');
    expect(a.session_count).toBe(2);
    const { items } = await r.db.repos.attackers.sessions(a.id, { limit: 10, offset: 0 });
    expect(items.map((s) => [s.session_id, s.commands.map((c) => c.command_text)])).toEqual([
      ['b2', ['id']],
      ['a1', ['uname -a', 'cat /etc/shadow']],
    ]);
    expect(items[1]).toMatchObject({ decky: 'decky-01', service: 'ssh', duration_s: 4.5, started_at: at(-0.5), ended_at: at(4), command_count: 2, commands_truncated: false, evidence_ref: 'session:decky-01/ssh/a1' });
    expect(items[1]?.commands).toEqual([
      { id: 'a1#0', command_text: 'uname -a', ts: at(2) },
      { id: 'a1#1', command_text: 'cat /etc/shadow', ts: at(3) },
    ]);
    // a crash before the cursor moved replays the batch: the unique log_id inserts nothing
    await r.db.write(async (tx) => r.db.repos.cursors.set(tx, 'correlate', 'logs', 0));
    expect((await r.pass()).sessions).toBe(0);
    expect((await attacker(r.db, '198.51.100.23')).session_count).toBe(2);
    await r.close();
  });

  it('lists attackers by every sort and filter the API offers (repository, both dialects)', async () => {
    const r = await setup(ctx);
    await ingest(r.db, [
      { s: 1, ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' },
      { s: 2, ip: '198.51.100.23', decky: 'decky-02', service: 'ssh' },
      { s: 3, ip: '198.51.100.23', decky: 'decky-02', service: 'ssh' },
      { s: 4, ip: '203.0.113.7', decky: 'decky-03', service: 'http' },
      { s: 5, ip: '2001:db8::7', decky: 'decky-03', service: 'http' },
      { s: 6, ip: '198.51.100.9', decky: 'decnet-prober', service: 'prober' },
    ]);
    await r.pass();
    const ips = async (q: Partial<Parameters<Db['repos']['attackers']['list']>[0]>) => (await r.db.repos.attackers.list({ limit: 10, offset: 0, sort: 'recent', ...q })).items.map((a) => a.ip);
    expect(await ips({})).toEqual(['2001:db8::7', '203.0.113.7', '198.51.100.23', '198.51.100.9']); // internal-only (no last_seen) last
    expect(await ips({ sort: 'active' })).toEqual(['198.51.100.23', '2001:db8::7', '203.0.113.7', '198.51.100.9']);
    expect(await ips({ sort: 'traversals', limit: 1 })).toEqual(['198.51.100.23']);
    expect(await ips({ sort: 'first_seen' })).toEqual(['2001:db8::7', '203.0.113.7', '198.51.100.23', '198.51.100.9']);
    expect(await ips({ ipPrefix: '198.51.100.' })).toEqual(['198.51.100.23', '198.51.100.9']);
    expect(await ips({ ipPrefix: '2001:db8:' })).toEqual(['2001:db8::7']);
    expect(await ips({ ipPrefix: '198.51.100.2_' })).toEqual([]);
    expect(await ips({ service: 'http' })).toEqual(['2001:db8::7', '203.0.113.7']);
    expect(await ips({ decky: 'decky-02' })).toEqual(['198.51.100.23']);
    expect(await ips({ traversal: true })).toEqual(['198.51.100.23']);
    expect(await ips({ traversal: false, sort: 'active' })).toEqual(['2001:db8::7', '203.0.113.7', '198.51.100.9']);
    expect(await ips({ identityId: 'not-a-uuid' })).toEqual([]);
    expect((await r.db.repos.attackers.list({ limit: 1, offset: 1, sort: 'recent' })).total).toBe(4);
    expect((await r.db.repos.attackers.find('198.51.100.23'))?.event_count).toBe(3);
    expect(await r.db.repos.attackers.find('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    await r.close();
  });
}
