/** The correlation API over real HTTP (analysis.md §1.6, §2, §3; CORRECTIONS #7.2, #7.7, #7.15). */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bus/index.js';
import { runPass } from '../../src/correlate/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { at, ingest, settings } from '../correlate/support.js';

const apis: TestApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

async function seeded(opts: Parameters<typeof startTestApi>[0] = {}): Promise<{ t: TestApi; token: string }> {
  const t = await startTestApi(opts);
  apis.push(t);
  await t.user('viewer1', 'viewer');
  const token = await t.login('viewer1');
  await ingest(
    t.db,
    [
      { s: 0, type: 'connect', fields: { session: 's1' } },
      { s: 1, type: 'command', fields: { command: 'uname -a', session: 's1' } },
      { s: 2, type: 'session_recorded', fields: { sid: 's1', duration_s: '3', session: 's1' } },
      { s: 10, ip: '203.0.113.7', decky: 'decky-03', service: 'http', type: 'request', fields: { path: '/' } },
      { s: 11, ip: '203.0.113.7', decky: 'decky-03', service: 'http', type: 'request', fields: { path: '/etc/passwd' } },
    ],
    [
      { s: 3, secret: 'toor' },
      { s: 4, secret: 'toor', decky: 'decky-02' },
    ],
  );
  await runPass({ db: t.db, bus: t.bus, settings: settings(), log: silentLogger, clock: t.clock });
  return { t, token };
}

describe('attacker routes', () => {
  it('need a token (401) and answer viewers', async () => {
    const { t, token } = await seeded();
    for (const path of ['/api/v1/attackers', '/api/v1/attackers/198.51.100.23', '/api/v1/attackers/198.51.100.23/traversal', '/api/v1/credential-reuse', '/api/v1/logs', '/api/v1/ingest/status', '/api/v1/sessions/00000000-0000-0000-0000-000000000000']) {
      const r = await t.request('GET', path);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await t.request('GET', '/api/v1/attackers', { token })).status).toBe(200);
  });

  it('lists attackers with total, sorted and filtered; 400 for a bad query', async () => {
    const { t, token } = await seeded();
    const list = (q: string) => t.request('GET', `/api/v1/attackers${q}`, { token });
    const recent = (await list('')).body as { attackers: Array<{ ip: string; event_count: number }>; total: number };
    expect(recent.total).toBe(2);
    expect(recent.attackers.map((a) => a.ip)).toEqual(['203.0.113.7', '198.51.100.23']);
    expect(((await list('?sort=active')).body as typeof recent).attackers.map((a) => a.ip)).toEqual(['198.51.100.23', '203.0.113.7']);
    expect(((await list('?sort=traversals&limit=1')).body as typeof recent).attackers.map((a) => a.ip)).toEqual(['198.51.100.23']);
    expect(((await list('?limit=1&offset=1')).body as typeof recent)).toMatchObject({ total: 2, attackers: [{ ip: '198.51.100.23' }] });
    expect(((await list('?ip_prefix=203.0')).body as typeof recent).attackers.map((a) => a.ip)).toEqual(['203.0.113.7']);
    expect(((await list('?service=http')).body as typeof recent).total).toBe(1);
    expect(((await list('?decky=decky-02')).body as typeof recent).attackers.map((a) => a.ip)).toEqual(['198.51.100.23']);
    expect(((await list('?traversal=true')).body as typeof recent).attackers.map((a) => a.ip)).toEqual(['198.51.100.23']);
    expect(((await list('?ip=::ffff:203.0.113.7')).body as typeof recent).total).toBe(1);
    for (const bad of ['?sort=bogus', '?limit=0', '?limit=501', '?offset=-1', '?traversal=maybe']) {
      const r = await list(bad);
      expect(r.status, bad).toBe(400);
      expect(r.body).toMatchObject({ error: 'validation_error' });
    }
  });

  it('shows a profile by IP or UUID, with deckies, services, credentials by kind and sessions; 404 otherwise', async () => {
    const { t, token } = await seeded();
    const byIp = await t.request('GET', '/api/v1/attackers/198.51.100.23', { token });
    expect(byIp.status).toBe(200);
    const p = byIp.body as Record<string, unknown> & { id: string; sessions: Array<{ id: string }> };
    expect(p).toMatchObject({
      ip: '198.51.100.23',
      deckies: ['decky-01', 'decky-02'],
      services_interacted: ['ssh'],
      services_scanned: [],
      credentials_by_kind: { plaintext: 2 },
      is_traversal: true,
      traversal_path: 'decky-01 → decky-02',
      session_count: 1,
      campaign_id: null,
      intel: null,
    });
    expect(p.sessions).toHaveLength(1);
    expect((await t.request('GET', `/api/v1/attackers/${p.id}`, { token })).body).toMatchObject({ ip: '198.51.100.23' });
    const http = (await t.request('GET', '/api/v1/attackers/203.0.113.7', { token })).body as Record<string, unknown>;
    expect(http).toMatchObject({ services_interacted: [], services_scanned: ['http'], deckies: ['decky-03'] });

    const session = await t.request('GET', `/api/v1/sessions/${p.sessions[0]?.id as string}`, { token });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ session_id: 's1', commands: [{ id: 's1#0', command_text: 'uname -a', ts: at(1) }], command_count: 1 });
    expect((await t.request('GET', `/api/v1/attackers/${p.id}/sessions`, { token })).body).toMatchObject({ total: 1, sessions: [{ session_id: 's1' }] });
    expect((await t.request('GET', '/api/v1/attackers/198.51.100.23/commands', { token })).body).toMatchObject({ total: 1, commands: [{ command: 'uname -a', decky: 'decky-01', ts: at(1) }] });

    for (const path of ['/api/v1/attackers/192.0.2.99', '/api/v1/attackers/00000000-0000-0000-0000-000000000000', '/api/v1/attackers/not-an-address', '/api/v1/sessions/00000000-0000-0000-0000-000000000000', '/api/v1/sessions/nope', '/api/v1/credential-reuse/nope']) {
      const r = await t.request('GET', path, { token });
      expect(r.status, path).toBe(404);
      expect(r.body).toMatchObject({ error: 'not_found' });
    }
  });

  it('lists credential-reuse findings and one with its targets and attempts', async () => {
    const { t, token } = await seeded();
    const list = (await t.request('GET', '/api/v1/credential-reuse', { token })).body as { findings: Array<{ id: string; target_count: number; secret_kind: string }>; total: number };
    expect(list).toMatchObject({ total: 1, findings: [{ target_count: 2, secret_kind: 'plaintext', principal: 'root' }] });
    expect(JSON.stringify(list)).not.toContain('toor');
    expect(((await t.request('GET', '/api/v1/credential-reuse?min_targets=3', { token })).body as typeof list).total).toBe(0);
    expect(((await t.request('GET', '/api/v1/credential-reuse?secret_kind=http_bearer', { token })).body as typeof list).total).toBe(0);
    expect((await t.request('GET', '/api/v1/credential-reuse?min_targets=x', { token })).status).toBe(400);
    const one = await t.request('GET', `/api/v1/credential-reuse/${list.findings[0]?.id as string}`, { token });
    expect(one.body).toMatchObject({ attempt_count: 2, targets: [{ decky: 'decky-01', service: 'ssh' }, { decky: 'decky-02', service: 'ssh' }], attackers: [{ attacker_ip: '198.51.100.23' }] });
  });

  it('filters logs (decky, service, event_type, attacker_ip, since, until) answering {logs, total}, and shows ingest status', async () => {
    const { t, token } = await seeded();
    const logs = (q: string) => t.request('GET', `/api/v1/logs${q}`, { token });
    const all = (await logs('')).body as { logs: Array<{ id: number; event_type: string }>; total: number };
    expect(all.total).toBe(7);
    expect(all.logs[0]?.event_type).toBe('request'); // newest first
    expect(((await logs('?attacker_ip=203.0.113.7')).body as typeof all).total).toBe(2);
    expect(((await logs('?decky=decky-01&event_type=command')).body as typeof all).total).toBe(1);
    expect(((await logs('?service=http')).body as typeof all).total).toBe(2);
    expect(((await logs(`?since=${encodeURIComponent(at(10))}`)).body as typeof all).total).toBe(2);
    expect(((await logs(`?until=${encodeURIComponent('2026-05-01T12:00:02Z')}`)).body as typeof all).total).toBe(3);
    expect(((await logs('?limit=2')).body as typeof all).logs).toHaveLength(2);
    expect((await logs('?since=yesterday')).status).toBe(400);
    const status = await t.request('GET', '/api/v1/ingest/status', { token });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ sources: [] });
  });

  it('answers the traversal over HTTP and describes it in OpenAPI', async () => {
    const { t, token } = await seeded();
    const r = await t.request('GET', '/api/v1/attackers/198.51.100.23/traversal', { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ deckies: ['decky-01', 'decky-02'], path: 'decky-01 → decky-02', first_seen: at(0), last_seen: at(4), duration_s: 4, hops: 2, mutations_during: 0 });
    expect((r.body as { timeline: Array<{ kind: string; decky: string }> }).timeline.map((e) => [e.kind, e.decky])).toEqual([
      ['hop', 'decky-01'],
      ['hop', 'decky-02'],
    ]);
    expect((await t.request('GET', '/api/v1/attackers/192.0.2.99/traversal', { token })).status).toBe(404);
    const doc = (await t.request('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/v1/attackers/{id}/traversal']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404']));
  });

  it('merges an extension\'s fields into each row and the profile (the #9 seam)', async () => {
    const { t, token } = await seeded({
      attackerExtensions: [
        {
          name: 'ttp',
          rowFields: async (_db, attackers) => new Map(attackers.map((a) => [a.id, { technique_ids: [`T-${a.ip}`] }])),
          profileFields: async (_db, a) => ({ techniques: [{ id: 'T1110', ip: a.ip }], ip: 'never replaced' }),
        },
      ],
    });
    expect((await t.request('GET', '/api/v1/attackers?sort=active&limit=1', { token })).body).toMatchObject({ attackers: [{ ip: '198.51.100.23', technique_ids: ['T-198.51.100.23'] }] });
    expect((await t.request('GET', '/api/v1/attackers/198.51.100.23', { token })).body).toMatchObject({ ip: '198.51.100.23', techniques: [{ id: 'T1110' }] });
  });
});
