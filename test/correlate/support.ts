/**
 * Driving `correlate` in tests: write rows the way ingest does (its repositories, its
 * locks), run passes on a bus a recorder subscribed to first, and read what was derived.
 */
import { createHash, randomBytes } from 'node:crypto';
import { buildApi, hashPassword } from '../../src/api/index.js';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, type BusEvent } from '../../src/bus/index.js';
import { loadConfig, type AnalysisConfig } from '../../src/config/index.js';
import { runPass, type PassResult } from '../../src/correlate/index.js';
import type { Db, NewLogRow } from '../../src/db/index.js';

export const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

/** ISO with six digits, `s` seconds after T0. */
export function at(s: number): string {
  const ms = T0 + Math.floor(s * 1000);
  const micros = Math.round((s * 1e6) % 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

export function settings(env: Record<string, string> = {}): AnalysisConfig {
  return loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home', ...env } }).analysis;
}

export interface LineSpec {
  readonly s: number;
  readonly ip?: string | null;
  readonly decky?: string | null;
  readonly service?: string | null;
  readonly type?: string | null;
  readonly fields?: Record<string, string>;
  readonly msg?: string | null;
  readonly source?: string;
}

export function logRow(l: LineSpec): NewLogRow {
  return {
    timestamp: at(l.s),
    receivedAt: at(l.s),
    decky: l.decky === undefined ? 'decky-01' : l.decky,
    service: l.service === undefined ? 'ssh' : l.service,
    eventType: l.type === undefined ? 'connect' : l.type,
    attackerIp: l.ip === undefined ? '198.51.100.23' : l.ip,
    severity: 6,
    facility: 16,
    procid: null,
    fields: l.fields ?? {},
    sd: null,
    msg: l.msg ?? null,
    rawLine: 'test',
    source: l.source ?? 'file:/test.log',
    flags: [],
  };
}

export interface CredSpec {
  readonly s: number;
  readonly ip?: string;
  readonly decky?: string;
  readonly service?: string;
  readonly principal?: string;
  readonly secret: string;
  readonly kind?: string;
}

export const sha = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Inserts log lines (and, for each credential spec, a login row plus its credential) in one ingest-like transaction. */
export async function ingest(db: Db, lines: readonly LineSpec[], creds: readonly CredSpec[] = []): Promise<number[]> {
  return db.write(
    async (tx) => {
      const ids = await db.repos.logs.insertMany(tx, lines.map(logRow));
      for (const c of creds) {
        const base = { s: c.s, ip: c.ip ?? '198.51.100.23', decky: c.decky ?? 'decky-01', service: c.service ?? 'ssh' };
        const [logId] = await db.repos.logs.insertMany(tx, [logRow({ ...base, type: 'login_attempt', fields: { principal: c.principal ?? 'root', secret_kind: c.kind ?? 'plaintext', secret_sha256: sha(c.secret) } })]);
        await db.repos.credentials.upsert(tx, {
          attackerIp: base.ip,
          decky: base.decky,
          service: base.service,
          principal: c.principal ?? 'root',
          secretKind: c.kind ?? 'plaintext',
          secretSha256: sha(c.secret),
          secretPrintable: null,
          secretB64: null,
          seenAt: at(c.s),
          logId: logId as number,
        });
      }
      return ids;
    },
    { locks: ['logs', 'credentials'] },
  );
}

/** Records every event on the hub, subscribed before anything runs. */
export class Recorder {
  readonly events: BusEvent[] = [];
  private readonly sub: ReturnType<MemoryBus['subscribe']>;
  constructor(bus: MemoryBus, pattern = '>') {
    const sub = bus.subscribe(pattern);
    this.sub = sub;
    void (async () => {
      for await (const e of sub) this.events.push(e);
    })();
  }
  topics(prefix = ''): string[] {
    return this.events.map((e) => e.topic).filter((t) => t.startsWith(prefix));
  }
  of(topic: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.topic === topic).map((e) => e.payload as Record<string, unknown>);
  }
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
  close(): Promise<void> {
    return this.sub.close();
  }
}

export interface Rig {
  readonly db: Db;
  readonly bus: MemoryBus;
  readonly rec: Recorder;
  readonly clock: FakeClock;
  pass(over?: Record<string, string>): Promise<PassResult>;
  close(): Promise<void>;
}

export async function rig(db: Db, clock: FakeClock, env: Record<string, string> = {}): Promise<Rig> {
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'correlate-test', hub, strict: true, clock });
  const listener = new MemoryBus({ name: 'recorder', hub, strict: true, clock });
  const rec = new Recorder(listener);
  await new Promise((r) => setImmediate(r));
  return {
    db,
    bus,
    rec,
    clock,
    pass: async (over = {}) => {
      const r = await runPass({ db, bus, settings: settings({ ...env, ...over }), log: silentLogger, clock });
      await rec.settle();
      return r;
    },
    close: async () => {
      await rec.close();
      await listener.close();
      await bus.close();
    },
  };
}

export interface ViewerApi {
  get(path: string): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** The API over `db` (any dialect), asked by a logged-in viewer through fastify's inject. */
export async function viewerApi(db: Db, clock: FakeClock): Promise<ViewerApi> {
  const bus = new MemoryBus({ name: 'api-test', hub: new MemoryHub(), strict: true, clock });
  const config = loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home', DECNET_BUS_TYPE: 'memory' } });
  const { app } = buildApi({ config, db, bus, clock, log: silentLogger, jwtKey: randomBytes(32) });
  const password = 'correct horse battery';
  await db.repos.users.create({ username: 'viewer1', passwordHash: await hashPassword(password), role: 'viewer', mustChangePassword: false });
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'viewer1', password } });
  const token = (login.json() as { access_token: string }).access_token;
  return {
    get: async (path) => {
      const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });
      return { status: res.statusCode, body: res.json() as unknown };
    },
    close: async () => {
      await app.close();
      await bus.close();
    },
  };
}

export { FakeClock };
