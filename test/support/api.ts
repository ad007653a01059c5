/**
 * A real API on a real socket for tests: a temporary SQLite database, an
 * in-process bus of its own, a FakeClock, and helpers to create users and log
 * in over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi, hashPassword, type Api, type ApiDeps, type SupervisorHandle } from '../../src/api/index.js';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, type Logger } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase, type Db } from '../../src/db/index.js';

export interface TestApi {
  readonly url: string;
  readonly api: Api;
  readonly db: Db;
  readonly bus: MemoryBus;
  readonly hub: MemoryHub;
  readonly clock: FakeClock;
  /** Creates a user directly in the database. */
  user(username: string, role: 'admin' | 'viewer', opts?: { password?: string; mustChange?: boolean }): Promise<string>;
  /** Logs in over HTTP and returns the access token. */
  login(username: string, password?: string): Promise<string>;
  request(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery';

export async function startTestApi(opts: { env?: Record<string, string>; supervisor?: SupervisorHandle; webhook?: ApiDeps['webhook']; attackerExtensions?: ApiDeps['attackerExtensions']; clock?: FakeClock; log?: Logger } = {}): Promise<TestApi> {
  const home = mkdtempSync(join(tmpdir(), 'dn-api-'));
  const clock = opts.clock ?? new FakeClock(Date.UTC(2026, 11, 1, 12, 0, 0));
  const config = loadConfig({ env: { DECNET_HOME: home, DECNET_BUS_TYPE: 'memory', DECNET_LOGIN_RATE_PER_MIN: '1000', ...opts.env } });
  const db = await openDatabase({ home, clock, log: silentLogger });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'api-test', hub, strict: true, clock });
  const api = buildApi({ config, db, bus, clock, log: opts.log ?? silentLogger, jwtKey: randomBytes(32), ...(opts.supervisor ? { supervisor: opts.supervisor } : {}), ...(opts.webhook ? { webhook: opts.webhook } : {}), ...(opts.attackerExtensions ? { attackerExtensions: opts.attackerExtensions } : {}) });
  const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const request: TestApi['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const res = await fetch(`${address}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url: address,
    api,
    db,
    bus,
    hub,
    clock,
    user: async (username, role, o = {}) => {
      const u = await db.repos.users.create({ username, passwordHash: await hashPassword(o.password ?? TEST_PASSWORD), role, mustChangePassword: o.mustChange ?? false });
      return u.id;
    },
    login: async (username, password = TEST_PASSWORD) => {
      const r = await request('POST', '/api/v1/auth/login', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return (r.body as { access_token: string }).access_token;
    },
    request,
    close: async () => {
      await api.app.close();
      await bus.close();
      await db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
