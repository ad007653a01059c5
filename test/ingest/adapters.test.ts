/** The Cowrie and OpenCanary adapters and `auto` (eventplane.md §8.4, CORRECTIONS #7.12). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extract } from '../../src/ingest/extract.js';
import { LineDecoder, OPENCANARY_LOGTYPES, type Decoded, type LogRecord } from '../../src/ingest/index.js';
import { REPO } from '../support/cli.js';

const RECEIVED = '2026-05-01T13:00:00.000000Z';

function decode(decoder: LineDecoder, value: unknown): Decoded {
  return decoder.decode({ text: typeof value === 'string' ? value : JSON.stringify(value) }, RECEIVED);
}

function record(decoder: LineDecoder, value: unknown): LogRecord {
  const d = decode(decoder, value);
  if (d.kind !== 'row') throw new Error(`expected a row, got ${JSON.stringify(d)}`);
  return d.record;
}

const base = { src_ip: '198.51.100.23', sensor: 'decky-01', timestamp: '2026-05-01T12:00:00.101234Z' };

describe('Cowrie', () => {
  it.each([
    ['cowrie.session.connect', { src_port: 50112, dst_ip: '10.0.1.11', dst_port: 22, protocol: 'ssh' }, 'connect', { src_port: '50112', dst_ip: '10.0.1.11', dst_port: '22' }],
    ['cowrie.client.version', { version: 'SSH-2.0-Go' }, 'client_version', { version: 'SSH-2.0-Go' }],
    ['cowrie.client.kex', { hassh: 'abc' }, 'client_kex', { hassh: 'abc' }],
    ['cowrie.login.failed', { username: 'root', password: '123456' }, 'login_attempt', { principal: 'root', password: '123456', secret_kind: 'plaintext', outcome: 'failure' }],
    ['cowrie.login.success', { username: 'root', password: 'toor' }, 'login_attempt', { principal: 'root', outcome: 'success' }],
    ['cowrie.command.input', { input: 'uname -a' }, 'command', { command: 'uname -a' }],
    ['cowrie.command.failed', { input: 'foo' }, 'command', { command: 'foo', outcome: 'failed' }],
    ['cowrie.session.file_download', { url: 'http://192.0.2.80/x', shasum: 'ab'.repeat(32), outfile: 'dl/x' }, 'file_captured', { url: 'http://192.0.2.80/x', sha256: 'ab'.repeat(32), outfile: 'dl/x' }],
    ['cowrie.session.file_upload', { shasum: 'cd'.repeat(32), outfile: 'up/y' }, 'file_captured', { sha256: 'cd'.repeat(32), outfile: 'up/y' }],
    ['cowrie.session.closed', { duration: 30.9 }, 'session_recorded', { sid: 's1', duration_s: '30.9' }],
    ['cowrie.direct-tcpip.request', { dst_ip: '10.9.9.9', dst_port: 25, extra: { a: 1 } }, 'direct-tcpip.request', { dst_ip: '10.9.9.9', dst_port: '25', extra: '{"a":1}' }],
  ])('%s → %s', (eventid, extra, eventType, fields) => {
    const r = record(new LineDecoder({ format: 'cowrie', source: 'cowrie:/x' }), { eventid, ...base, session: 's1', message: 'm', ...extra });
    expect(r).toMatchObject({ decky: 'decky-01', service: 'ssh', eventType, attackerIp: '198.51.100.23', timestamp: '2026-05-01T12:00:00.101234Z', msg: 'm', source: 'cowrie:/x', fields: { session: 's1', ...fields } });
  });

  it('remembers the protocol per session (telnet), falls back to ssh, and keeps session in every row', () => {
    const d = new LineDecoder({ format: 'cowrie', source: 'cowrie:/x' });
    expect(record(d, { eventid: 'cowrie.session.connect', ...base, session: 't1', protocol: 'telnet' }).service).toBe('telnet');
    expect(record(d, { eventid: 'cowrie.login.failed', ...base, session: 't1', username: 'a', password: 'b' })).toMatchObject({ service: 'telnet', fields: { session: 't1' } });
    expect(record(d, { eventid: 'cowrie.command.input', ...base, session: 'unknown', input: 'ls' }).service).toBe('ssh');
  });

  it('reads duration as a number or a numeric string', () => {
    const d = new LineDecoder({ format: 'cowrie', source: 'c' });
    expect(record(d, { eventid: 'cowrie.session.closed', ...base, session: 's', duration: '0.8' }).fields.duration_s).toBe('0.8');
    expect(record(d, { eventid: 'cowrie.session.closed', ...base, session: 's', duration: 'long' }).fields.duration_s).toBeUndefined();
  });

  it('carries the credential for extraction, and takes --decky over sensor', () => {
    const r = record(new LineDecoder({ format: 'cowrie', source: 'c', decky: 'override' }), { eventid: 'cowrie.login.failed', ...base, username: 'root', password: 'pw' });
    expect(r.decky).toBe('override');
    expect(r.credential).toEqual({ principal: 'root', secret: 'pw', kind: 'plaintext' });
  });

  it('normalises timestamps with any offset form, and flags a missing one', () => {
    const d = new LineDecoder({ format: 'cowrie', source: 'c' });
    expect(record(d, { eventid: 'cowrie.command.input', ...base, timestamp: '2026-05-01T14:00:00.5+0200', input: 'x' }).timestamp).toBe('2026-05-01T12:00:00.500000Z');
    expect(record(d, { eventid: 'cowrie.command.input', ...base, timestamp: undefined, input: 'x' })).toMatchObject({ timestamp: RECEIVED, flags: ['nil_timestamp'] });
    expect(record(d, { eventid: 'cowrie.command.input', ...base, timestamp: 'soon', input: 'x' }).flags).toEqual(['bad_timestamp']);
  });

  it('cleans NUL and lone surrogates from JSON strings', () => {
    const r = record(new LineDecoder({ format: 'cowrie', source: 'c' }), { eventid: 'cowrie.command.input', ...base, input: 'a\u0000b\ud800' });
    expect(r.fields.command).toBe('a\ufffdb\ufffd');
  });

  it('refuses bad JSON, non-objects and non-Cowrie objects', () => {
    const d = new LineDecoder({ format: 'cowrie', source: 'c' });
    expect(decode(d, '{"eventid": "cowrie.x"')).toEqual({ kind: 'unparsed', reason: 'bad_json', position: null });
    expect(decode(d, '[1,2]')).toEqual({ kind: 'unparsed', reason: 'not_an_object', position: null });
    expect(decode(d, { eventid: 'kippo.login' })).toEqual({ kind: 'unparsed', reason: 'not_cowrie', position: null });
    expect(decode(d, '   ')).toEqual({ kind: 'unparsed', reason: 'empty', position: null });
  });
});

describe('OpenCanary', () => {
  const oc = (logtype: number | string, logdata: Record<string, unknown> = {}): Record<string, unknown> => ({
    dst_host: '10.0.1.12',
    dst_port: 22,
    logdata,
    logtype,
    node_id: 'decky-02',
    src_host: '198.51.100.23',
    src_port: 41022,
    utc_time: '2026-05-01 12:10:04.882915',
  });

  it('maps an SSH login with its credential', () => {
    const r = record(new LineDecoder({ format: 'opencanary', source: 'opencanary:/x' }), oc(4002, { USERNAME: 'root', PASSWORD: 'toor', SESSION: '3' }));
    expect(r).toMatchObject({
      decky: 'decky-02',
      service: 'ssh',
      eventType: 'login_attempt',
      attackerIp: '198.51.100.23',
      timestamp: '2026-05-01T12:10:04.882915Z',
      fields: { src_port: '41022', dst_host: '10.0.1.12', dst_port: '22', username: 'root', password: 'toor', session: '3', logtype: '4002', principal: 'root', secret_kind: 'plaintext' },
      credential: { principal: 'root', secret: 'toor', kind: 'plaintext' },
    });
    expect(r.fields.outcome).toBeUndefined();
  });

  it.each([
    [2000, 'ftp', 'login_attempt'],
    [3000, 'http', 'request'],
    [3001, 'http', 'login_attempt'],
    [4000, 'ssh', 'connect'],
    [4001, 'ssh', 'client_version'],
    [5000, 'smb', 'file_open'],
    [5001, 'portscan', 'syn'],
    [5002, 'portscan', 'nmap_os'],
    [5003, 'portscan', 'nmap_null'],
    [5004, 'portscan', 'nmap_xmas'],
    [5005, 'portscan', 'nmap_fin'],
    [6001, 'telnet', 'login_attempt'],
    [7001, 'httpproxy', 'login_attempt'],
    [8001, 'mysql', 'login_attempt'],
    [9001, 'mssql', 'login_attempt'],
    [9002, 'mssql', 'login_attempt'],
    [11001, 'ntp', 'monlist'],
    [16001, 'git', 'clone_request'],
    [17001, 'redis', 'command'],
    [18001, 'tcpbanner', 'connect'],
    [18005, 'tcpbanner', 'data'],
    [99000, 'user', 'user_0'],
    [99009, 'user', 'user_9'],
    [77777, 'opencanary', 'logtype_77777'],
  ])('logtype %i → %s/%s', (logtype, service, eventType) => {
    expect(record(new LineDecoder({ format: 'opencanary', source: 'o' }), oc(logtype))).toMatchObject({ service, eventType });
  });

  it('covers every code of the table', () => {
    expect(OPENCANARY_LOGTYPES.size).toBe(40);
  });

  it('HTTP requests get method, path and user_agent; redis commands cmd and args', () => {
    const d = new LineDecoder({ format: 'opencanary', source: 'o' });
    expect(record(d, oc(3000, { PATH: '/robots.txt', USERAGENT: 'UA/1', HOSTNAME: 'h' })).fields).toMatchObject({ method: 'GET', path: '/robots.txt', useragent: 'UA/1', user_agent: 'UA/1', hostname: 'h' });
    expect(record(d, oc(17001, { CMD: 'SET', ARGS: 'k v' })).fields).toMatchObject({ cmd: 'SET', args: 'k v' });
    expect(record(d, oc(4001, { REMOTEVERSION: 'SSH-2.0-Go' })).fields.version).toBe('SSH-2.0-Go');
  });

  it("skips OpenCanary's own messages (1000–1006)", () => {
    const d = new LineDecoder({ format: 'opencanary', source: 'o' });
    for (const code of [1000, 1001, 1006]) expect(decode(d, oc(code))).toEqual({ kind: 'skip', why: 'opencanary_internal' });
  });

  it('refuses an object whose logtype is not a number', () => {
    expect(decode(new LineDecoder({ format: 'opencanary', source: 'o' }), oc('ssh'))).toEqual({ kind: 'unparsed', reason: 'not_opencanary', position: null });
  });
});

describe('auto', () => {
  const d = new LineDecoder({ format: 'auto', source: 'file:/mixed' });
  it('decides per line', () => {
    expect(record(d, '<13>1 - decky-09 ssh - login_attempt -').service).toBe('ssh');
    expect(record(d, { eventid: 'cowrie.command.input', ...base, input: 'id' }).eventType).toBe('command');
    expect(record(d, { logtype: 5001, node_id: 'n', src_host: '192.0.2.1', utc_time: '2026-05-01 12:00:00.000000' }).service).toBe('portscan');
    expect(decode(d, { hello: 'world' })).toEqual({ kind: 'unparsed', reason: 'unknown_format', position: null });
    expect(decode(d, 'plain text')).toEqual({ kind: 'unparsed', reason: 'unknown_format', position: null });
    expect(decode(d, '<999>1 - - - - - -')).toMatchObject({ kind: 'unparsed', reason: 'bad_pri' });
  });
});

describe('fuzz: decoding and extraction never throw', () => {
  const examples = ['rfc5424.log', 'cowrie.json', 'opencanary.json'].flatMap((f) => readFileSync(join(REPO, 'examples', f), 'utf8').split('\n').filter((l) => l !== ''));
  const noise = fc.constantFrom('{', '}', '"', ':', ',', '[', ']', '\\', 'u', '\u0000', '\ud800', '<', '>', ' ', '=', '-', 'null', '1e999', '__proto__');

  it('mutated example lines through every format', () => {
    const decoders = (['rfc5424', 'cowrie', 'opencanary', 'auto'] as const).map((format) => new LineDecoder({ format, source: 'fuzz' }));
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.array(fc.tuple(fc.nat(), fc.nat(4), noise), { maxLength: 6 }), (line, edits) => {
        let text = line;
        for (const [at, del, ch] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ch + text.slice(i + del);
        }
        for (const d of decoders) {
          const out = d.decode({ text }, RECEIVED);
          if (out.kind === 'row') {
            const x = extract(out.record, { storePlaintext: false, internalPrefix: 'decnet-' });
            expect(typeof x.fingerprints.length).toBe('number');
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random JSON values', () => {
    const d = new LineDecoder({ format: 'auto', source: 'fuzz' });
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = d.decode({ text: JSON.stringify(v) ?? '' }, RECEIVED);
        if (out.kind === 'row') extract(out.record, { storePlaintext: false, internalPrefix: 'decnet-' });
      }),
      { numRuns: 1500 },
    );
  });
});
