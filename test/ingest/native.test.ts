/**
 * The DECNET meaning of a native line (eventplane.md §8.2) and the normalisers every
 * input shares (CORRECTIONS #7.13).
 */
import { describe, expect, it } from 'vitest';
import { canonicalTimestamp, cleanText, commandText, LineDecoder, normalizeIp, type LogRecord } from '../../src/ingest/index.js';

const RECEIVED = '2026-05-01T13:00:00.000000Z';
const decoder = new LineDecoder({ format: 'rfc5424', source: 'file:/t' });

function row(line: string): LogRecord {
  const d = decoder.decode({ text: line }, RECEIVED);
  if (d.kind !== 'row') throw new Error(`expected a row, got ${JSON.stringify(d)}`);
  return d.record;
}

describe('native lines', () => {
  it('maps HOSTNAME, APP-NAME, MSGID, PRI, PROCID, relay@55555 fields and other elements', () => {
    const r = row('<134>1 2026-05-01T12:00:00.123456Z decky-01 ssh 42 login_attempt [relay@55555 src_ip="198.51.100.23" principal="root"][meta@1 k="v"] hello');
    expect(r).toMatchObject({
      timestamp: '2026-05-01T12:00:00.123456Z',
      receivedAt: RECEIVED,
      decky: 'decky-01',
      service: 'ssh',
      eventType: 'login_attempt',
      attackerIp: '198.51.100.23',
      severity: 6,
      facility: 16,
      procid: '42',
      fields: { src_ip: '198.51.100.23', principal: 'root' },
      sd: { 'meta@1': { k: 'v' } },
      msg: 'hello',
      source: 'file:/t',
      flags: [],
    });
  });

  it('converts the timestamp to UTC keeping the fraction', () => {
    expect(row('<13>1 2026-05-01T14:30:00.5+02:30 h a - m -').timestamp).toBe('2026-05-01T12:00:00.500000Z');
    expect(row('<13>1 2026-01-01T00:00:00.000001-01:00 h a - m -').timestamp).toBe('2026-01-01T01:00:00.000001Z');
  });

  it('a NIL timestamp takes the receive time and is flagged', () => {
    expect(row('<13>1 - h a - m -')).toMatchObject({ timestamp: RECEIVED, flags: ['nil_timestamp'] });
  });

  it('flags a BOM and invalid UTF-8 from the source', () => {
    expect(row('<13>1 - h a - m - \ufeffx').flags).toEqual(['nil_timestamp', 'bom']);
    const d = decoder.decode({ text: '<13>1 - h a - m - x\ufffd', invalidUtf8: true }, RECEIVED);
    expect(d.kind === 'row' && d.record.flags).toContain('invalid_utf8');
  });

  it('unwraps one level of double wrap (the inner header wins)', () => {
    const r = row('<134>1 2026-05-01T12:00:00Z relay-host rsyslog - - - 2026-05-01T11:59:59.250000Z decky-07 ftp - login_attempt [relay@55555 src_ip="192.0.2.9"] inner');
    expect(r).toMatchObject({ decky: 'decky-07', service: 'ftp', eventType: 'login_attempt', timestamp: '2026-05-01T11:59:59.250000Z', attackerIp: '192.0.2.9', msg: 'inner', flags: ['double_wrap'] });
    // not a header: the outer line stands
    expect(row('<13>1 2026-05-01T12:00:00Z h a - - - just text here').service).toBe('a');
  });

  it('parses CMD messages into a command row', () => {
    const r = row('<134>1 2026-05-01T12:00:00Z decky-01 ssh - - - CMD uid=0 user=root src=198.51.100.23 pwd=/root cmd=uname -a; id');
    expect(r).toMatchObject({ eventType: 'command', attackerIp: '198.51.100.23', fields: { uid: '0', user: 'root', src: '198.51.100.23', pwd: '/root', command: 'uname -a; id' } });
    expect(row('<134>1 2026-05-01T12:00:00Z decky-01 ssh - command - CMD cmd=ls').fields.command).toBe('ls');
    expect(row('<134>1 2026-05-01T12:00:00Z decky-01 ssh - other - CMD cmd=ls').eventType).toBe('other');
  });

  it.each([
    ['src_ip', '[relay@55555 src_ip="198.51.100.1" ip="192.0.2.1"]', '198.51.100.1'],
    ['src', '[relay@55555 src="198.51.100.2"]', '198.51.100.2'],
    ['client_ip', '[relay@55555 client_ip="198.51.100.3"]', '198.51.100.3'],
    ['remote_ip', '[relay@55555 remote_ip="198.51.100.4"]', '198.51.100.4'],
    ['remote_addr', '[relay@55555 remote_addr="198.51.100.5"]', '198.51.100.5'],
    ['target_ip', '[relay@55555 target_ip="198.51.100.6"]', '198.51.100.6'],
    ['ip', '[relay@55555 ip="198.51.100.7"]', '198.51.100.7'],
    ['preference order', '[relay@55555 ip="192.0.2.1" remote_ip="198.51.100.8"]', '198.51.100.8'],
    ['an invalid first candidate is skipped', '[relay@55555 src_ip="not-an-ip" src="198.51.100.9"]', '198.51.100.9'],
    ['IPv6, RFC 5952', '[relay@55555 src_ip="2001:DB8:0:0:0:0:0:1"]', '2001:db8::1'],
    ['IPv4-mapped', '[relay@55555 src_ip="::ffff:198.51.100.10"]', '198.51.100.10'],
  ])('attacker_ip from the %s parameter', (_w, sd, ip) => {
    expect(row(`<13>1 - h a - m ${sd}`).attackerIp).toBe(ip);
  });

  it('splits host:port into remote_port, removing [v6] brackets', () => {
    expect(row('<13>1 - h a - m [relay@55555 remote_addr="198.51.100.4:4444"]')).toMatchObject({ attackerIp: '198.51.100.4', fields: { remote_port: '4444' } });
    expect(row('<13>1 - h a - m [relay@55555 remote_addr="[2001:db8::5]:8080"]')).toMatchObject({ attackerIp: '2001:db8::5', fields: { remote_port: '8080' } });
    expect(row('<13>1 - h a - m [relay@55555 src="[2001:db8::6]"]').attackerIp).toBe('2001:db8::6');
  });

  it.each([
    ['key=value in MSG', 'connection src_ip=203.0.113.1 closed', '203.0.113.1'],
    ['the preferred key in MSG', 'ip=192.0.2.2 client_ip=203.0.113.2', '203.0.113.2'],
    ['from', 'Failed password for root from 203.0.113.3 port 22 ssh2', '203.0.113.3'],
    ['rhost=', 'authentication failure; logname= uid=0 rhost=203.0.113.4 user=root', '203.0.113.4'],
    ['client=', 'connect client=203.0.113.5', '203.0.113.5'],
    ['a bare IPv4', 'probe by 203.0.113.6 seen', '203.0.113.6'],
    ['nothing: null, not "Unknown"', 'no address here 999.1.1.1', null],
  ])('attacker_ip from the message: %s', (_w, msg, ip) => {
    expect(row(`<13>1 - h a - m - ${msg}`).attackerIp).toBe(ip);
  });
});

describe('canonicalTimestamp', () => {
  it.each([
    ['2026-05-01T12:00:00Z', '2026-05-01T12:00:00.000000Z'],
    ['2026-05-01T12:00:00.123456Z', '2026-05-01T12:00:00.123456Z'],
    ['2026-05-01T12:00:00.1234567891Z', '2026-05-01T12:00:00.123456Z'],
    ['2026-05-01 12:00:00.123456', '2026-05-01T12:00:00.123456Z'],
    ['2026-05-01T14:00:00+02:00', '2026-05-01T12:00:00.000000Z'],
    ['2026-05-01T14:00:00+0200', '2026-05-01T12:00:00.000000Z'],
    ['2026-05-01 07:00:00.5-05', '2026-05-01T12:00:00.500000Z'],
    ['2026-01-01 00:00:00.1235+00', '2026-01-01T00:00:00.123500Z'],
    ['2026-12-31T23:30:00-01:00', '2027-01-01T00:30:00.000000Z'],
  ])('%s → %s', (input, out) => {
    expect(canonicalTimestamp(input)).toBe(out);
  });

  it('epoch milliseconds (with a fraction) and Dates', () => {
    expect(canonicalTimestamp(Date.UTC(2026, 4, 1, 12) + 123.456)).toBe('2026-05-01T12:00:00.123456Z');
    expect(canonicalTimestamp(new Date(Date.UTC(2026, 4, 1, 12, 0, 0, 7)))).toBe('2026-05-01T12:00:00.007000Z');
  });

  it.each(['', 'yesterday', '2026-02-30T00:00:00Z', '2026-05-01T12:00:60Z', '2026-05-01T25:00:00Z', '2026-05-01T12:00:00+25:00'])('refuses %j', (input) => {
    expect(canonicalTimestamp(input)).toBeNull();
  });
});

describe('normalizeIp', () => {
  it.each([
    ['198.51.100.23', '198.51.100.23'],
    [' 198.51.100.23 ', '198.51.100.23'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
  ])('%s → %s', (input, out) => {
    expect(normalizeIp(input)).toBe(out);
  });

  it.each(['', 'Unknown', '999.1.1.1', '010.1.1.1', '1.2.3', '2001:db8::1::2', 'host:22'])('refuses %j', (input) => {
    expect(normalizeIp(input)).toBeNull();
  });
});

describe('commandText (ttp.md §1.3)', () => {
  it('command, else cmd and args, else the message; fields as an object or JSON text', () => {
    expect(commandText({ fields: { command: 'uname -a', cmd: 'x' }, msg: 'm' })).toBe('uname -a');
    expect(commandText({ fields: { cmd: 'SET', args: 'k v' }, msg: 'm' })).toBe('SET k v');
    expect(commandText({ fields: { cmd: 'PING' } })).toBe('PING');
    expect(commandText({ fields: '{"command":"id"}' })).toBe('id');
    expect(commandText({ fields: 'not json', msg: 'the message' })).toBe('the message');
    expect(commandText({ fields: {} })).toBeNull();
  });
});

describe('cleanText', () => {
  it('replaces NUL and lone surrogates with U+FFFD, keeping pairs', () => {
    expect(cleanText('a\0b')).toBe('a\ufffdb');
    expect(cleanText('x\ud800y')).toBe('x\ufffdy');
    expect(cleanText('😀')).toBe('😀');
  });
});
