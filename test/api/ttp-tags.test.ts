/** The ATT&CK read API (ttp.md §8.1–§8.2, §10.2) on SQLite and PostgreSQL: tags, techniques, the catalogue, rollups. */
import { describe, expect, it } from 'vitest';
import { at, dialects, insertTags, seed, startTtpApi, tag } from './ttp-support.js';

type Tag = Record<string, unknown> & { id: string; attacker_ip: string | null; attacker_uuid: string | null; evidence?: unknown };
type Rollup = { scope: string; tag_count: number; first_seen: string | null; last_seen: string | null; attacker_ips: string[]; attacker_uuids: string[]; tactics: Array<{ tactic_id: string; name: string; technique_count: number }>; techniques: Array<Record<string, unknown>> };

const VIEWER_ROUTES = [
  '/api/v1/ttp/tags',
  '/api/v1/ttp/tags/00000000-0000-0000-0000-000000000000',
  '/api/v1/ttp/techniques',
  '/api/v1/ttp/techniques/T1110',
  '/api/v1/ttp/techniques/T1110/groups',
  '/api/v1/ttp/catalog',
  '/api/v1/ttp/by-attacker/198.51.100.23',
  '/api/v1/ttp/by-session/s1',
  '/api/v1/ttp/by-identity/00000000-0000-0000-0000-000000000000',
  '/api/v1/ttp/by-campaign/00000000-0000-0000-0000-000000000000',
  '/api/v1/ttp/rules',
  '/api/v1/ttp/rules/R0001',
  '/api/v1/ttp/export/navigator',
];

for (const [name, harness] of await dialects('ttp_tags')) {
  describe(`ATT&CK read API on ${name}`, () => {
    it('answers 401 without a token on every viewer route, and viewers on each', async () => {
      const t = await startTtpApi(harness);
      await seed(t);
      for (const url of VIEWER_ROUTES) {
        const r = await t.call('GET', url);
        expect(r.status, url).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expect(r.body).toMatchObject({ error: 'unauthorized' });
        expect((await t.call('GET', url, { token: t.viewer })).status, url).not.toBe(401);
      }
    });

    it('lists tags newest first with catalogue names, both attacker references and paging', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const r = await t.call('GET', '/api/v1/ttp/tags', { token: t.viewer });
      expect(r.status).toBe(200);
      const { tags, total } = r.body as { tags: Tag[]; total: number };
      expect(total).toBe(6);
      expect(tags.map((x) => x.id)).toEqual([s.tags.scanNoAttacker, s.tags.exploit, s.tags.bruteParent, s.tags.shadowNoIp, s.tags.discoveryUnlinked, s.tags.bruteLinked].map((x) => x.id));
      const shadow = tags.find((x) => x.id === s.tags.shadowNoIp.id)!;
      expect(shadow).toMatchObject({
        seq: expect.any(Number),
        technique_id: 'T1003',
        sub_technique_id: 'T1003.008',
        tactic_id: 'TA0006',
        technique_name: 'OS Credential Dumping: /etc/passwd and /etc/shadow',
        tactic_name: 'Credential Access',
        url: 'https://attack.mitre.org/techniques/T1003/008',
        rule_id: 'R0014',
        confidence: 0.95,
        observed_at: at(1.7),
        session_id: 's1',
        attack_version: '18.1',
      });
      expect(shadow).not.toHaveProperty('evidence');
      // filled from the attackers table: an address for the UUID-only tag, a UUID for unlinked ones
      expect(shadow.attacker_ip).toBe('198.51.100.23');
      expect(tags.find((x) => x.id === s.tags.discoveryUnlinked.id)?.attacker_uuid).toBe(s.attacker1);
      expect(tags.find((x) => x.id === s.tags.exploit.id)?.attacker_uuid).toBe(s.attacker2);
      expect(tags.find((x) => x.id === s.tags.scanNoAttacker.id)).toMatchObject({ attacker_ip: '192.0.2.50', attacker_uuid: null });
      expect(tags.every((x) => x.attacker_ip !== null)).toBe(true);

      const page = (await t.call('GET', '/api/v1/ttp/tags?limit=2&offset=1', { token: t.viewer })).body as { tags: Tag[]; total: number };
      expect(page.total).toBe(6);
      expect(page.tags.map((x) => x.id)).toEqual([s.tags.exploit.id, s.tags.bruteParent.id]);
      const withEvidence = (await t.call('GET', '/api/v1/ttp/tags?evidence=1&limit=1', { token: t.viewer })).body as { tags: Tag[] };
      expect(withEvidence.tags[0]?.evidence).toEqual({ matched: ['sel'] });
    });

    it('filters tags: a parent technique matches its sub-techniques, tactics by id or short name, and every other filter', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const ids = async (q: string): Promise<string[]> => {
        const r = await t.call('GET', `/api/v1/ttp/tags?${q}`, { token: t.viewer });
        expect(r.status, q).toBe(200);
        return ((r.body as { tags: Tag[] }).tags.map((x) => x.id)).sort();
      };
      const sorted = (...xs: Array<{ id: string }>): string[] => xs.map((x) => x.id).sort();
      expect(await ids('technique=T1110')).toEqual(sorted(s.tags.bruteLinked, s.tags.bruteParent));
      expect(await ids('technique=T1110.001')).toEqual(sorted(s.tags.bruteLinked));
      expect(await ids('tactic=TA0006')).toEqual(sorted(s.tags.bruteLinked, s.tags.shadowNoIp, s.tags.bruteParent));
      expect(await ids('tactic=discovery')).toEqual(sorted(s.tags.discoveryUnlinked));
      expect(await ids('attacker_ip=::ffff:203.0.113.7')).toEqual(sorted(s.tags.exploit));
      expect(await ids(`attacker_uuid=${s.attacker1.toUpperCase()}`)).toEqual(sorted(s.tags.bruteLinked, s.tags.shadowNoIp, s.tags.bruteParent));
      expect(await ids('session_id=s1')).toEqual(sorted(s.tags.bruteLinked, s.tags.shadowNoIp));
      expect(await ids('rule_id=R0007')).toEqual(sorted(s.tags.exploit, s.tags.scanNoAttacker));
      expect(await ids('min_confidence=0.92')).toEqual(sorted(s.tags.shadowNoIp));
      expect(await ids(`since=${at(1.6)}&until=${at(10)}`)).toEqual(sorted(s.tags.shadowNoIp, s.tags.bruteParent, s.tags.exploit));
      for (const bad of ['technique=T111', 'tactic=TA0099', 'min_confidence=2', 'since=yesterday', 'attacker_ip=nope', 'attacker_uuid=x', 'limit=0', 'limit=501', 'offset=-1', 'evidence=maybe']) {
        const r = await t.call('GET', `/api/v1/ttp/tags?${bad}`, { token: t.viewer });
        expect(r.status, bad).toBe(400);
        expect(r.body).toMatchObject({ error: 'validation_error' });
      }
    });

    it('shows one tag with its evidence; 404 for an unknown id', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const r = await t.call('GET', `/api/v1/ttp/tags/${s.tags.bruteLinked.id}`, { token: t.viewer });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: s.tags.bruteLinked.id, evidence: { matched: ['sel'] }, technique_name: 'Brute Force: Password Guessing', attacker_uuid: s.attacker1, attacker_ip: '198.51.100.23' });
      for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-tag']) {
        const miss = await t.call('GET', `/api/v1/ttp/tags/${id}`, { token: t.viewer });
        expect(miss.status).toBe(404);
        expect(miss.body).toMatchObject({ error: 'not_found' });
      }
    });

    it('lists technique rows in the matrix tactic order, filtered and paged', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const r = await t.call('GET', '/api/v1/ttp/techniques', { token: t.viewer });
      expect(r.status).toBe(200);
      const { techniques, total } = r.body as { techniques: Array<Record<string, unknown>>; total: number };
      expect(total).toBe(6);
      // reconnaissance, initial access, credential access (parent first), discovery
      expect(techniques.map((x) => x.sub_technique_id ?? x.technique_id)).toEqual(['T1595.002', 'T1190', 'T1003.008', 'T1110', 'T1110.001', 'T1082']);
      expect(techniques[3]).toEqual({
        technique_id: 'T1110',
        sub_technique_id: null,
        name: 'Brute Force',
        tactic_ids: ['TA0006'],
        tag_count: 1,
        attacker_count: 1,
        first_seen: at(1.8),
        last_seen: at(1.8),
        max_confidence: 0.5,
        rule_ids: ['R0002'],
        url: 'https://attack.mitre.org/techniques/T1110',
      });
      const linked = (await t.call('GET', `/api/v1/ttp/techniques?attacker_uuid=${s.attacker1}&min_confidence=0.6`, { token: t.viewer })).body as typeof r.body & { techniques: Array<Record<string, unknown>> };
      expect(linked.techniques.map((x) => x.sub_technique_id)).toEqual(['T1003.008', 'T1110.001']);
      const page = (await t.call('GET', '/api/v1/ttp/techniques?limit=2&offset=2', { token: t.viewer })).body as { techniques: Array<Record<string, unknown>>; total: number };
      expect(page).toMatchObject({ total: 6, techniques: [{ sub_technique_id: 'T1003.008' }, { technique_id: 'T1110', sub_technique_id: null }] });
      expect((await t.call('GET', '/api/v1/ttp/techniques?until=nope', { token: t.viewer })).status).toBe(400);
    });

    it('resolves the catalogue: entries with replacements, groups of a sub-technique, the catalogue and its notice', async () => {
      const t = await startTtpApi(harness);
      const one = await t.call('GET', '/api/v1/ttp/techniques/T1003.008', { token: t.viewer });
      expect(one.body).toEqual({
        id: 'T1003.008',
        name: '/etc/passwd and /etc/shadow',
        display_name: 'OS Credential Dumping: /etc/passwd and /etc/shadow',
        is_subtechnique: true,
        parent_id: 'T1003',
        tactic_ids: ['TA0006'],
        platforms: ['Linux'],
        url: 'https://attack.mitre.org/techniques/T1003/008',
        revoked: false,
        deprecated: false,
        replaced_by: null,
      });
      expect((await t.call('GET', '/api/v1/ttp/techniques/T1086', { token: t.viewer })).body).toMatchObject({ revoked: true, replaced_by: 'T1059.001' });
      const groups = (await t.call('GET', '/api/v1/ttp/techniques/T1098.004/groups', { token: t.viewer })).body as { technique_id: string; groups: Array<{ id: string; name: string; aliases: string[]; url: string }> };
      expect(groups.technique_id).toBe('T1098.004');
      expect(groups.groups.map((g) => [g.id, g.name])).toEqual([
        ['G0139', 'TeamTNT'],
        ['G1006', 'Earth Lusca'],
        ['G1045', 'Salt Typhoon'],
      ]);
      expect(groups.groups[0]?.url).toBe('https://attack.mitre.org/groups/G0139');
      expect((await t.call('GET', '/api/v1/ttp/techniques/T1999', { token: t.viewer })).status).toBe(404);
      expect((await t.call('GET', '/api/v1/ttp/techniques/T1999/groups', { token: t.viewer })).status).toBe(404);
      expect((await t.call('GET', '/api/v1/ttp/techniques/nope', { token: t.viewer })).status).toBe(400);

      const c = (await t.call('GET', '/api/v1/ttp/catalog', { token: t.viewer })).body as { version: string; domain: string; sha256: string; notice: string; techniques: Array<{ id: string }>; tactics: Array<{ id: string; shortname: string; order: number }> };
      expect(c).toMatchObject({ version: '18.1', domain: 'enterprise-attack', sha256: '537a8abea09aeb294bec4ea53b40063340d87f117e047cabc193e2c16c18f8a4' });
      expect(c.notice).toBe('© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.');
      expect(c.techniques).toHaveLength(835);
      expect(c.tactics.map((x) => x.shortname).slice(0, 3)).toEqual(['reconnaissance', 'resource-development', 'initial-access']);
      expect(c.tactics).toHaveLength(14);
    });

    it('rolls up an attacker by UUID or address: linked tags and the unlinked ones at its address; an address without a row by its tags; 404 otherwise', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const byIp = await t.call('GET', '/api/v1/ttp/by-attacker/198.51.100.23', { token: t.viewer });
      expect(byIp.status).toBe(200);
      const r = byIp.body as Rollup;
      expect(r).toMatchObject({ scope: `attacker:${s.attacker1}`, tag_count: 4, first_seen: at(1), last_seen: at(1.8), attacker_ips: ['198.51.100.23'], attacker_uuids: [s.attacker1] });
      expect(r.tactics).toEqual([
        { tactic_id: 'TA0006', name: 'Credential Access', technique_count: 3 },
        { tactic_id: 'TA0007', name: 'Discovery', technique_count: 1 },
      ]);
      expect(r.techniques.map((x) => x.sub_technique_id ?? x.technique_id)).toEqual(['T1003.008', 'T1110', 'T1110.001', 'T1082']);
      expect((await t.call('GET', `/api/v1/ttp/by-attacker/${s.attacker1}`, { token: t.viewer })).body).toEqual(r);
      expect(((await t.call('GET', `/api/v1/ttp/by-attacker/${s.attacker1}?since=${at(1.6)}`, { token: t.viewer })).body as Rollup).tag_count).toBe(2);

      const unknownRow = (await t.call('GET', '/api/v1/ttp/by-attacker/192.0.2.50', { token: t.viewer })).body as Rollup;
      expect(unknownRow).toMatchObject({ scope: 'attacker:192.0.2.50', tag_count: 1, attacker_ips: ['192.0.2.50'], attacker_uuids: [] });
      expect(unknownRow.techniques).toMatchObject([{ technique_id: 'T1595', sub_technique_id: 'T1595.002', name: 'Active Scanning: Vulnerability Scanning' }]);
      for (const id of ['192.0.2.99', '00000000-0000-0000-0000-000000000000', 'not-an-address']) {
        const miss = await t.call('GET', `/api/v1/ttp/by-attacker/${id}`, { token: t.viewer });
        expect(miss.status, id).toBe(404);
        expect(miss.body).toMatchObject({ error: 'not_found' });
      }
      expect((await t.call('GET', '/api/v1/ttp/by-attacker/198.51.100.23?since=x', { token: t.viewer })).status).toBe(400);
    });

    it('rolls up a session by its id or its attacker_sessions row, with a timeline; falls back to the attacker’s tags on that decky in the window', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const bySid = (await t.call('GET', '/api/v1/ttp/by-session/s1', { token: t.viewer })).body as Rollup & { timeline: Array<Record<string, unknown>> };
      expect(bySid).toMatchObject({ scope: 'session:s1', tag_count: 2, first_seen: at(1), last_seen: at(1.7) });
      expect(bySid.timeline).toEqual([
        { observed_at: at(1), technique_id: 'T1110', sub_technique_id: 'T1110.001', rule_id: 'R0001', tag_id: s.tags.bruteLinked.id },
        { observed_at: at(1.7), technique_id: 'T1003', sub_technique_id: 'T1003.008', rule_id: 'R0014', tag_id: s.tags.shadowNoIp.id },
      ]);
      const byRow = (await t.call('GET', `/api/v1/ttp/by-session/${s.session1}`, { token: t.viewer })).body as typeof bySid;
      expect(byRow).toMatchObject({ scope: `session:${s.session1}`, tag_count: 2, timeline: bySid.timeline });

      // no tag carries the second session's id (it has none): 203.0.113.7's tags on decky-03 in [7 s, 12 s]
      const fallback = (await t.call('GET', `/api/v1/ttp/by-session/${s.session2}`, { token: t.viewer })).body as typeof bySid;
      expect(fallback).toMatchObject({ tag_count: 1, attacker_ips: ['203.0.113.7'], timeline: [{ tag_id: s.tags.exploit.id, technique_id: 'T1190' }] });
      for (const id of ['nope', '00000000-0000-0000-0000-000000000000']) expect((await t.call('GET', `/api/v1/ttp/by-session/${id}`, { token: t.viewer })).status, id).toBe(404);
    });

    it('caps a session timeline at the 500 oldest tags, oldest first', async () => {
      const t = await startTtpApi(harness);
      const many = Array.from({ length: 502 }, (_, i) => tag('T1082', { s: i, session_id: 'long', tactic_id: 'TA0007' }));
      await insertTags(t.db, many);
      const r = (await t.call('GET', '/api/v1/ttp/by-session/long', { token: t.viewer })).body as Rollup & { timeline: Array<{ tag_id: string; observed_at: string }> };
      expect(r.tag_count).toBe(502);
      expect(r.timeline).toHaveLength(500);
      expect(r.timeline[0]?.observed_at).toBe(at(0));
      expect(r.timeline[499]?.observed_at).toBe(at(499));
    });

    it('answers identity_not_found and campaign_not_found for every id', async () => {
      const t = await startTtpApi(harness);
      await seed(t);
      for (const [path, code] of [
        ['by-identity', 'identity_not_found'],
        ['by-campaign', 'campaign_not_found'],
      ] as const) {
        for (const id of ['00000000-0000-0000-0000-000000000000', 'whatever']) {
          const r = await t.call('GET', `/api/v1/ttp/${path}/${id}`, { token: t.viewer });
          expect(r.status).toBe(404);
          expect(r.body).toMatchObject({ error: code });
        }
      }
    });

    it('adds technique_ids to attacker rows and techniques to the profile (linked and unlinked at the address)', async () => {
      const t = await startTtpApi(harness);
      const s = await seed(t);
      const list = (await t.call('GET', '/api/v1/attackers', { token: t.viewer })).body as { attackers: Array<{ id: string; technique_ids: string[] }> };
      const ids = new Map(list.attackers.map((a) => [a.id, a.technique_ids]));
      expect(ids.get(s.attacker1)).toEqual(['T1003.008', 'T1082', 'T1110', 'T1110.001']);
      expect(ids.get(s.attacker2)).toEqual(['T1190']);
      const profile = (await t.call('GET', '/api/v1/attackers/198.51.100.23', { token: t.viewer })).body as { ip: string; techniques: Array<{ technique_id: string; sub_technique_id: string | null; first_seen: string; tag_count: number; name: string }> };
      expect(profile.ip).toBe('198.51.100.23');
      expect(profile.techniques.map((x) => [x.sub_technique_id ?? x.technique_id, x.first_seen])).toEqual([
        ['T1110.001', at(1)],
        ['T1082', at(1.5)],
        ['T1003.008', at(1.7)],
        ['T1110', at(1.8)],
      ]);
      expect(profile.techniques[2]).toMatchObject({ name: 'OS Credential Dumping: /etc/passwd and /etc/shadow', tag_count: 1 });
    });
  });
}
