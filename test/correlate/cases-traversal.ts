/**
 * Traversal (analysis.md §1.5, §1.6): the counted deckies, services and path the fold keeps
 * incrementally agree with a recount from `attacker_targets`; `GET /attackers/{id}/traversal`
 * gives hops by first contact, merged with the markers of touched deckies inside the window only.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import { firstContactOrder, TRAVERSAL_SEPARATOR } from '../../src/correlate/index.js';
import { fromDbBool, isoFromDb, type Db } from '../../src/db/index.js';
import type { CaseContext } from './cases-profiles.js';
import { at, ingest, rig, T0, viewerApi, type LineSpec } from './support.js';

/** Lines of a few addresses over deckies (one whose name holds the separator) and services, now and then out of order. */
const arbRound = fc.record({
  lines: fc.array(
    fc.record({
      s: fc.integer({ min: 0, max: 3_000 }),
      ip: fc.constantFrom('198.51.100.23', '203.0.113.7', '2001:db8::7'),
      decky: fc.constantFrom('decky-01', 'decky-02', 'decky-03', 'decky-04', `odd${TRAVERSAL_SEPARATOR}name`, null, 'decnet-prober'),
      service: fc.constantFrom('ssh', 'http', 'ftp', '', null),
      type: fc.constantFrom('connect', 'command', 'login_attempt'),
    }),
    { minLength: 1, maxLength: 25 },
  ),
  batch: fc.integer({ min: 1, max: 9 }),
  minDeckies: fc.constantFrom(2, 2, 3),
});

/** Every attacker's decky and service counts and path next to what its stored targets give. */
async function layoutsAgainstTargets(db: Db, minDeckies: number) {
  const attackers = await db.kysely.selectFrom('attackers').select(['id', 'ip', 'decky_count', 'service_count', 'is_traversal', 'traversal_path']).orderBy('id').execute();
  const targets = await db.kysely.selectFrom('attacker_targets').select(['attacker_id', 'decky', 'service', 'first_seen']).execute();
  return attackers.map((a) => {
    const mine = targets.filter((t) => t.attacker_id === a.id).map((t) => ({ decky: t.decky, service: t.service, firstSeen: isoFromDb(t.first_seen) }));
    const deckies = firstContactOrder(mine);
    const traversal = deckies.length >= minDeckies;
    return {
      ip: a.ip,
      stored: { deckies: a.decky_count, services: a.service_count, traversal: fromDbBool(a.is_traversal), path: a.traversal_path },
      recount: { deckies: deckies.length, services: new Set(mine.map((t) => t.service).filter((x) => x !== '')).size, traversal, path: traversal ? deckies.join(TRAVERSAL_SEPARATOR) : null },
    };
  });
}

const marker = (s: number, decky: string, oldServices: string, newServices: string): LineSpec => ({
  s,
  ip: null,
  decky,
  service: 'mutator',
  type: 'decky_mutated',
  source: 'internal:mutator',
  fields: { decky, old_services: oldServices, new_services: newServices, trigger: 'operator' },
});

export function traversalCases(ctx: CaseContext): void {
  it('keeps deckies, services and the path equal to a recount of the targets, batch by batch, out-of-order rows and a changed minimum included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbRound, { minLength: 1, maxLength: 4 }), async (rounds) => {
        const clock = new FakeClock(T0 + 3_600_000);
        const r = await rig(await ctx.fresh(clock), clock);
        try {
          for (const round of rounds) {
            await ingest(r.db, round.lines);
            await r.pass({ DECNET_ANALYSIS_BATCH: String(round.batch), DECNET_TRAVERSAL_MIN_DECKIES: String(round.minDeckies) });
            // an attacker the round did not touch keeps the flag and path of the minimum it was folded under
            const touched = new Set<string | null>(round.lines.map((l) => l.ip));
            for (const { ip, stored, recount } of await layoutsAgainstTargets(r.db, round.minDeckies)) {
              if (touched.has(ip)) expect(stored).toEqual(recount);
              else expect({ deckies: stored.deckies, services: stored.services }).toEqual({ deckies: recount.deckies, services: recount.services });
            }
          }
        } finally {
          await r.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it('answers the traversal by IP or UUID with the markers of its deckies between first and last sighting only; 404 for an unknown attacker', async () => {
    const clock = new FakeClock(T0 + 3_600_000);
    const r = await rig(await ctx.fresh(clock), clock);
    await ingest(r.db, [
      marker(5, 'decky-01', 'ssh', 'ssh,http'), // before the first sighting
      { s: 10, decky: 'decky-01', service: 'ssh' },
      marker(15, 'decky-02', 'ftp', 'ssh'),
      { s: 20, decky: 'decky-02', service: 'ssh' },
      marker(21, 'decky-03', 'ssh', 'http'), // a decky it never touched
      marker(22, 'decnet-prober', '', 'prober'),
      { s: 25, decky: 'decnet-prober', service: 'prober', type: 'jarm_probe' }, // internal: no hop
      { s: 30, decky: 'decky-01', service: 'http', type: 'request' },
      marker(30, 'decky-01', 'ssh,http', 'http'),
      { s: 40.00025, decky: 'decky-02', service: 'ssh', type: 'command', fields: { command: 'id' } },
      marker(40.00025, 'decky-01', '', 'ssh'), // the last sighting, inclusive
      marker(41, 'decky-02', 'ssh', ''), // after it
      { s: 50, ip: '192.0.2.9', decky: 'decnet-prober', service: 'prober', type: 'jarm_probe' },
    ]);
    await r.pass();
    const api = await viewerApi(r.db, clock);
    try {
      const byIp = await api.get('/api/v1/attackers/198.51.100.23/traversal');
      expect(byIp.status).toBe(200);
      const id = (byIp.body as { attacker_id: string }).attacker_id;
      expect(byIp.body).toEqual({
        attacker_id: id,
        deckies: ['decky-01', 'decky-02'],
        path: 'decky-01 → decky-02',
        first_seen: at(10),
        last_seen: at(40.00025),
        duration_s: 30.00025,
        hops: 3,
        mutations_during: 3,
        timeline: [
          { kind: 'hop', timestamp: at(10), decky: 'decky-01', service: 'ssh', first_seen: at(10), last_seen: at(10), event_count: 1 },
          { kind: 'mutation', timestamp: at(15), decky: 'decky-02', old_services: ['ftp'], new_services: ['ssh'], trigger: 'operator' },
          { kind: 'hop', timestamp: at(20), decky: 'decky-02', service: 'ssh', first_seen: at(20), last_seen: at(40.00025), event_count: 2 },
          { kind: 'hop', timestamp: at(30), decky: 'decky-01', service: 'http', first_seen: at(30), last_seen: at(30), event_count: 1 },
          { kind: 'mutation', timestamp: at(30), decky: 'decky-01', old_services: ['ssh', 'http'], new_services: ['http'], trigger: 'operator' },
          { kind: 'mutation', timestamp: at(40.00025), decky: 'decky-01', old_services: [], new_services: ['ssh'], trigger: 'operator' },
        ],
      });
      expect((await api.get(`/api/v1/attackers/${id}/traversal`)).body).toEqual(byIp.body);
      // seen only by the prober: no hop, no window, so no marker
      expect((await api.get('/api/v1/attackers/192.0.2.9/traversal')).body).toMatchObject({ deckies: [], path: '', first_seen: null, last_seen: null, duration_s: null, hops: 0, mutations_during: 0, timeline: [] });
      for (const unknown of ['192.0.2.99', '00000000-0000-0000-0000-000000000000', 'not-an-address']) {
        const res = await api.get(`/api/v1/attackers/${unknown}/traversal`);
        expect(res.status, unknown).toBe(404);
        expect(res.body).toMatchObject({ error: 'not_found' });
      }
    } finally {
      await api.close();
      await r.close();
    }
  });
}
