/** `GET /attackers/{id}/traversal` (analysis.md §1.5, §1.6): hops by first contact, merged with the markers of touched deckies inside the window only. */
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/bus/index.js';
import type { CaseContext } from './cases-profiles.js';
import { at, ingest, rig, T0, viewerApi, type LineSpec } from './support.js';

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
