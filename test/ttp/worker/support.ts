/**
 * Driving the `ttp` worker in tests: a database (SQLite or PostgreSQL), the memory bus with
 * a recorder subscribed to everything, ingest's real path for the example files, and the
 * worker run until it has caught up with both of its sources.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus, MemoryHub, silentLogger, systemClock, type BusEvent } from '../../../src/bus/index.js';
import { loadConfig, type DecnetConfig } from '../../../src/config/index.js';
import type { Db } from '../../../src/db/index.js';
import { ingestFile } from '../../../src/ingest/index.js';
import { runCorrelate } from '../../../src/correlate/index.js';
import { runTtp, TTP_WORKER, type TtpCounters } from '../../../src/ttp/worker/index.js';
import type { DbTarget } from '../../conformance/db/harness.js';

export const REPO = join(import.meta.dirname, '..', '..', '..');
export const example = (name: string): string => join(REPO, 'examples', name);

export interface WorkerHarness {
  readonly db: Db;
  readonly hub: MemoryHub;
  readonly home: string;
  /** Everything published, in order. */
  readonly events: BusEvent[];
  config(env?: Record<string, string>): DecnetConfig;
  /** Ingests an example file through ingest's real path. */
  ingest(file: string, format: 'rfc5424' | 'cowrie' | 'opencanary'): Promise<void>;
  /** One correlate pass to completion (attackers exist afterwards). */
  correlate(): Promise<void>;
  /** Starts the worker; `stop()` aborts it and resolves with its counters. */
  start(env?: Record<string, string>): RunningWorker;
  /** Runs the worker until both cursors reach the heads, then stops it. */
  runOnce(env?: Record<string, string>): Promise<TtpCounters>;
  close(): Promise<void>;
}

export interface RunningWorker {
  readonly bus: MemoryBus;
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

export async function workerHarness(target: DbTarget): Promise<WorkerHarness> {
  const home = await mkdtemp(join(tmpdir(), 'dn-ttp-'));
  const db = await target.open();
  const hub = new MemoryHub();
  const events: BusEvent[] = [];
  const recorder = new MemoryBus({ name: 'recorder', hub });
  const sub = recorder.subscribe('>');
  await sub.ready;
  void (async () => {
    for await (const e of sub) events.push(e);
  })();
  const config = (env: Record<string, string> = {}): DecnetConfig => loadConfig({ env: { DECNET_HOME: home, DECNET_TTP_RULES_DIR: 'off', ...env } });
  const busOf = (name: string): MemoryBus => new MemoryBus({ name, hub, strict: true });
  const deps = (bus: MemoryBus, env: Record<string, string> = {}) => ({ db, bus, config: config(env), log: silentLogger, clock: systemClock });
  const caughtUp = async (): Promise<boolean> => {
    const logs = (await db.repos.cursors.get(TTP_WORKER, 'logs')) ?? 0;
    const events = (await db.repos.cursors.get(TTP_WORKER, 'events')) ?? 0;
    const journalHead = await db.repos.journal.head();
    const pending = await db.repos.journal.countAfter(events, ['attacker.session.ended', 'email.received', 'credential.reuse.detected', 'canary.*.triggered']);
    return logs >= (await db.repos.logs.head()) && (pending === 0 || events >= journalHead);
  };
  const h: WorkerHarness = {
    db,
    hub,
    home,
    events,
    config,
    async ingest(file, format) {
      const bus = busOf('ingest');
      await ingestFile({ ...deps(bus), signal: new AbortController().signal }, { file, format, follow: false, fromStart: false });
      await bus.close();
    },
    async correlate() {
      const bus = busOf('correlate');
      await runCorrelate({ db, bus, settings: config().analysis, log: silentLogger, clock: systemClock, signal: new AbortController().signal, once: true });
      await bus.close();
    },
    start(env = {}) {
      const bus = busOf('ttp');
      const stop = new AbortController();
      const run = runTtp({ ...deps(bus, env), signal: stop.signal, instance: 'test:1' });
      run.catch(() => undefined);
      return {
        bus,
        caughtUp: async () => {
          // a wake makes the worker look now rather than at its next poll
          await until(async () => {
            await bus.publish('system.log', { kind: 'batch_committed', component: 'test', source: 'test', flushed: 1, first_log_id: 1, last_log_id: 1 });
            return caughtUp();
          }, 'the ttp worker to catch up');
        },
        stop: async () => {
          stop.abort();
          const counters = await run;
          await bus.close();
          return counters;
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
      await db.close();
      await rm(home, { recursive: true, force: true });
    },
  };
  return h;
}
