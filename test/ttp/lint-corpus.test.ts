/**
 * The lint corpus (ttp.md §13): one file per §3.2 code giving that code at the expected
 * line and path with a hint. Codes that need more than one file or a context (size,
 * duplicates, a previous version, an unprovable pattern) are built here.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_PROBLEM_CODES, validateFiles, type Problem, type ProblemCode } from '../../src/ttp/index.js';
import { RegexSafety, recheckVersion, VerdictCache, type RegexProver } from '../../src/ttp/regex/index.js';
import { catalog, regexSafety, ruleText, validate } from './helpers.js';

const DIR = join(import.meta.dirname, 'lint-corpus');
const PROGRAMMATIC: readonly ProblemCode[] = ['too_large', 'duplicate_rule_id', 'version_not_bumped', 'redos_unproven'];

function expectation(file: string): { code: ProblemCode; line: number; path: string; text: string } {
  const text = readFileSync(join(DIR, file), 'utf8');
  const m = /^# expect: (\w+) (\d+) ?(\S*)\n/.exec(text);
  if (!m) throw new Error(`${file} has no expect header`);
  return { code: m[1] as ProblemCode, line: Number(m[2]), path: m[3] ?? '', text };
}

function find(problems: readonly Problem[], code: ProblemCode): Problem | undefined {
  return problems.find((p) => p.code === code);
}

describe('lint corpus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

  it('has one file for every code not built programmatically', () => {
    const covered = new Set(files.map((f) => f.replace(/\.yaml$/, '')));
    for (const code of ALL_PROBLEM_CODES) if (!PROGRAMMATIC.includes(code)) expect(covered, code).toContain(code);
  });

  for (const file of files) {
    it(`${file}`, async () => {
      const { code, line, path, text } = expectation(file);
      const r = await validate(text, { file });
      const p = find(r.problems, code);
      expect(p, `${code} in ${JSON.stringify(r.problems.map((x) => [x.code, x.line, x.path]))}`).toBeDefined();
      expect(p?.line).toBe(line);
      expect(p?.path).toBe(path);
      expect(p?.hint.length).toBeGreaterThan(0);
      expect(p?.file).toBe(file);
      if (p?.severity === 'error') expect(r.rule).toBeNull();
    });
  }

  it('hints say what to write instead', async () => {
    const hint = async (file: string, code: ProblemCode): Promise<string> => find((await validate(readFileSync(join(DIR, file), 'utf8'))).problems, code)?.hint ?? '';
    expect(await hint('inline_flags.yaml', 'inline_flags')).toContain('flags: i');
    expect(await hint('unknown_field.yaml', 'unknown_field')).toContain('`inputs`');
    expect(await hint('tactic_mismatch.yaml', 'tactic_mismatch')).toContain('TA0010');
    expect(await hint('revoked_technique.yaml', 'revoked_technique')).toContain('T1059.001');
  });

  it('too_large: over 256 KiB', async () => {
    const text = `${ruleText({ detection: '  sel: {command_text|contains: x}\n  condition: sel' })}\n# ${'x'.repeat(257 * 1024)}\n`;
    const r = await validate(text);
    expect(find(r.problems, 'too_large')).toBeDefined();
  });

  it('duplicate_rule_id: the name sorting first wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttp-dup-'));
    const text = ruleText({ id: 'L0007', detection: '  sel: {command_text|contains: x}\n  condition: sel' });
    writeFileSync(join(dir, 'a.yaml'), text);
    writeFileSync(join(dir, 'b.yaml'), text);
    const [a, b] = await validateFiles([join(dir, 'a.yaml'), join(dir, 'b.yaml')], { catalog: catalog(), regex: regexSafety(), source: 'filesystem' });
    expect(find(a?.result.problems ?? [], 'duplicate_rule_id')).toBeUndefined();
    expect(a?.result.rule).not.toBeNull();
    const p = find(b?.result.problems ?? [], 'duplicate_rule_id');
    expect(p?.path).toBe('id');
    expect(b?.result.rule).toBeNull();
  });

  it('version_not_bumped: a changed definition with the same version (warning)', async () => {
    const text = ruleText({ detection: '  sel: {command_text|contains: x}\n  condition: sel' });
    const r = await validate(text, { previous: { version: 1, contentSha256: '0'.repeat(64) } });
    const p = find(r.problems, 'version_not_bumped');
    expect(p?.severity).toBe('warning');
    expect(p?.path).toBe('version');
    expect(r.rule).not.toBeNull();
    const same = await validate(text, { previous: { version: 1, contentSha256: r.contentSha256 } });
    expect(find(same.problems, 'version_not_bumped')).toBeUndefined();
  });

  it('redos_unproven: a proof that cannot decide', async () => {
    const unknown: RegexProver = { prove: () => Promise.resolve({ status: 'unknown', reason: 'timeout' }) };
    const safety = new RegexSafety(new VerdictCache(recheckVersion()), unknown);
    const text = ruleText({ detection: "  sel:\n    command_text|re: 'never(?:proven){1,3}x'\n  condition: sel" });
    const r = await validate(text, { regex: safety });
    const p = find(r.problems, 'redos_unproven');
    expect(p?.path).toBe('detection.sel.command_text|re');
    expect(p?.line).toBe(11);
    expect(r.rule).toBeNull();
  });
});
