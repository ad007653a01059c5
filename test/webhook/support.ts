/**
 * Webhook test support: a REAL local HTTP receiver (node:http on 127.0.0.1, port 0)
 * that verifies every delivery's signatures (the official `standardwebhooks` library as
 * the oracle, and our own X-DECNET check written from the spec), a loopback-only
 * connect hook (a guard bug would then send nothing anywhere), scripted resolvers, and
 * a worker harness on a temporary SQLite database, a MemoryBus and a FakeClock.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { FakeClock, MemoryBus, MemoryHub, silentLogger, type Logger } from '../../src/bus/index.js';
import { loadConfig, type DecnetConfig } from '../../src/config/index.js';
import { journalAndPublish, openDatabase, type Db, type WebhookDelivery } from '../../src/db/index.js';
import { deriveKey } from '../../src/secrets/index.js';
import { runWebhook, sealSecret, standardWebhooksSecret, WebhookStats, type ConnectTarget, type HostResolver, type WebhookWorkerDeps } from '../../src/webhook/index.js';
import { until } from '../support/events.js';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body's `id` (the event id). */
  readonly eventId: string;
  readonly topic: string;
  /** Secrets (of those the receiver knows) whose signatures verified in BOTH schemes. */
  readonly verifiedWith: string[];
}

export type Responder = (req: { path: string; body: string; count: number }) => { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Secrets deliveries may be signed with (each verified on receipt). */
  secrets: string[];
  respond: Responder;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** `webhook-signature` checked by the official library (timestamp tolerance aside), `X-DECNET-Signature` by hand. */
export function verifiesWith(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const wh = new Webhook(standardWebhooksSecret(secret));
  const id = header(headers, 'webhook-id');
  const ts = Number(header(headers, 'webhook-timestamp'));
  const expected = wh.sign(id, new Date(ts * 1000), body).split(',')[1] ?? '';
  const standard = header(headers, 'webhook-signature')
    .split(' ')
    .some((entry) => entry.startsWith('v1,') && entry.slice(3) === expected);
  if (standard && Math.abs(ts - Date.now() / 1000) < 300) wh.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': header(headers, 'webhook-signature') }); // full library check when in tolerance
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest();
  const decnet = header(headers, 'x-decnet-signature')
    .split(',')
    .map((e) => e.trim())
    .some((e) => e.startsWith('sha256=') && e.length === 71 && timingSafeEqual(Buffer.from(e.slice(7), 'hex'), mac));
  return standard && decnet;
}

export async function startReceiver(secrets: string[] = []): Promise<Receiver> {
  const received: Received[] = [];
  let count = 0;
  const hanging = new Set<import('node:http').ServerResponse>();
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    secrets,
    respond: () => ({ status: 200 }),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: { id?: string; topic?: string } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // recorded as is
      }
      received.push({ path: req.url ?? '', headers: req.headers, body, eventId: parsed.id ?? '', topic: parsed.topic ?? '', verifiedWith: receiver.secrets.filter((s) => verifiesWith(s, req.headers, body)) });
      const answer = receiver.respond({ path: req.url ?? '', body, count: ++count });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  Object.assign(receiver, { port, url: `http://127.0.0.1:${port}` });
  return receiver;
}

/** A connect hook that refuses anything but loopback, and records every target. */
export function loopbackOnly(): { hook: (t: ConnectTarget) => void; seen: ConnectTarget[] } {
  const seen: ConnectTarget[] = [];
  return {
    seen,
    hook: (t) => {
      seen.push(t);
      if (t.address !== '127.0.0.1' && t.address !== '::1') throw new Error(`test connect hook: refusing non-loopback ${t.address}`);
    },
  };
}

/** A resolver answering from a script: each name's answers in turn (the last one repeats); counts lookups. */
export function scriptedResolver(script: Record<string, Array<readonly string[] | Error>>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (name: string): Promise<readonly string[]> => {
    calls.push(name);
    const answers = script[name];
    if (!answers || answers.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    const next = (answers.length > 1 ? answers.shift() : answers[0]) as readonly string[] | Error;
    if (next instanceof Error) throw next;
    return next;
  };
  return Object.assign(fn, { calls });
}

export interface Harness {
  readonly home: string;
  readonly db: Db;
  readonly bus: MemoryBus;
  readonly clock: FakeClock;
  readonly config: DecnetConfig;
  readonly masterKey: Buffer;
  readonly stats: WebhookStats;
  /** Creates an enabled subscription row with a sealed secret. */
  subscribe(opts: { url: string; patterns: string[]; secret?: string; name?: string }): Promise<{ id: string; secret: string }>;
  /** Journals (and publishes) `n` ttp.rule.fired events; returns their ids. */
  journal(n: number, technique?: string): Promise<string[]>;
  /** Starts the worker; `stop()` ends it. */
  start(extra?: Partial<WebhookWorkerDeps>): Promise<void>;
  stop(): Promise<void>;
  rows(subscriptionId: string): Promise<WebhookDelivery[]>;
  /** Waits (real time, generous) until a predicate over the rows holds. */
  untilRows(subscriptionId: string, cond: (rows: WebhookDelivery[]) => boolean, what: string): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}

/** A FakeClock near real time, so a receiver's 5-minute tolerance holds until a test moves it far. */
export function nearNowClock(): FakeClock {
  return new FakeClock(Math.floor(Date.now() / 1000) * 1000);
}

/** `open` gives another database (PostgreSQL cases); default a temporary SQLite file. */
export async function startHarness(env: Record<string, string> = {}, log: Logger = silentLogger, open?: (clock: FakeClock) => Promise<Db>): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), 'dn-wh-'));
  const clock = nearNowClock();
  const config = loadConfig({ env: { DECNET_HOME: home, DECNET_BUS_TYPE: 'memory', DECNET_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32', ...env } });
  const db = open ? await open(clock) : await openDatabase({ home, clock, log });
  const bus = new MemoryBus({ name: 'webhook-test', hub: new MemoryHub(), strict: true, clock });
  await bus.connect();
  const masterKey = randomBytes(32);
  const key = deriveKey(masterKey, 'webhook-secret');
  const stats = new WebhookStats();
  let stop: AbortController | undefined;
  let running: Promise<void> | undefined;
  const h: Harness = {
    home,
    db,
    bus,
    clock,
    config,
    masterKey,
    stats,
    subscribe: async (o) => {
      const id = randomUUID();
      const secret = o.secret ?? randomBytes(24).toString('base64url');
      await db.repos.webhookSubscriptions.create({ id, name: o.name ?? `wh-${id.slice(0, 8)}`, url: o.url, secretEnc: sealSecret(key, id, 'secret_enc', secret), topicPatterns: o.patterns, enabled: true });
      return { id, secret };
    },
    journal: async (n, technique = 'T1110') => {
      const ids: string[] = [];
      await db.write(async (tx) => {
        for (let i = 0; i < n; i++) ids.push((await journalAndPublish(tx, bus, `ttp.rule.fired.${technique}`, ruleFired(technique, i))).id);
      });
      return ids;
    },
    start: async (extra = {}) => {
      stop = new AbortController();
      let ready!: () => void;
      const started = new Promise<void>((r) => (ready = r));
      // no test touches real DNS: an unknown name fails closed (ENOTFOUND)
      running = runWebhook({ bus, db, config, log, clock, signal: stop.signal, masterKey, stats, random: () => 0.5, resolver: scriptedResolver({}), onReady: ready, ...extra });
      await Promise.race([started, running]);
    },
    stop: async () => {
      stop?.abort();
      await running;
      running = undefined;
    },
    rows: async (sub) => (await db.repos.webhookDeliveries.list(sub, { limit: 500, offset: 0 })).rows,
    untilRows: async (sub, cond, what) => {
      let rows: WebhookDelivery[] = [];
      await until(async () => cond((rows = await h.rows(sub))), what);
      return rows;
    },
    close: async () => {
      await h.stop();
      await bus.close();
      await db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

/** A valid `ttp.rule.fired.<technique>` payload, numbered. */
export function ruleFired(technique: string, i: number): {
  technique_id: string;
  sub_technique_ids: string[];
  tactic_ids: string[];
  tag_uuids: string[];
  rule_ids: string[];
  attacker_ip: string | null;
  attacker_uuid: null;
  identity_uuid: null;
  session_id: null;
  max_confidence: number;
  n: number;
} {
  return { technique_id: technique, sub_technique_ids: [], tactic_ids: ['TA0006'], tag_uuids: [], rule_ids: ['R0001'], attacker_ip: '198.51.100.23', attacker_uuid: null, identity_uuid: null, session_id: null, max_confidence: 0.9, n: i };
}
