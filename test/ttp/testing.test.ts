/** In-file test features (ttp.md §2.8): defaults, `after`, `repeat`/`every` with `{n}`, `password`, expect forms. */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/ttp/index.js';
import { rule, ruleText, validate } from './helpers.js';

const detection = '  s: {username|exists: true}\n  condition: s';

describe('in-file tests', () => {
  it('expands inputs with the defaults, `after`, `repeat`, `every` and `{n}`', async () => {
    const r = await rule(
      ruleText({
        inputs: 'auth_attempt',
        detection,
        emits: '  - {technique: T1110, tactic: TA0006, confidence: 0.5}',
        extra: ['tests:', '  - name: expansion', '    inputs:', "      - {kind: auth_attempt, username: a, password: 'x'}", "      - {repeat: 3, every: 2s, after: 1m, input: {kind: auth_attempt, username: 'u{n}', password: 'pw{n}'}}", '      - {kind: auth_attempt, username: b, after: 2h, attacker_ip: 198.51.100.9, service: telnet}', '    expect: {techniques: [T1110], count: 5}'].join('\n'),
      }),
    );
    const inputs = r.def.tests[0]?.inputs ?? [];
    expect(inputs.map((i) => i.ts_text)).toEqual(['2026-01-01T00:00:00.000000Z', '2026-01-01T00:01:00.000000Z', '2026-01-01T00:01:02.000000Z', '2026-01-01T00:01:04.000000Z', '2026-01-01T02:01:04.000000Z']);
    expect(inputs.map((i) => i.username)).toEqual(['a', 'u1', 'u2', 'u3', 'b']);
    expect(inputs[2]?.password_sha256).toBe(sha256Hex('pw2'));
    expect(inputs[0]).toMatchObject({ attacker_ip: '203.0.113.10', decky: 'decky-01', service: 'ssh', outcome: 'unknown' });
    expect(inputs[4]).toMatchObject({ attacker_ip: '198.51.100.9', service: 'telnet' });
    expect(inputs.every((i) => i.password === undefined)).toBe(true);
  });

  it('expect is the exact set; count and max_confidence are checked when given', async () => {
    const base = { inputs: 'auth_attempt', detection, emits: '  - {technique: T1110, tactic: TA0006, confidence: 0.5}' };
    const run = async (expectText: string): Promise<boolean> => {
      const r = await validate(ruleText({ ...base, extra: `tests:\n  - {name: t, input: {kind: auth_attempt, username: a}, expect: ${expectText}}` }));
      return r.tests?.[0]?.passed ?? false;
    };
    expect(await run('[T1110]')).toBe(true);
    expect(await run('[]')).toBe(false);
    expect(await run('{techniques: [T1110], count: 1, max_confidence: 0.5}')).toBe(true);
    expect(await run('{techniques: [T1110], count: 2}')).toBe(false);
    expect(await run('{techniques: [T1110], max_confidence: 0.9}')).toBe(false);
  });

  it('each test runs in a fresh engine: state does not leak between tests', async () => {
    const r = await validate(
      ruleText({
        inputs: 'auth_attempt',
        detection: '  f: {outcome: failure}\n  condition: f',
        extra: 'aggregate: {function: count, by: [attacker_ip], window: 1h, gte: 3}\ntests:\n  - name: two\n    inputs: [{repeat: 2, input: {kind: auth_attempt, outcome: failure, username: a, password: "p{n}"}}]\n    expect: []\n  - name: two more\n    inputs: [{repeat: 2, input: {kind: auth_attempt, outcome: failure, username: b, password: "q{n}"}}]\n    expect: []',
        emits: '  - {technique: T1110, tactic: TA0006, confidence: 0.5}',
      }),
    );
    expect(r.tests?.map((t) => t.passed)).toEqual([true, true]);
  });

  it('a test input of a kind the rule does not read is invalid', async () => {
    const r = await validate(ruleText({ detection: '  s: {command_text|contains: x}\n  condition: s', extra: 'tests:\n  - {name: t, input: {kind: http_request, path: /}, expect: []}' }));
    expect(r.problems.map((p) => p.code)).toContain('test_input_invalid');
    expect(r.rule).toBeNull();
  });
});
