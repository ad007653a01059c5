/**
 * Portable regexes and ReDoS proofs (ttp.md §2.4, §3.3, CORRECTIONS #9.6): the rejected
 * constructs with their codes, the accepted subset, recheck's verdicts (codes only, never
 * messages or degrees), and the verdict cache with its invalidation.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleDir } from '../../src/ttp/index.js';
import { packVerdictsFile } from '../../src/ttp/paths.js';
import { maxAlternation, parsePortableRegex, RecheckProver, RegexSafety, recheckVersion, requiredLiterals, VerdictCache, type RegexProver } from '../../src/ttp/regex/index.js';
import { patternsOf } from '../../src/ttp/ruleset.js';

describe('portability', () => {
  it.each([
    ['(?i)cat', 'inline_flags'],
    ['(?i:cat)', 'inline_flags'],
    ['(?ms)^x', 'inline_flags'],
    ['a(?=b)', 'non_portable_regex'],
    ['a(?!b)', 'non_portable_regex'],
    ['(?<=a)b', 'non_portable_regex'],
    ['(?<!a)b', 'non_portable_regex'],
    ['(a)\\1', 'non_portable_regex'],
    ['(?<n>a)\\k<n>', 'non_portable_regex'],
    ['(?>a+)b', 'non_portable_regex'],
    ['a++', 'non_portable_regex'],
    ['a*+', 'non_portable_regex'],
    ['\\Aabc', 'non_portable_regex'],
    ['abc\\Z', 'non_portable_regex'],
    ['abc\\z', 'non_portable_regex'],
    ['\\Gabc', 'non_portable_regex'],
    ['a\\hb', 'non_portable_regex'],
    ['a\\Kb', 'non_portable_regex'],
    ['a\\Rb', 'non_portable_regex'],
    ['\\Q.*\\E', 'non_portable_regex'],
    ['\\p{L}', 'non_portable_regex'],
    ['(?P<name>a)', 'non_portable_regex'],
    ['[[:alpha:]]', 'non_portable_regex'],
    ['\\u0041', 'non_portable_regex'],
    ['[]a]', 'non_portable_regex'],
    ['a{1,2000}', 'non_portable_regex'],
    ['a{', 'regex_syntax'],
    ['a{1', 'regex_syntax'],
    ['a}', 'regex_syntax'],
    ['(ab', 'regex_syntax'],
    ['ab)', 'regex_syntax'],
    ['[ab', 'regex_syntax'],
    ['*a', 'regex_syntax'],
    ['\\:', 'regex_syntax'],
    ['\\x4', 'regex_syntax'],
    ['^*', 'regex_syntax'],
  ])('%s → %s', (pattern, code) => {
    const { issues } = parsePortableRegex(pattern);
    expect(issues.map((i) => i.code)).toContain(code);
  });

  it.each(['\\bwget\\s{1,4}https?://', '(?:^|/)\\.env(?:\\.[\\w-]{1,32})?$', '(?<host>[a-z0-9.-]{1,253})', '[\\w./~-]{0,128}authorized_keys', 'a+?b*?c??', '\\x41\\t\\n\\r\\.\\*\\/\\$\\^\\|\\(\\)\\[\\]\\{\\}', '[a\\-z]', 'é+', '(a|b|c|d|e)'])('accepts %s', (pattern) => {
    expect(parsePortableRegex(pattern).issues).toEqual([]);
  });

  it('counts alternation branches', () => {
    expect(maxAlternation(parsePortableRegex('(?:a|b|c|d|e)x').ast)).toBe(5);
    expect(maxAlternation(parsePortableRegex('a|b').ast)).toBe(2);
    expect(maxAlternation(parsePortableRegex('abc').ast)).toBe(1);
  });

  it('extracts required literals for the prefilter', () => {
    expect(requiredLiterals(parsePortableRegex('\\bwget\\s').ast, false)).toEqual(['wget']);
    expect(requiredLiterals(parsePortableRegex('(?:cat|less) /etc/shadow').ast, false)).toEqual(['cat /etc/shadow', 'less /etc/shadow']);
    expect(requiredLiterals(parsePortableRegex('Stratum\\+TCP').ast, true)).toEqual(['stratum+tcp']);
    expect(requiredLiterals(parsePortableRegex('(?:flushall|flushdb)').ast, true)?.sort()).toEqual(['flushall', 'flushdb']);
    expect(requiredLiterals(parsePortableRegex('a?b').ast, false)).toBeNull();
    expect(requiredLiterals(parsePortableRegex('\\$\\{(?:\\$\\{[^{}]{0,64}\\}|[jJ])').ast, false)).toEqual(['${']);
  });
});

describe('ReDoS proofs with recheck', () => {
  const prover = new RecheckProver();

  it.each(['(a+)+$', '(a|aa)+$', '^\\d*\\d*\\d*z'])('%s is vulnerable', async (pattern) => {
    expect((await prover.prove(pattern, '')).status).toBe('vulnerable');
  }, 60_000);

  it('a bounded pattern is safe', async () => {
    expect((await prover.prove('\\bwget\\s{1,4}https?://[\\w.-]{1,253}', 'i')).status).toBe('safe');
  }, 60_000);

  it('proves one pattern at a time', async () => {
    const results = await Promise.all(['a{1,3}b', '(a+)+$', 'x\\s{0,4}y'].map((p) => prover.prove(p, '')));
    expect(results.map((r) => r.status)).toEqual(['safe', 'vulnerable', 'safe']);
  }, 60_000);
});

describe('verdict cache', () => {
  function counting(): RegexProver & { calls: number } {
    return {
      calls: 0,
      prove(): Promise<{ status: 'safe'; checker: string }> {
        this.calls++;
        return Promise.resolve({ status: 'safe', checker: 'automaton' });
      },
    };
  }

  it('keeps safe verdicts by flags and pattern, with the checker, and saves them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttp-verdicts-'));
    const file = join(dir, 'cache', 'v.json');
    const prover = counting();
    const safety = new RegexSafety(new VerdictCache(recheckVersion(), [], file), prover);
    await safety.check('ab+c', 'si');
    await safety.check('ab+c', 'is');
    expect(prover.calls).toBe(1);
    await safety.check('ab+c', '');
    expect(prover.calls).toBe(2);
    safety.cache.save();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { recheck: string; verdicts: Record<string, { checker: string; flags: string }> };
    expect(saved.recheck).toBe(recheckVersion());
    expect(Object.values(saved.verdicts).map((v) => v.flags).sort()).toEqual(['', 'is']);
    expect(Object.values(saved.verdicts)[0]?.checker).toBe('automaton');
    const again = new RegexSafety(new VerdictCache(recheckVersion(), [], file), prover);
    expect(again.isCachedSafe('ab+c', 'is')).toBe(true);
  });

  it('is invalidated by another recheck version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttp-verdicts-'));
    const file = join(dir, 'v.json');
    const c = new VerdictCache('0.0.1', [], file);
    c.put('abc', '', 'automaton');
    c.save();
    expect(new VerdictCache('0.0.1', [file]).get('abc', '')).toBeDefined();
    expect(new VerdictCache(recheckVersion(), [file]).get('abc', '')).toBeUndefined();
  });

  it('never caches a vulnerable or unknown verdict, and --no-cache re-proves', async () => {
    const prover: RegexProver & { calls: number } = {
      calls: 0,
      prove() {
        this.calls++;
        return Promise.resolve({ status: 'unknown', reason: 'timeout' });
      },
    };
    const safety = new RegexSafety(new VerdictCache(recheckVersion()), prover);
    await safety.check('x', '');
    await safety.check('x', '');
    expect(prover.calls).toBe(2);
    const cache = new VerdictCache(recheckVersion());
    cache.put('y', '', 'fuzz');
    const noCache = new RegexSafety(cache, counting(), false);
    expect(noCache.isCachedSafe('y', '')).toBe(false);
  });

  it('a corrupt cache file is ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttp-verdicts-'));
    const file = join(dir, 'v.json');
    writeFileSync(file, '{not json');
    expect(new VerdictCache(recheckVersion(), [file]).entries().size).toBe(0);
  });

  it('every pack pattern has a committed safe verdict', async () => {
    const { files } = await loadRuleDir({ runTests: false });
    const cache = new VerdictCache(recheckVersion(), [packVerdictsFile()]);
    const patterns = files.flatMap((f) => (f.result.rule ? patternsOf(f.result.rule.def) : []));
    expect(patterns.length).toBeGreaterThan(30);
    for (const p of patterns) expect(cache.get(p.pattern, p.flags), p.pattern).toBeDefined();
  });

  it('every pack pattern is proven safe from scratch by recheck (not only from the committed verdicts)', async () => {
    const { files } = await loadRuleDir({ runTests: false });
    const prover = new RecheckProver();
    for (const f of files) for (const p of f.result.rule ? patternsOf(f.result.rule.def) : []) expect((await prover.prove(p.pattern, p.flags)).status, p.pattern).toBe('safe');
  }, 600_000);
});
