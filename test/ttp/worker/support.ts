/**
 * Driving the `ttp` worker in tests: a database (SQLite or PostgreSQL), the memory bus with
 * a recorder subscribed to everything, ingest's real path for the example files, log rows
 * written directly, and the worker run until it has caught up with both of its sources.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isoFromEpochMs, MemoryBus, MemoryHub, silentLogger, systemClock, type BusEvent, type Clock, type SubscribeOptions, type Subscription } from '../../../src/bus/index.js';
import { loadConfig, type DecnetConfig } from '../../../src/config/index.js';
import type { Db, NewLogRow } from '../../../src/db/index.js';
import { ingestFile } from '../../../src/ingest/index.js';
import { runCorrelate } from '../../../src/correlate/index.js';
import { emptyTtpCounters, JOURNAL_INPUT_PATTERNS, runTtp, TTP_WORKER, type TtpCounters } from '../../../src/ttp/worker/index.js';
import type { DbTarget } from '../../conformance/db/harness.js';

export const REPO = join(import.meta.dirname, '..', '..', '..');
export const example = (name: string): string => join(REPO, 'examples', name);

/** A memory bus that remembers every pattern it was asked to subscribe to (the pinned subscription set, §1.4). */
export class RecordingBus extends MemoryBus {
  readonly subscribed: string[] = [];
  override subscribe(pattern: string, opts?: SubscribeOptions): Subscription {
    this.subscribed.push(pattern);
    return super.subscribe(pattern, opts);
  }
}

export interface StartOptions {
  /** The worker's clock (a FakeClock drives its timers: state poll, sweep, expiry). */
  readonly clock?: Clock;
  /** Another handle on the database (a second worker, in effect another process). */
  readonly db?: Db;
  readonly instance?: string;
}

export interface WorkerHarness {
  readonly db: Db;
  readonly hub: MemoryHub;
  readonly home: string;
  /** Everything published, in order. */
  readonly events: BusEvent[];
  config(env?: Record<string, string>): DecnetConfig;
  /** Another handle on the same database, closed with the harness. */
  open(): Promise<Db>;
  /** Ingests an example file through ingest's real path. */
  ingest(file: string, format: 'rfc5424' | 'cowrie' | 'opencanary'): Promise<void>;
  /** Writes log rows as ingest does (one transaction, the `logs` lock); returns their ids. */
  insertLogs(rows: readonly NewLogRow[]): Promise<number[]>;
  /**
   * One correlate pass to completion (attackers exist afterwards). With `announce: false`
   * it runs without a bus, so no `attacker.observed` reaches the worker.
   */
  correlate(opts?: { announce?: boolean }): Promise<void>;
  /** Starts the worker; `stop()` aborts it and resolves with its counters. */
  start(env?: Record<string, string>, opts?: StartOptions): RunningWorker;
  /** Runs the worker until both cursors reach the heads, then stops it. */
  runOnce(env?: Record<string, string>): Promise<TtpCounters>;
  close(): Promise<void>;
}

export interface RunningWorker {
  readonly bus: RecordingBus;
  /** The worker's live counters (refreshed after each pass). */
  readonly counters: TtpCounters;
  /** Publishes a `system.log` wake-up, so the worker makes a pass now rather than at its next poll. */
  nudge(): Promise<void>;
  caughtUp(): Promise<void>;
  stop(): Promise<TtpCounters>;
}

/** Polls `check` until it holds (a safety limit, not a timing assertion). */
export async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both cursors of the worker have reached the heads of what it reads. */
export async function ttpCaughtUp(db: Db): Promise<boolean> {
  const logs = (await db.repos.cursors.get(TTP_WORKER, 'logs')) ?? 0;
  const events = (await db.repos.cursors.get(TTP_WORKER, 'events')) ?? 0;
  const journalHead = await db.repos.journal.head();
  const pending = await db.repos.journal.countAfter(events, JOURNAL_INPUT_PATTERNS);
  return logs >= (await db.repos.logs.head()) && (pending === 0 || events >= journalHead);
}

// ---- log rows as ingest stores them ----

/** 2026-05-01T12:00:00Z, the examples' day. */
export const DAY = Date.UTC(2026, 4, 1, 12, 0, 0);

export interface RowSpec {
  /** Epoch ms of the act. */
  readonly ms: number;
  readonly ip: string;
  readonly eventType: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly msg?: string | null;
  readonly decky?: string;
  readonly service?: string;
}

export function logRow(spec: RowSpec): NewLogRow {
  const at = isoFromEpochMs(spec.ms);
  return {
    timestamp: at,
    receivedAt: at,
    decky: spec.decky ?? 'decky-03',
    service: spec.service ?? 'ssh',
    eventType: spec.eventType,
    attackerIp: spec.ip,
    severity: 6,
    facility: 16,
    procid: null,
    fields: spec.fields,
    sd: null,
    msg: spec.msg ?? null,
    rawLine: 'test',
    source: 'file:/test.log',
    flags: [],
  };
}

/** A shell command row (`command` input, ttp.md §1.3). */
export function commandRow(command: string, ip: string, ms: number, over: Partial<RowSpec> = {}): NewLogRow {
  return logRow({ ms, ip, eventType: 'command', fields: { command }, msg: `CMD: ${command}`, ...over });
}

/** A failed root login `s` seconds after `base`, its guess `guess<s>` (`auth_attempt`; five in 5 min fire R0001). */
export function failedLogin(s: number, ip = '192.0.2.77', base = DAY): NewLogRow {
  const secret = sha256Hex(`guess${s}`);
  return logRow({ ms: base + s * 1000, ip, eventType: 'login_attempt', fields: { principal: 'root', secret_sha256: secret, secret_kind: 'password', outcome: 'failure' } });
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function workerHarness(target: DbTarget): Promise<WorkerHarness> {
  const home = await mkdtemp(join(tmpdir(), 'dn-ttp-'));
  const db = await target.open();
  const others: Db[] = [];
  const hub = new MemoryHub();
  const events: BusEvent[] = [];
  const recorder = new MemoryBus({ name: 'recorder', hub });
  const sub = recorder.subscribe('>');
  await sub.ready;
  void (async () => {
    for await (const e of sub) events.push(e);
  })();
  const config = (env: Record<string, string> = {}): DecnetConfig => loadConfig({ env: { DECNET_HOME: home, DECNET_TTP_RULES_DIR: 'off', ...env } });
  const busOf = (name: string): RecordingBus => new RecordingBus({ name, hub, strict: true });
  const deps = (bus: MemoryBus | null, env: Record<string, string> = {}) => ({ db, bus, config: config(env), log: silentLogger, clock: systemClock });
  const h: WorkerHarness = {
    db,
    hub,
    home,
    events,
    config,
    async open() {
      const other = await target.open();
      others.push(other);
      return other;
    },
    async ingest(file, format) {
      const bus = busOf('ingest');
      await ingestFile({ ...deps(bus), signal: new AbortController().signal }, { file, format, follow: false, fromStart: false });
      await bus.close();
    },
    insertLogs: (rows) => db.write((tx) => db.repos.logs.insertMany(tx, rows), { locks: ['logs'] }),
    async correlate(opts = {}) {
      const bus = opts.announce === false ? null : busOf('correlate');
      await runCorrelate({ db, bus, settings: config().analysis, log: silentLogger, clock: systemClock, signal: new AbortController().signal, once: true });
      await bus?.close();
    },
    start(env = {}, opts = {}) {
      const bus = busOf('ttp');
      const stop = new AbortController();
      const counters = emptyTtpCounters();
      const wdb = opts.db ?? db;
      const run = runTtp({ ...deps(bus, env), db: wdb, clock: opts.clock ?? systemClock, signal: stop.signal, instance: opts.instance ?? 'test:1', counters });
      run.catch(() => undefined);
      const nudge = async (): Promise<void> => {
        await bus.publish('system.log', { kind: 'batch_committed', component: 'test', source: 'test', flushed: 1, first_log_id: 1, last_log_id: 1 });
      };
      return {
        bus,
        counters,
        nudge,
        caughtUp: async () => {
          // a wake makes the worker look now rather than at its next poll; the counters,
          // refreshed after each pass, say that the loop runs (an empty database is
          // "caught up" before the worker has even loaded its rules)
          await until(async () => {
            await nudge();
            return counters.rules_active > 0 && (await ttpCaughtUp(wdb));
          }, 'the ttp worker to catch up');
        },
        stop: async () => {
          stop.abort();
          const result = await run;
          await bus.close();
          return result;
        },
      };
    },
    async runOnce(env) {
      const w = h.start(env);
      await w.caughtUp();
      return w.stop();
    },
    async close() {
      await recorder.close();
      for (const other of others) await other.close();
      await db.close();
      await rm(home, { recursive: true, force: true });
    },
  };
  return h;
}
