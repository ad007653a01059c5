/**
 * `decnet ttp lint|test|eval` (ttp.md §9.2–§9.4), run in process through the real program:
 * lint lines and exit codes, `--json`, `--coverage` equal to docs/rules.md, `test`'s last
 * line and exit code, `eval` output and its exit code on an invalid line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { embeddedCoverage } from '../../src/ttp/index.js';
import { ruleText } from './helpers.js';

let out: string[];
let err: string[];
const env = { ...process.env };

beforeEach(() => {
  out = [];
  err = [];
  process.env.DECNET_HOME = mkdtempSync(join(tmpdir(), 'ttp-cli-home-'));
  process.env.DECNET_TTP_RULES_DIR = 'off';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...env };
  process.exitCode = undefined;
});

const lines = (chunks: string[]): string[] => chunks.join('').split('\n').filter((l) => l !== '');
const ttp = (...args: string[]): Promise<number> => main(['node', 'decnet', 'ttp', ...args]);

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ttp-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const good = ruleText({ id: 'L0001', detection: '  s: {command_text|contains: wget}\n  condition: s', extra: "tests:\n  - {name: fires, input: {kind: command, command_text: 'wget x'}, expect: [T1059]}\n  - {name: quiet, input: {kind: command, command_text: 'ls'}, expect: []}" });

describe('decnet ttp lint', () => {
  it('the shipped pack lints clean', async () => {
    expect(await ttp('lint')).toBe(0);
    expect(lines(out).at(-1)).toBe('61 rules, 0 errors, 0 warnings');
  }, 120_000);

  it('prints file:line: rule id: path: message — hint, and exits 1 on an error', async () => {
    const dir = dirWith({ 'bad.yaml': good.replace("command_text|contains: wget", "command_text|re: '(?i)wget'") });
    expect(await ttp('lint', dir)).toBe(1);
    const l = lines(out);
    expect(l[0]).toMatch(/bad\.yaml:10: L0001: detection\.s\.command_text\|re: .* — .*flags: i/);
    expect(l.at(-1)).toMatch(/^1 rules, 1 errors, \d+ warnings$/);
  });

  it('--json prints the problem objects; --strict fails on warnings', async () => {
    const dir = dirWith({ 'warn.yaml': good });
    expect(await ttp('lint', '--json', dir)).toBe(0);
    const problems = JSON.parse(out.join('')) as { code: string; severity: string }[];
    expect(problems.map((p) => p.code)).toContain('can_promote');
    expect(problems.every((p) => p.severity === 'warning')).toBe(true);
    expect(await ttp('lint', '--strict', dir)).toBe(1);
  });

  it('--coverage prints the table docs/rules.md embeds', async () => {
    expect(await ttp('lint', '--coverage')).toBe(0);
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rules.md'), 'utf8');
    expect(out.join('')).toBe(embeddedCoverage(doc));
  }, 120_000);
});

describe('decnet ttp test', () => {
  it('ends with `N passed, N failed` and exits 0 on the pack', async () => {
    expect(await ttp('test')).toBe(0);
    expect(lines(out).at(-1)).toMatch(/^\d{3} passed, 0 failed$/);
  }, 120_000);

  it('a failing test prints where and why, and exits 1', async () => {
    const dir = dirWith({ 'a.yaml': good.replace("expect: []}", 'expect: [T1059]}') });
    expect(await ttp('test', dir)).toBe(1);
    const l = lines(out);
    expect(l).toContainEqual(expect.stringMatching(/a\.yaml:\d+: L0001: quiet: expected \[T1059\], got \[\]/));
    expect(l.at(-1)).toBe('1 passed, 1 failed');
  });

  it('a rule that does not lint fails all its tests; --rule filters', async () => {
    const dir = dirWith({ 'a.yaml': good, 'b.yaml': good.replace('id: L0001', 'id: L0002').replace('T1059, tactic: TA0002', 'T1059, tactic: TA0011') });
    expect(await ttp('test', dir)).toBe(1);
    expect(lines(out).at(-1)).toBe('2 passed, 2 failed');
    out.length = 0;
    expect(await ttp('test', '--rule', 'L0001', dir)).toBe(0);
    expect(lines(out).at(-1)).toBe('2 passed, 0 failed');
  });
});

describe('decnet ttp eval', () => {
  it('prints one JSON line per tag', async () => {
    expect(await ttp('eval', '--input', JSON.stringify([{ kind: 'command', command_text: 'cat /etc/shadow' }, { kind: 'command', command_text: 'ls' }]))).toBe(0);
    const tags = lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(tags).toEqual([expect.objectContaining({ line: 1, rule_id: 'R0014', technique: 'T1003.008', tactic_id: 'TA0006', confidence: 0.95 })]);
    expect(Object.keys(tags[0] ?? {})).toEqual(['line', 'rule_id', 'technique', 'tactic_id', 'confidence', 'tag_id', 'input_id', 'evidence']);
  }, 120_000);

  it('reads JSON lines from standard input; an invalid line goes to stderr and exits 1', async () => {
    const stdin = Readable.from(['{"kind":"command","command_text":"uname -a"}\n', 'not json\n', '{"kind":"auth"}\n']);
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    const dir = dirWith({ 'a.yaml': good.replace('wget', 'uname') });
    expect(await ttp('eval', '--rules', dir)).toBe(1);
    expect(lines(out).map((l) => (JSON.parse(l) as { rule_id: string }).rule_id)).toEqual(['L0001']);
    expect(lines(err).filter((l) => l.startsWith('line '))).toEqual([expect.stringMatching(/^line 2: /), expect.stringMatching(/^line 3: .*auth_attempt/)]);
  });
});
