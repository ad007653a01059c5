/** Every modifier of ttp.md §2.3, table-driven, plus the transforms and property tests of the matchers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Input } from '../../src/ttp/index.js';
import { buildMatcher, regexTester } from '../../src/ttp/matchers.js';
import { buildCondition, parseKey } from '../../src/ttp/modifiers.js';
import { sha256Hex } from '../../src/ttp/inputs/derive.js';
import type { FieldType } from '../../src/ttp/inputs/kinds.js';
import { base64Runs, urlDecode } from '../../src/ttp/transforms.js';

function matcher(key: string, value: unknown, type: FieldType = 'string'): (fields: Record<string, unknown>) => boolean {
  const problems: string[] = [];
  const report = (code: string): void => {
    problems.push(code);
  };
  const parsed = parseKey(key, report);
  const spec = parsed && buildCondition(key, parsed, value, type, report);
  if (!spec) throw new Error(`${key}: ${problems.join(', ')}`);
  const m = buildMatcher(spec);
  return (fields) => m({ input: { kind: 'command', id: 'command:x', ts: 0, ts_text: '', attacker_ip: null, ...fields } as Input, agg: null });
}

type Row = [key: string, value: unknown, fields: Record<string, unknown>, expected: boolean, type?: FieldType];

const rows: Row[] = [
  // equality: exact and case-sensitive; a list means any; null means absent
  ['outcome', 'failure', { outcome: 'failure' }, true],
  ['outcome', 'failure', { outcome: 'Failure' }, false],
  ['outcome', ['failure', 'unknown'], { outcome: 'unknown' }, true],
  ['outcome', null, {}, true],
  ['outcome', null, { outcome: null }, true],
  ['outcome', null, { outcome: 'x' }, false],
  ['outcome', 'x', {}, false],
  ['rcpt_count', 3, { rcpt_count: 3 }, true, 'number'],
  ['spf_pass', false, { spf_pass: false }, true, 'boolean'],
  ['spf_pass', false, {}, false, 'boolean'],
  // list fields: some element satisfies it; with all, every value is met by some element
  ['programs', ['nmap', 'masscan'], { programs: ['sudo', 'nmap'] }, true, 'strings'],
  ['programs', 'nmap', { programs: [] }, false, 'strings'],
  ['programs|all', ['mkfifo', 'nc'], { programs: ['rm', 'mkfifo', 'cat', 'nc'] }, true, 'strings'],
  ['programs|all', ['mkfifo', 'nc'], { programs: ['mkfifo'] }, false, 'strings'],
  ['abuseipdb_categories', [18, 22], { abuseipdb_categories: [4, 22] }, true, 'numbers'],
  // substring, prefix, suffix
  ['path|endswith', '.jsp', { path: '/x.jsp' }, true],
  ['path|endswith', '.jsp', { path: '/x.jspx' }, false],
  ['path|startswith', ['/api/', '/v1/'], { path: '/v1/x' }, true],
  ['command_text|contains', 'wget', { command_text: 'cd /tmp; wget x' }, true],
  ['command_text|contains|all', ['wget', 'chmod'], { command_text: 'wget x; chmod +x x' }, true],
  ['command_text|contains|all', ['wget', 'chmod'], { command_text: 'wget x' }, false],
  ['command_text|contains', 'wget', { command_text: 7 }, false],
  // nocase
  ['user_agent|nocase|contains', 'nikto', { user_agent: 'Mozilla/5.00 (Nikto/2.1.6)' }, true],
  ['user_agent|nocase', 'curl', { user_agent: 'CURL' }, true],
  ['programs|nocase', ['sharphound.exe'], { programs: ['SharpHound.exe'] }, true, 'strings'],
  // re, with flags; non-strings never match
  ['command_text|re', '\\bflushall\\b', { command_text: 'FLUSHALL' }, false],
  ['command_text|re', { pattern: '\\bflushall\\b', flags: 'i' }, { command_text: 'FLUSHALL' }, true],
  ['command_text|re', { pattern: '^a.c$', flags: 's' }, { command_text: 'a\nc' }, true],
  ['command_text|re', { pattern: '^x$', flags: 'm' }, { command_text: 'a\nx\nb' }, true],
  ['command_text|re', ['^nope', 'wget\\s'], { command_text: 'wget http://x' }, true],
  ['command_text|re', 'x', { command_text: ['x'] }, true],
  // cidr
  ['attacker_ip|cidr', ['10.0.0.0/8', 'fd00::/8'], { attacker_ip: '10.1.2.3' }, true],
  ['attacker_ip|cidr', ['10.0.0.0/8', 'fd00::/8'], { attacker_ip: 'fd12::1' }, true],
  ['attacker_ip|cidr', ['10.0.0.0/8'], { attacker_ip: '11.0.0.1' }, false],
  ['attacker_ip|cidr', '0.0.0.0/0', { attacker_ip: '2001:db8::1' }, false],
  ['attacker_ip|cidr', '203.0.113.10', { attacker_ip: '203.0.113.10' }, true],
  ['attacker_ip|cidr', '10.0.0.0/8', { attacker_ip: 'not an ip' }, false],
  // numeric; a non-number is false
  ['rcpt_count|gte', 10, { rcpt_count: 10 }, true, 'number'],
  ['rcpt_count|gt', 10, { rcpt_count: 10 }, false, 'number'],
  ['rcpt_count|lt', 10, { rcpt_count: 9 }, true, 'number'],
  ['rcpt_count|lte', 10, { rcpt_count: 11 }, false, 'number'],
  ['rcpt_count|gte', 10, { rcpt_count: '12' }, false, 'number'],
  ['rcpt_count|gte', 10, {}, false, 'number'],
  // exists
  ['return_path_domain|exists', true, { return_path_domain: 'a' }, true],
  ['return_path_domain|exists', true, { return_path_domain: null }, false],
  ['return_path_domain|exists', false, {}, true],
  // fieldref
  ['from_domain|fieldref', 'return_path_domain', { from_domain: 'a.example', return_path_domain: 'a.example' }, true],
  ['from_domain|fieldref', 'return_path_domain', { from_domain: 'a.example', return_path_domain: 'b.example' }, false],
  ['from_domain|fieldref', 'return_path_domain', {}, false],
  // urldecode: two rounds, + and invalid escapes kept
  ['path|urldecode|contains', '../', { path: '/..%2f' }, true],
  ['path|urldecode|contains', '../', { path: '/%252e%252e%252f' }, true],
  ['path|urldecode|contains', 'a+b', { path: '/a+b' }, true],
  ['path|urldecode|contains', '%zz', { path: '/%zz' }, true],
  ['path|urldecode|contains', '..', { path: '/%c0%ae%c0%ae' }, false],
  ['path|nocase|contains', '%c0%ae', { path: '/%C0%AE' }, true],
  // b64decode: each run of ≥ 24 characters, not the plain value
  ['command_text|b64decode|contains', 'wget', { command_text: 'echo d2dldCBodHRwOi8vMS4yLjMuNC94LnNo | base64 -d' }, true],
  ['command_text|b64decode|contains', 'echo', { command_text: 'echo d2dldCBodHRwOi8vMS4yLjMuNC94LnNo | base64 -d' }, false],
  ['command_text|b64decode|contains', 'hi', { command_text: 'aGk=' }, false],
  // sha256 of each listed value, computed at compile time
  ['password_sha256|sha256', ['root', 'xc3511'], { password_sha256: sha256Hex('xc3511') }, true],
  ['password_sha256|sha256', '', { password_sha256: sha256Hex('') }, true],
  ['password_sha256|sha256', 'root', { password_sha256: sha256Hex('toor') }, false],
  // dotted paths into maps
  ['headers.x-api-version|contains', '${jndi', { headers: { 'x-api-version': '${jndi:x}' } }, true],
  ['headers.x-api-version|contains', '${jndi', { headers: {} }, false],
  ['headers.x-api-version', null, { headers: {} }, true],
];

describe('modifiers', () => {
  it.each(rows)('%s: %j on %j → %s', (key, value, fields, expected, type) => {
    expect(matcher(key, value, type)(fields)).toBe(expected);
  });
});

describe('transforms', () => {
  it('urldecode stops after two rounds', () => {
    expect(urlDecode('%25252e')).toBe('%2e');
    expect(urlDecode('%2e%2E')).toBe('..');
    expect(urlDecode('caf%C3%A9')).toBe('café');
    expect(urlDecode('%c0%ae')).toBe('\ufffd\ufffd');
  });

  it('b64decode takes at most four runs', () => {
    const run = Buffer.from('x'.repeat(30)).toString('base64');
    expect(base64Runs(Array.from({ length: 6 }, () => run).join(' '))).toHaveLength(4);
    expect(base64Runs('short')).toEqual([]);
  });
});

describe('matcher properties', () => {
  it('contains, startswith, endswith agree with the string methods, with and without nocase', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.boolean(), (s, v, nocase) => {
        const n = nocase ? '|nocase' : '';
        const [sl, vl] = nocase ? [s.toLowerCase(), v.toLowerCase()] : [s, v];
        return (
          matcher(`command_text${n}|contains`, v)({ command_text: s }) === sl.includes(vl) &&
          matcher(`command_text${n}|startswith`, v)({ command_text: s }) === sl.startsWith(vl) &&
          matcher(`command_text${n}|endswith`, v)({ command_text: s }) === sl.endsWith(vl)
        );
      }),
      { numRuns: 300 },
    );
  });

  it('the literal prefilter never stops a match', () => {
    const patterns: [string, string][] = [
      ['\\bwget\\s{1,4}http', ''],
      ['(?:cat|less)\\s{1,4}/etc/(?:passwd|shadow)', ''],
      ['stratum\\+(?:tcp|ssl)://', 'i'],
      ['[jJ][nN][dD][iI]:', ''],
      ['(?:ab|cd)e(?:fg|h)', 'i'],
      ['x{2,3}yz', 'i'],
    ];
    const alphabet = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x', 'y', 'z', 'S', 'ſ', 'K', 'I', ' ', '/', ':', '+', 'wget', 'http', 'cat', 'less', '/etc/', 'passwd', 'SHADOW', 'stratum', 'TCP', 'jndi', 'JnDi');
    for (const [pattern, flags] of patterns) {
      const re = new RegExp(pattern, `${flags}u`);
      const tester = regexTester({ pattern, flags });
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 12 }).map((parts) => parts.join('')), (s) => tester(s) === re.test(s)),
        { numRuns: 400 },
      );
    }
  });
});
