/**
 * The ATT&CK API under test on SQLite and PostgreSQL: an app over a fresh database of its
 * own (a file, or a schema), a MemoryBus with a listener subscribed on the same hub, a
 * FakeClock, an admin and a viewer with tokens, and the demo-like data of CORRECTIONS #7.9
 * (attackers and sessions folded by correlate, tags written with `insertMany`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { buildApi, type Api } from '../../src/api/index.js';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, type BusEvent } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import { runPass } from '../../src/correlate/index.js';
import type { Db, NewTtpTag } from '../../src/db/index.js';
import { postgresHarness, sqliteHarness, type DbHarness, type HarnessResult } from '../conformance/db/harness.js';
import { at, ingest, settings, T0 } from '../correlate/support.js';

export { at, T0 };

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

export interface TtpApi {
  readonly api: Api;
  readonly db: Db;
  readonly bus: MemoryBus;
  readonly clock: FakeClock;
  readonly home: string;
  readonly admin: string;
  readonly viewer: string;
  /** Everything published on the hub, in order. */
  readonly events: BusEvent[];
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts?: { token?: string; body?: unknown; type?: string }): Promise<Reply>;
  /** Lets the listener take what was published. */
  settle(): Promise<void>;
}

/** Both dialects; PostgreSQL that cannot be reached fails the file (these tests need it). */
export async function dialects(label: string): Promise<Array<[string, DbHarness]>> {
  const out: Array<[string, DbHarness]> = [];
  const results: Array<[string, HarnessResult]> = [
    ['sqlite', await sqliteHarness()],
    ['postgres', await postgresHarness(label)],
  ];
  for (const [name, r] of results) {
    if (!('harness' in r)) throw new Error(`${name}: ${r.fail}`);
    out.push([name, r.harness]);
  }
  afterAll(async () => {
    for (const [, h] of out) await h.dispose();
  });
  return out;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

export async function startTtpApi(harness: DbHarness, env: Record<string, string> = {}): Promise<TtpApi> {
  const home = mkdtempSync(join(tmpdir(), 'dn-ttp-api-'));
  const clock = new FakeClock(T0 + 86_400_000);
  const config = loadConfig({ env: { DECNET_HOME: home, DECNET_BUS_TYPE: 'memory', ...env } });
  const db = await (await harness.fresh()).open({ clock, log: silentLogger });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'ttp-api', hub, strict: true, clock });
  const listener = new MemoryBus({ name: 'listener', hub, strict: true, clock });
  const events: BusEvent[] = [];
  const sub = listener.subscribe('>');
  void (async () => {
    for await (const e of sub) events.push(e);
  })();
  const api = buildApi({ config, db, bus, clock, log: silentLogger, jwtKey: randomBytes(32) });
  const token = async (username: string, role: 'admin' | 'viewer'): Promise<string> => {
    const user = await db.repos.users.create({ username, passwordHash: 'unused', role, mustChangePassword: false });
    return (await api.ctx.tokens.issue(user.id, role, user.tokensValidFrom)).token;
  };
  const admin = await token('admin1', 'admin');
  const viewer = await token('viewer1', 'viewer');
  open.push(async () => {
    await api.app.close();
    await sub.close();
    await listener.close();
    await bus.close();
    await db.close();
    rmSync(home, { recursive: true, force: true });
  });
  return {
    api,
    db,
    bus,
    clock,
    home,
    admin,
    viewer,
    events,
    call: async (method, url, o = {}) => {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | undefined;
      if (o.body !== undefined) {
        headers['content-type'] = o.type ?? 'application/json';
        payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      }
      const res = await api.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.statusCode, body, headers: res.headers };
    },
    settle: async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

/** A tag as the worker writes it; `technique` is as emitted (`T1110.001`). */
export function tag(technique: string, o: Partial<NewTtpTag> & { s: number }): NewTtpTag {
  const [parent, sub] = technique.includes('.') ? [technique.split('.')[0] as string, technique] : [technique, null];
  const { s, ...rest } = o;
  return {
    id: randomUUID(),
    rule_id: 'R0001',
    rule_version: 1,
    rule_source: 'builtin',
    technique_id: parent,
    sub_technique_id: sub,
    tactic_id: 'TA0006',
    confidence: 0.9,
    input_kind: 'command',
    input_id: `command:${randomUUID().replace(/-/g, '')}`,
    group_key: [],
    attacker_ip: '198.51.100.23',
    attacker_uuid: null,
    identity_uuid: null,
    session_id: null,
    decky: 'decky-01',
    service: 'ssh',
    evidence: { matched: ['sel'] },
    attack_version: '18.1',
    observed_at: at(s),
    ...rest,
  };
}

export async function insertTags(db: Db, tags: readonly NewTtpTag[]): Promise<void> {
  await db.write((tx) => db.repos.ttpTags.insertMany(tx, tags));
}

export interface Seeded {
  /** 198.51.100.23: Cowrie on decky-01, session `s1`. */
  readonly attacker1: string;
  /** 203.0.113.7: HTTP on decky-03, a session without an id. */
  readonly attacker2: string;
  /** The `attacker_sessions` ids. */
  readonly session1: string;
  readonly session2: string;
  readonly tags: Record<'bruteLinked' | 'discoveryUnlinked' | 'shadowNoIp' | 'bruteParent' | 'exploit' | 'scanNoAttacker', NewTtpTag>;
}

/**
 * Attackers 198.51.100.23 (session `s1`, [−1 s, 2 s] on decky-01) and 203.0.113.7 (a
 * session without an id, [7 s, 12 s] on decky-03), and six tags: linked, unlinked at an
 * attacker's address, one with only a UUID, and one of an address without an attacker row.
 */
export async function seed(t: TtpApi): Promise<Seeded> {
  await ingest(t.db, [
    { s: -1, type: 'connect', fields: { session: 's1' } },
    { s: 0, type: 'command', fields: { command: 'uname -a', session: 's1' } },
    { s: 2, type: 'session_recorded', fields: { sid: 's1', duration_s: '3', session: 's1' } },
    { s: 7, ip: '203.0.113.7', decky: 'decky-03', service: 'http', type: 'request', fields: { path: '/' } },
    { s: 12, ip: '203.0.113.7', decky: 'decky-03', service: 'http', type: 'session_recorded', fields: { duration_s: '5' } },
  ]);
  await runPass({ db: t.db, bus: t.bus, settings: settings(), log: silentLogger, clock: t.clock });
  const a1 = (await t.db.repos.attackers.findByIp('198.51.100.23'))!;
  const a2 = (await t.db.repos.attackers.findByIp('203.0.113.7'))!;
  const sessions = async (id: string): Promise<string> => (await t.db.repos.attackers.sessions(id, { limit: 1, offset: 0 })).items[0]!.id;
  const tags: Seeded['tags'] = {
    bruteLinked: tag('T1110.001', { s: 1, attacker_uuid: a1.id, session_id: 's1', rule_id: 'R0001', input_kind: 'auth_attempt' }),
    discoveryUnlinked: tag('T1082', { s: 1.5, tactic_id: 'TA0007', rule_id: 'R0018' }),
    shadowNoIp: tag('T1003.008', { s: 1.7, attacker_ip: null, attacker_uuid: a1.id, session_id: 's1', rule_id: 'R0014', confidence: 0.95 }),
    bruteParent: tag('T1110', { s: 1.8, attacker_uuid: a1.id, rule_id: 'R0002', confidence: 0.5, input_kind: 'auth_attempt' }),
    exploit: tag('T1190', { s: 10, attacker_ip: '203.0.113.7', tactic_id: 'TA0001', rule_id: 'R0007', decky: 'decky-03', service: 'http', input_kind: 'http_request' }),
    scanNoAttacker: tag('T1595.002', { s: 11, attacker_ip: '192.0.2.50', tactic_id: 'TA0043', rule_id: 'R0007', decky: 'decky-03', service: 'http', input_kind: 'http_request' }),
  };
  await insertTags(t.db, Object.values(tags));
  return { attacker1: a1.id, attacker2: a2.id, session1: await sessions(a1.id), session2: await sessions(a2.id), tags };
}

/** A rule of our own without regexes (nothing to prove). */
export const L0001 = `id: L0001
version: 1
name: netstat_run
title: netstat from a shell
status: stable
description: Listing connections with netstat.
inputs: [command]
detection:
  tool: {programs: [netstat]}
  condition: tool
emits:
  - {technique: T1049, tactic: TA0007, confidence: 0.6}
evidence_fields: [command_text]
tests:
  - {name: netstat, input: {kind: command, command_text: netstat -an}, expect: [T1049]}
  - {name: netstat alone, input: {kind: command, command_text: netstat}, expect: [T1049]}
  - {name: ss, input: {kind: command, command_text: ss -tlnp}, expect: []}
  - {name: ps, input: {kind: command, command_text: ps aux}, expect: []}
`;
