/**
 * The Navigator export (ttp.md §8.3) on SQLite and PostgreSQL, its layer 4.5 schema and
 * catalogue check, the OpenAPI entries, and one round over a real listener.
 */
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/index.js';
import { catalogProblems, navigatorLayerSchema, type NavigatorLayer } from '../../src/api/routes/ttp/index.js';
import { loadCatalog } from '../../src/ttp/index.js';
import { at, dialects, insertTags, L0001, seed, startTtpApi, tag } from './ttp-support.js';

type Layer = NavigatorLayer & { techniques: Array<Record<string, unknown> & { techniqueID: string; tactic?: string }> };


const targets = await dialects('ttp_export');

for (const [name, harness] of targets) {
  describe(`Navigator export on ${name}`, () => {
    it('exports an attacker’s techniques as a layer 4.5 attachment, one entry per (technique, tactic), parents expanded', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      // a technique under two tactics: each entry scores that tactic's tags
      await insertTags(t.db, [
        tag('T1078.001', { s: 3, attacker_uuid: s.attacker1, tactic_id: 'TA0001', rule_id: 'R0006' }),
        tag('T1078.001', { s: 4, attacker_uuid: s.attacker1, tactic_id: 'TA0001', rule_id: 'R0006' }),
        tag('T1078.001', { s: 5, attacker_uuid: s.attacker1, tactic_id: 'TA0004', rule_id: 'R0006', confidence: 0.8 }),
      ]);
      const r = await t.call('GET', '/api/v1/ttp/export/navigator?attacker_ip=198.51.100.23', { token: t.viewer });
      expect(r.status).toBe(200);
      expect(r.headers['content-disposition']).toBe('attachment; filename="decnet-attacker-198.51.100.23.json"');
      const layer = r.body as Layer;
      expect(navigatorLayerSchema.safeParse(layer).success).toBe(true);
      expect(catalogProblems(layer, loadCatalog())).toEqual([]);
      expect(layer).toMatchObject({
        name: 'DECNET — attacker 198.51.100.23',
        versions: { attack: '18', navigator: '5.2.0', layer: '4.5' },
        domain: 'enterprise-attack',
        description: 'Techniques observed by DECNET, 2026-05-01 to 2026-05-01. ATT&CK® 18.1, © The MITRE Corporation.',
        sorting: 3,
        layout: { layout: 'side', showID: true, expandedSubtechniques: 'annotated' },
        gradient: { colors: ['#fff7bc', '#fe9929', '#cc4c02'], minValue: 0, maxValue: 2 },
      });
      const entry = (id: string, tactic: string) => layer.techniques.find((x) => x.techniqueID === id && x.tactic === tactic);
      expect(entry('T1003.008', 'credential-access')).toEqual({
        techniqueID: 'T1003.008',
        tactic: 'credential-access',
        score: 1,
        enabled: true,
        comment: `1 tag by R0014; last seen ${at(1.7).slice(0, 19)}Z`,
        metadata: [{ name: 'max_confidence', value: '0.95' }],
      });
      expect(entry('T1003', 'credential-access')).toEqual({ techniqueID: 'T1003', tactic: 'credential-access', showSubtechniques: true });
      // T1110 is tagged itself and through T1110.001: one entry, scored and expanded
      expect(entry('T1110', 'credential-access')).toMatchObject({ score: 1, showSubtechniques: true, comment: expect.stringContaining('by R0002') });
      expect(entry('T1078.001', 'initial-access')).toMatchObject({ score: 2, comment: expect.stringMatching(/^2 tags by R0006; /) });
      expect(entry('T1078.001', 'privilege-escalation')).toMatchObject({ score: 1, metadata: [{ name: 'max_confidence', value: '0.8' }] });
      expect(layer.techniques.filter((x) => x.techniqueID === 'T1078')).toHaveLength(2);
      expect(layer.techniques.some((x) => x.techniqueID === 'T1190')).toBe(false);
    });

    it('scopes by session, period and confidence, names the file after the scope, and refuses a bad query', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const get = (q: string) => t.call('GET', `/api/v1/ttp/export/navigator${q}`, { token: t.viewer });
      const session = await get('?session_id=s1');
      expect(session.headers['content-disposition']).toBe('attachment; filename="decnet-session-s1.json"');
      expect((session.body as Layer).techniques.filter((x) => x.score !== undefined).map((x) => x.techniqueID).sort()).toEqual(['T1003.008', 'T1110.001']);
      const all = await get(`?since=${at(9)}&until=2026-05-02T00:00:00Z&min_confidence=0.5`);
      expect(all.headers['content-disposition']).toBe('attachment; filename="decnet-all.json"');
      expect(all.body).toMatchObject({ name: 'DECNET — all attackers', description: expect.stringContaining('2026-05-01 to 2026-05-02') });
      expect((all.body as Layer).techniques.filter((x) => x.score !== undefined).map((x) => x.techniqueID).sort()).toEqual(['T1190', 'T1595.002']);
      const byUuid = await get(`?attacker_uuid=${s.attacker2}`);
      expect(byUuid.headers['content-disposition']).toBe('attachment; filename="decnet-attacker-203.0.113.7.json"');
      const empty = await get('?attacker_ip=2001:db8::1');
      expect(empty.status).toBe(200);
      expect(empty.headers['content-disposition']).toBe('attachment; filename="decnet-attacker-2001-db8--1.json"');
      expect(empty.body).toMatchObject({ techniques: [], gradient: { maxValue: 1 }, description: 'Techniques observed by DECNET. ATT&CK® 18.1, © The MITRE Corporation.' });
      expect(navigatorLayerSchema.safeParse(empty.body).success).toBe(true);
      for (const bad of ['?attacker_ip=nope', '?attacker_uuid=1', '?since=x', '?min_confidence=-1']) expect((await get(bad)).status, bad).toBe(400);
    });
  });
}

describe('the layer 4.5 schema and the catalogue check', () => {
  const base: NavigatorLayer = { name: 'x', versions: { attack: '18', navigator: '5.2.0', layer: '4.5' }, domain: 'enterprise-attack', techniques: [{ techniqueID: 'T1003.008', tactic: 'credential-access', score: 1 }] };

  it('refuses what layer 4.5 does not define', () => {
    expect(navigatorLayerSchema.safeParse(base).success).toBe(true);
    for (const bad of [
      { ...base, versions: { ...base.versions, layer: '4.4' } },
      { ...base, domain: 'attack' },
      { ...base, techniques: [{ techniqueID: 'T1003.8' }] },
      { ...base, techniques: [{ techniqueID: 'T1003', tactic: 'Credential Access' }] },
      { ...base, techniques: [{ techniqueID: 'T1003', scor: 1 }] },
      { ...base, gradient: { colors: ['#fff'], minValue: 0, maxValue: 1 } },
      { ...base, sorting: 4 },
      { ...base, extra: true },
    ]) expect(navigatorLayerSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 120)).toBe(false);
  });

  it('names techniques the catalogue does not back', () => {
    const catalog = loadCatalog();
    expect(catalogProblems(base, catalog)).toEqual([]);
    expect(catalogProblems({ ...base, techniques: [{ techniqueID: 'T1086' }, { techniqueID: 'T1999' }, { techniqueID: 'T1003.008', tactic: 'discovery' }] }, catalog)).toEqual([
      'T1086 is not a current technique of ATT&CK 18.1',
      'T1999 is not a current technique of ATT&CK 18.1',
      'T1003.008 is not in the tactic discovery',
    ]);
  });
});

describe('the ATT&CK routes in OpenAPI', () => {
  it('documents every route (built without touching the database)', () => {
    const paths = Object.keys((openApiDocument() as { paths: Record<string, unknown> }).paths).filter((p) => p.startsWith('/api/v1/ttp/'));
    expect(paths.sort()).toEqual(
      [
        'by-attacker/{id}',
        'by-campaign/{uuid}',
        'by-identity/{uuid}',
        'by-session/{id}',
        'catalog',
        'export/navigator',
        'rules',
        'rules/validate',
        'rules/{id}',
        'rules/{id}/state',
        'tags',
        'tags/{id}',
        'techniques',
        'techniques/{technique_id}',
        'techniques/{technique_id}/groups',
      ]
        .map((p) => `/api/v1/ttp/${p}`)
        .sort(),
    );
  });
});

describe('over a real listener', () => {
  it('puts a rule as YAML, reads it back, downloads the layer; YAML elsewhere is still 415', async () => {
    const t = await startTtpApi(targets[0]![1]);
    await seed(t);
    const base = await t.api.app.listen({ host: '127.0.0.1', port: 0 });
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const put = await fetch(`${base}/api/v1/ttp/rules/L0001`, { method: 'PUT', headers: { ...auth(t.admin), 'content-type': 'application/yaml' }, body: L0001 });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ id: 'L0001', source: 'database', applied: false });
    const got = await fetch(`${base}/api/v1/ttp/rules/L0001`, { headers: auth(t.viewer) });
    expect(await got.json()).toMatchObject({ id: 'L0001', yaml: L0001 });
    const layer = await fetch(`${base}/api/v1/ttp/export/navigator?attacker_ip=203.0.113.7`, { headers: auth(t.viewer) });
    expect(layer.status).toBe(200);
    expect(layer.headers.get('content-disposition')).toBe('attachment; filename="decnet-attacker-203.0.113.7.json"');
    expect(layer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(navigatorLayerSchema.safeParse(await layer.json()).success).toBe(true);
    const elsewhere = await fetch(`${base}/api/v1/webhooks`, { method: 'POST', headers: { ...auth(t.admin), 'content-type': 'application/yaml' }, body: 'name: x' });
    expect(elsewhere.status).toBe(415);
    expect(await elsewhere.json()).toMatchObject({ error: 'unsupported_media_type' });
  });
});
