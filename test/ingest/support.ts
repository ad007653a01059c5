/** Shared set-up of the ingest tests: a temp SQLite database, a strict memory bus, settings. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus, MemoryHub, silentLogger, systemClock, type BusEvent, type Clock } from '../../src/bus/index.js';
import { loadConfig, type DecnetConfig } from '../../src/config/index.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { IngestPipeline, INGEST_EXTENSIONS, type IngestExtension, type IngestSettings } from '../../src/ingest/index.js';

export const SETTINGS: IngestSettings = {
  maxLine: 65_536,
  batchSize: 100,
  batchMaxWaitMs: 250,
  dropApps: ['sshd', 'CRON'],
  rlEventTypes: ['connect'],
  rlWindowSec: 1,
  publishLines: false,
  storePlaintextCredentials: false,
  internalDeckyPrefix: 'decnet-',
};

export interface Harness {
  readonly home: string;
  readonly db: Db;
  readonly bus: MemoryBus;
  /** Every event published, in order. */
  readonly events: BusEvent[];
  config(env?: Record<string, string>): DecnetConfig;
  pipeline(over?: Partial<IngestSettings>, extra?: { extensions?: readonly IngestExtension[]; retryMs?: number; signal?: AbortSignal; maxQueued?: number }): IngestPipeline;
  /** Waits until `n` events arrived (safety limit, not a timing assertion). */
  settle(n?: number): Promise<void>;
  close(): Promise<void>;
}

export async function harness(clock: Clock = systemClock): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'dn-ingest-'));
  const db = await openDatabase({ url: `sqlite:${join(home, 'decnet.db')}`, home, clock });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'ingest-test', hub, clock, strict: true });
  const watcher = new MemoryBus({ name: 'watcher', hub, clock });
  const events: BusEvent[] = [];
  const sub = watcher.subscribe('>');
  await sub.ready;
  void (async () => {
    for await (const e of sub) events.push(e);
  })();
  return {
    home,
    db,
    bus,
    events,
    config: (env = {}) => loadConfig({ env: { DECNET_HOME: home, ...env } }),
    pipeline: (over = {}, extra = {}) => new IngestPipeline({ db, bus, clock, log: silentLogger, settings: { ...SETTINGS, ...over }, extensions: extra.extensions ?? INGEST_EXTENSIONS, ...(extra.retryMs === undefined ? {} : { retryMs: extra.retryMs }), ...(extra.signal ? { signal: extra.signal } : {}), ...(extra.maxQueued ? { maxQueued: extra.maxQueued } : {}) }),
    settle: async (n = 0) => {
      const deadline = Date.now() + 10_000;
      while (events.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
    },
    close: async () => {
      await sub.close();
      await Promise.all([bus.close(), watcher.close()]);
      await db.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** `topic` of each event, with the `kind` of system.log. */
export function topicsOf(events: readonly BusEvent[]): string[] {
  return events.map((e) => (e.topic === 'system.log' ? `system.log:${String((e.payload as { kind?: unknown }).kind)}` : e.topic));
}
