/**
 * The rule API (ttp.md §5, §7.4, §8.2) on SQLite and PostgreSQL: the API's own view of the
 * builtin and database stores, then the worker's catalogue; validate; PUT and DELETE of the
 * database store; operators' states, published and journaled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuleCatalogRow } from '../../src/db/index.js';
import { builtinPackDir, sha256 } from '../../src/ttp/index.js';
import { dialects, insertTags, L0001, startTtpApi, tag, type TtpApi } from './ttp-support.js';

const R0021_TEXT = readFileSync(join(builtinPackDir(), 'R0021.yaml'), 'utf8');
/** The shipped R0021 with a new version and confidence: its pattern's proof is cached. */
const R0021_V3 = R0021_TEXT.replace('version: 2', 'version: 3').replace('confidence: 0.7', 'confidence: 0.75');
const UNKNOWN_TECHNIQUE = L0001.replace('technique: T1049', 'technique: T1999');
/** A must-fire test whose input does not fire. */
const FAILING_TEST = L0001.replace('{name: netstat alone, input: {kind: command, command_text: netstat}', '{name: netstat alone, input: {kind: command, command_text: ss}');
/** A pattern no cache has proved. */
const UNPROVEN = L0001.replace('tool: {programs: [netstat]}', "tool: {command_text|re: 'net(?:stat|work)[0-9]{0,3}'}");

type Rule = Record<string, unknown> & { id: string; source: string | null; version: number | null; state: { state: string } };

async function ruleIds(t: TtpApi, q = ''): Promise<{ ids: string[]; total: number }> {
  const r = await t.call('GET', `/api/v1/ttp/rules${q}`, { token: t.viewer });
  expect(r.status, q).toBe(200);
  const body = r.body as { rules: Rule[]; total: number };
  return { ids: body.rules.map((x) => x.id), total: body.total };
}

async function storedRules(t: TtpApi): Promise<Map<string, string>> {
  return t.db.repos.ttpRules.hashes();
}

function catalogRow(o: Partial<RuleCatalogRow> & { rule_id: string }): RuleCatalogRow {
  return {
    source: 'builtin',
    version: 2,
    content_sha256: sha256(R0021_TEXT),
    yaml: R0021_TEXT,
    name: 'network_connections_discovery',
    title: 'Network connections discovery',
    status: 'stable',
    inputs: ['command'],
    emits: [{ technique: 'T1049', tactic: 'TA0007', confidence: 0.7 }],
    candidates: [{ source: 'builtin', version: 2, content_sha256: sha256(R0021_TEXT), valid: true, pending: false, problems: [], path: '/pack/R0021.yaml', seen_at: '2026-05-01T12:00:00.000000Z' }],
    last_error: null,
    loaded_at: '2026-05-01T12:00:00.000000Z',
    instance: 'host:1',
    updated_at: '2026-05-01T12:00:00.000000Z',
    ...o,
  };
}

for (const [name, harness] of await dialects('ttp_rules')) {
  describe(`ATT&CK rule API on ${name}`, () => {
    it('answers 401 without a token and 403 to viewers on every admin route', async () => {
      const t = await startTtpApi(harness);
      const admin: Array<['POST' | 'PUT' | 'DELETE', string, unknown]> = [
        ['POST', '/api/v1/ttp/rules/validate', { yaml: L0001 }],
        ['PUT', '/api/v1/ttp/rules/L0001', { yaml: L0001 }],
        ['DELETE', '/api/v1/ttp/rules/L0001', undefined],
        ['PUT', '/api/v1/ttp/rules/R0017/state', { state: 'disabled' }],
        ['DELETE', '/api/v1/ttp/rules/R0017/state', undefined],
      ];
      for (const [method, url, body] of admin) {
        const anonymous = await t.call(method, url, { body });
        expect(anonymous.status, url).toBe(401);
        expect(anonymous.headers['www-authenticate']).toBe('Bearer');
        const viewer = await t.call(method, url, { body, token: t.viewer });
        expect(viewer.status, url).toBe(403);
        expect(viewer.body).toMatchObject({ error: 'forbidden' });
      }
      expect((await storedRules(t)).size).toBe(0);
      expect(await t.db.repos.ttpRules.listStates()).toEqual([]);
    });

    it('shows the builtin pack validated by the API until a worker writes the catalogue, filtered and paged', async () => {
      const t = await startTtpApi(harness);
      await insertTags(t.db, [tag('T1049', { s: 1, rule_id: 'R0021', tactic_id: 'TA0007' }), tag('T1049', { s: 2, rule_id: 'R0021', tactic_id: 'TA0007' })]);
      const all = (await t.call('GET', '/api/v1/ttp/rules?limit=500', { token: t.viewer })).body as { rules: Rule[]; total: number };
      expect(all.total).toBe(61);
      expect(all.rules.map((r) => r.id)).toEqual([...all.rules.map((r) => r.id)].sort());
      expect(all.rules.every((r) => r.source === 'builtin')).toBe(true);
      const r0021 = all.rules.find((r) => r.id === 'R0021');
      expect(r0021).toEqual({
        id: 'R0021',
        version: 2,
        name: 'network_connections_discovery',
        title: 'Network connections discovery',
        status: 'stable',
        pending: null,
        source: 'builtin',
        content_sha256: sha256(R0021_TEXT),
        inputs: ['command'],
        emits: [{ technique: 'T1049', tactic: 'TA0007', confidence: 0.7 }],
        state: { rule_id: 'R0021', state: 'enabled', confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null },
        last_error: null,
        loaded_at: null,
        tag_count: 2,
      });
      expect(await ruleIds(t, '?limit=2&offset=1')).toEqual({ ids: ['R0002', 'R0003'], total: 61 });
      expect((await ruleIds(t, '?status=deprecated')).ids).toEqual(['R0058']);
      expect((await ruleIds(t, '?q=CONNECTIONS')).ids).toEqual(['R0021']);
      expect((await ruleIds(t, '?technique=T1110')).ids).toEqual(expect.arrayContaining(['R0001', 'R0002']));
      expect((await ruleIds(t, '?input=email&status=stable')).ids.length).toBeGreaterThan(0);
      expect((await ruleIds(t, '?source=database')).total).toBe(0);
      for (const bad of ['?status=beta', '?source=disk', '?input=commands', '?technique=X', '?limit=501']) expect((await t.call('GET', `/api/v1/ttp/rules${bad}`, { token: t.viewer })).status, bad).toBe(400);

      const detail = (await t.call('GET', '/api/v1/ttp/rules/R0021', { token: t.viewer })).body as Rule & { candidates: Array<Record<string, unknown>> };
      expect(detail).toMatchObject({ id: 'R0021', yaml: R0021_TEXT, evidence_fields: ['command_text'], test_count: 6, tag_count: 2 });
      expect(detail.description).toContain('Listing sockets and connections');
      expect(detail.candidates).toMatchObject([{ source: 'builtin', version: 2, valid: true, pending: false, content_sha256: sha256(R0021_TEXT) }]);
      expect((await t.call('GET', '/api/v1/ttp/rules/L9999', { token: t.viewer })).status).toBe(404);
      expect((await t.call('GET', '/api/v1/ttp/rules/bad%20id', { token: t.viewer })).status).toBe(400);
    });

    it('shows the worker’s catalogue once it has rows, never the API’s own view', async () => {
      const t = await startTtpApi(harness);
      await t.db.write((tx) =>
        t.db.repos.ttpRules.upsertCatalog(
          tx,
          catalogRow({ rule_id: 'R0021', last_error: { source: 'filesystem', at: '2026-05-01T12:00:01.000000Z', problems: [{ code: 'yaml_syntax', line: 3, path: '', message: 'bad' }] } }),
        ),
      );
      expect(await ruleIds(t)).toEqual({ ids: ['R0021'], total: 1 });
      const detail = (await t.call('GET', '/api/v1/ttp/rules/R0021', { token: t.viewer })).body as Rule;
      expect(detail).toMatchObject({ source: 'builtin', version: 2, loaded_at: '2026-05-01T12:00:00.000000Z', test_count: 6, evidence_fields: ['command_text'], last_error: { source: 'filesystem', problems: [{ code: 'yaml_syntax' }] } });
      expect((await t.call('GET', '/api/v1/ttp/rules/R0017', { token: t.viewer })).status).toBe(404);
    });

    it('validates a text as JSON or YAML without writing anything; 413 over 256 KiB, 415 for other media types', async () => {
      const t = await startTtpApi(harness);
      const validate = (body: unknown, type?: string) => t.call('POST', '/api/v1/ttp/rules/validate', { token: t.admin, body, ...(type ? { type } : {}) });
      const ok = await validate({ yaml: L0001 });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        valid: true,
        rule: { id: 'L0001', version: 1, name: 'netstat_run', status: 'stable', inputs: ['command'], emits: [{ technique: 'T1049', tactic: 'TA0007', confidence: 0.6 }], content_sha256: sha256(L0001) },
        tests: { passed: 4, failed: 0 },
      });
      expect((ok.body as { tests: { results: unknown[] } }).tests.results).toHaveLength(4);
      expect((await validate(L0001, 'application/yaml')).body).toMatchObject({ valid: true, rule: { id: 'L0001' } });

      const bad = (await validate({ yaml: UNKNOWN_TECHNIQUE })).body as { valid: boolean; rule: unknown; problems: Array<{ code: string; line: number }> };
      expect(bad).toMatchObject({ valid: false, rule: null });
      expect(bad.problems).toContainEqual(expect.objectContaining({ code: 'unknown_technique', line: 12 }));
      const failing = (await validate({ yaml: FAILING_TEST })).body as { valid: boolean; problems: Array<{ code: string }>; tests: { passed: number; failed: number } };
      expect(failing).toMatchObject({ valid: false, tests: { passed: 3, failed: 1 } });
      expect(failing.problems.map((p) => p.code)).toContain('test_failed');
      const unproven = (await validate({ yaml: UNPROVEN })).body as { valid: boolean; problems: Array<{ code: string; path: string; line: number }> };
      expect(unproven.valid).toBe(false);
      expect(unproven.problems).toContainEqual(expect.objectContaining({ code: 'redos_unproven', path: 'detection.tool.command_text|re', line: 9 }));

      expect((await validate('id: x', 'text/plain')).status).toBe(415);
      expect((await validate('<rule/>', 'application/xml')).status).toBe(415);
      expect((await validate({ text: L0001 })).status).toBe(422);
      expect((await validate('"just a string"')).status).toBe(422);
      const big = await validate({ yaml: `${L0001}# ${'x'.repeat(300 * 1024)}\n` });
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ error: 'payload_too_large' });
      expect((await storedRules(t)).size).toBe(0);
    });

    it('answers 429 past 30 validations a minute per user', async () => {
      const t = await startTtpApi(harness);
      const validate = (token: string) => t.call('POST', '/api/v1/ttp/rules/validate', { token, body: { yaml: L0001 } });
      for (let i = 0; i < 30; i++) expect((await validate(t.admin)).status).toBe(200);
      const limited = await validate(t.admin);
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ error: 'rate_limited' });
      const other = await t.db.repos.users.create({ username: 'admin2', passwordHash: 'unused', role: 'admin', mustChangePassword: false });
      expect((await validate((await t.api.ctx.tokens.issue(other.id, 'admin', other.tokensValidFrom)).token)).status).toBe(200);
      t.clock.advance(60_000);
      expect((await validate(t.admin)).status).toBe(200);
      expect((await storedRules(t)).size).toBe(0);
    });

    it('PUT stores a valid definition (201, then 200) that GET /rules/{id} shows; an invalid one is 422 and writes nothing; a foreign id is 409', async () => {
      const t = await startTtpApi(harness);
      const put = (id: string, body: unknown, type?: string) => t.call('PUT', `/api/v1/ttp/rules/${id}`, { token: t.admin, body, ...(type ? { type } : {}) });

      const invalid = await put('L0001', { yaml: UNKNOWN_TECHNIQUE });
      expect(invalid.status).toBe(422);
      expect(invalid.body).toMatchObject({ error: 'rule_invalid', details: { problems: expect.arrayContaining([expect.objectContaining({ code: 'unknown_technique' })]) } });
      expect((await put('L0001', { yaml: UNPROVEN })).body).toMatchObject({ error: 'rule_invalid', details: { problems: expect.arrayContaining([expect.objectContaining({ code: 'redos_unproven' })]) } });
      expect((await put('L0001', { yaml: FAILING_TEST })).status).toBe(422);
      expect((await put('L0002', { yaml: L0001 })).body).toMatchObject({ error: 'id_mismatch' });
      expect((await put('L0002', { yaml: L0001 })).status).toBe(409);
      expect((await storedRules(t)).size).toBe(0);

      const created = await put('L0001', { yaml: L0001 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'L0001', version: 1, source: 'database', yaml: L0001, content_sha256: sha256(L0001), test_count: 4, effective: { source: 'database', version: 1 }, applied: false });
      expect(await storedRules(t)).toEqual(new Map([['L0001', sha256(L0001)]]));
      expect(await t.db.repos.ttpRules.getRule('L0001')).toMatchObject({ yaml: L0001, updated_by: 'admin1' });
      const shown = (await t.call('GET', '/api/v1/ttp/rules/L0001', { token: t.viewer })).body as Rule;
      expect(shown).toMatchObject({ id: 'L0001', source: 'database', version: 1, yaml: L0001, title: 'netstat from a shell', candidates: [{ source: 'database', valid: true }] });

      // the shipped R0021 overridden, sent as YAML: the builtin stays a candidate below it
      const override = await put('R0021', R0021_V3, 'application/yaml');
      expect(override.status).toBe(201);
      expect(override.body).toMatchObject({ version: 3, source: 'database', effective: { source: 'database', version: 3 }, candidates: [{ source: 'builtin', version: 2 }, { source: 'database', version: 3 }] });
      const replaced = await put('R0021', { yaml: R0021_V3.replace('confidence: 0.75', 'confidence: 0.8').replace('version: 3', 'version: 4') });
      expect(replaced.status).toBe(200);
      expect(((await t.call('GET', '/api/v1/ttp/rules/R0021', { token: t.viewer })).body as Rule)).toMatchObject({ version: 4, source: 'database', emits: [{ confidence: 0.8 }] });
      expect((await ruleIds(t, '?source=database')).ids).toEqual(['L0001', 'R0021']);
      expect((await ruleIds(t)).total).toBe(62);
    });

    it('PUT reports applied once the worker’s catalogue shows the stored content from the database', async () => {
      const t = await startTtpApi(harness);
      await t.db.write((tx) => t.db.repos.ttpRules.upsertCatalog(tx, catalogRow({ rule_id: 'R0021' })));
      const first = await t.call('PUT', '/api/v1/ttp/rules/R0021', { token: t.admin, body: { yaml: R0021_V3 } });
      expect(first.body).toMatchObject({ effective: { source: 'database', version: 3 }, applied: false });
      await t.db.write((tx) => t.db.repos.ttpRules.upsertCatalog(tx, catalogRow({ rule_id: 'R0021', source: 'database', version: 3, content_sha256: sha256(R0021_V3), yaml: R0021_V3 })));
      const again = await t.call('PUT', '/api/v1/ttp/rules/R0021', { token: t.admin, body: { yaml: R0021_V3 } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ applied: true, source: 'database', version: 3 });
    });

    it('DELETE removes the database definition and names what takes over; 404 without one', async () => {
      const t = await startTtpApi(harness);
      expect((await t.call('PUT', '/api/v1/ttp/rules/R0021', { token: t.admin, body: { yaml: R0021_V3 } })).status).toBe(201);
      expect((await t.call('PUT', '/api/v1/ttp/rules/L0001', { token: t.admin, body: { yaml: L0001 } })).status).toBe(201);
      const fallsBack = await t.call('DELETE', '/api/v1/ttp/rules/R0021', { token: t.admin });
      expect(fallsBack.status).toBe(200);
      expect(fallsBack.body).toEqual({ id: 'R0021', removed: 'database', effective: { source: 'builtin', version: 2 } });
      expect((await t.call('GET', '/api/v1/ttp/rules/R0021', { token: t.viewer })).body).toMatchObject({ source: 'builtin', version: 2, yaml: R0021_TEXT });
      expect((await t.call('DELETE', '/api/v1/ttp/rules/L0001', { token: t.admin })).body).toEqual({ id: 'L0001', removed: 'database', effective: null });
      expect((await t.call('GET', '/api/v1/ttp/rules/L0001', { token: t.viewer })).status).toBe(404);
      for (const id of ['L0001', 'R0017']) {
        const r = await t.call('DELETE', `/api/v1/ttp/rules/${id}`, { token: t.admin });
        expect(r.status, id).toBe(404);
        expect(r.body).toMatchObject({ error: 'not_found' });
      }
      expect((await storedRules(t)).size).toBe(0);
    });

    it('PUT /state commits the setting, journals and publishes ttp.rule.state.<id>; DELETE reverts to enabled', async () => {
      const t = await startTtpApi(harness);
      const expires = '2026-05-03T12:00:00.000000Z'; // one day after the clock
      const set = await t.call('PUT', '/api/v1/ttp/rules/R0017/state', { token: t.admin, body: { state: 'clipped', confidence_max: 0.5, expires_at: '2026-05-03T12:00:00Z', reason: 'noisy on the lab subnet' } });
      expect(set.status).toBe(200);
      const setAt = t.clock.isoNow();
      expect(set.body).toEqual({ rule_id: 'R0017', state: 'clipped', confidence_max: 0.5, expires_at: expires, reason: 'noisy on the lab subnet', set_by: 'admin1', set_at: setAt });
      expect(await t.db.repos.ttpRules.getState('R0017')).toEqual(set.body);
      await t.settle();
      const payload = { rule_id: 'R0017', state: 'clipped', confidence_max: 0.5, expires_at: expires, reason: 'noisy on the lab subnet', set_by: 'admin1', set_at: setAt, previous_state: 'enabled', auto_revert: false };
      const live = t.events.filter((e) => e.topic === 'ttp.rule.state.R0017');
      expect(live).toHaveLength(1);
      expect(live[0]).toMatchObject({ type: 'rule.state', payload });
      const journal = await t.db.repos.journal.readAfter(0, { patterns: ['ttp.rule.state.>'], limit: 10 });
      expect(journal).toHaveLength(1);
      expect(journal[0]).toMatchObject({ topic: 'ttp.rule.state.R0017', type: 'rule.state', id: live[0]!.id, payload });
      expect((await t.call('GET', '/api/v1/ttp/rules/R0017', { token: t.viewer })).body).toMatchObject({ state: { state: 'clipped', confidence_max: 0.5 } });

      const disabled = await t.call('PUT', '/api/v1/ttp/rules/R0017/state', { token: t.admin, body: { state: 'disabled' } });
      expect(disabled.body).toMatchObject({ state: 'disabled', confidence_max: null, expires_at: null, reason: null });
      const reverted = await t.call('DELETE', '/api/v1/ttp/rules/R0017/state', { token: t.admin });
      expect(reverted.status).toBe(200);
      expect(reverted.body).toMatchObject({ rule_id: 'R0017', state: 'enabled', confidence_max: null, expires_at: null, set_by: 'admin1' });
      expect(await t.db.repos.ttpRules.getState('R0017')).toBeUndefined();
      await t.settle();
      expect(t.events.filter((e) => e.topic === 'ttp.rule.state.R0017').map((e) => [(e.payload as { state: string }).state, (e.payload as { previous_state: string }).previous_state])).toEqual([
        ['clipped', 'enabled'],
        ['disabled', 'clipped'],
        ['enabled', 'disabled'],
      ]);
      expect(await t.db.repos.journal.readAfter(0, { patterns: ['ttp.rule.state.>'], limit: 10 })).toHaveLength(3);
      const none = await t.call('DELETE', '/api/v1/ttp/rules/R0017/state', { token: t.admin });
      expect(none.status).toBe(404);
    });

    it('refuses bad settings (422) and unknown rules (404) without writing or publishing', async () => {
      const t = await startTtpApi(harness);
      const put = (id: string, body: unknown) => t.call('PUT', `/api/v1/ttp/rules/${id}/state`, { token: t.admin, body });
      for (const body of [
        { state: 'clipped' },
        { state: 'clipped', confidence_max: 0.2 },
        { state: 'clipped', confidence_max: 1.5 },
        { state: 'disabled', confidence_max: 0.5 },
        { state: 'disabled', expires_at: '2026-05-02T11:59:59Z' },
        { state: 'disabled', expires_at: '2026-06-02T12:00:01Z' },
        { state: 'disabled', expires_at: 'tomorrow' },
        { state: 'disabled', reason: 'x'.repeat(513) },
        { state: 'paused' },
      ]) {
        const r = await put('R0017', body);
        expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
        expect(r.body).toMatchObject({ error: 'validation_error' });
      }
      expect((await put('R0017', { state: 'disabled', expires_at: '2026-06-01T12:00:00Z', reason: 'x'.repeat(512) })).status).toBe(200);
      const unknown = await put('L9999', { state: 'disabled' });
      expect(unknown.status).toBe(404);
      expect((await t.call('DELETE', '/api/v1/ttp/rules/L9999/state', { token: t.admin })).status).toBe(404);
      // a rule known only to the database store has a state too
      await t.call('PUT', '/api/v1/ttp/rules/L0001', { token: t.admin, body: { yaml: L0001 } });
      expect((await put('L0001', { state: 'disabled' })).status).toBe(200);
      await t.settle();
      expect(t.events.filter((e) => e.topic.startsWith('ttp.rule.state.')).map((e) => e.topic)).toEqual(['ttp.rule.state.R0017', 'ttp.rule.state.L0001']);
      expect((await t.db.repos.ttpRules.listStates()).map((s) => s.rule_id).sort()).toEqual(['L0001', 'R0017']);
    });

    it('treats an expired setting as enabled', async () => {
      const t = await startTtpApi(harness);
      await t.call('PUT', '/api/v1/ttp/rules/R0017/state', { token: t.admin, body: { state: 'disabled', expires_at: '2026-05-02T13:00:00Z' } });
      expect((await t.call('GET', '/api/v1/ttp/rules/R0017', { token: t.viewer })).body).toMatchObject({ state: { state: 'disabled' } });
      t.clock.advance(2 * 3_600_000);
      expect((await t.call('GET', '/api/v1/ttp/rules/R0017', { token: t.viewer })).body).toMatchObject({ state: { state: 'enabled', set_by: null } });
      const reverted = await t.call('PUT', '/api/v1/ttp/rules/R0017/state', { token: t.admin, body: { state: 'disabled' } });
      expect(reverted.status).toBe(200);
      await t.settle();
      expect(t.events.filter((e) => e.topic === 'ttp.rule.state.R0017').map((e) => (e.payload as { previous_state: string }).previous_state)).toEqual(['enabled', 'enabled']);
    });
  });
}
