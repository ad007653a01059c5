/**
 * The `ingest` worker (eventplane.md §8.3): the configured sources — files
 * (`DECNET_INGEST_FILES`, followed), UDP and TCP listeners (`DECNET_INGEST_UDP`/`_TCP`,
 * 127.0.0.1:5514 by default, `off` disables) — into one pipeline, until the signal. A
 * source that fails (a file it may not read, a port in use) is logged, recorded as its
 * `last_error` and retried; it never takes the others down. Only a missing schema ends
 * the worker.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Bus, Clock, Logger } from '../bus/index.js';
import type { DecnetConfig, IngestFormat, ListenSetting } from '../config/index.js';
import type { Db } from '../db/index.js';
import { IngestSchemaError, type SourceBatcher } from './batcher.js';
import type { IngestExtension } from './extension.js';
import { INGEST_EXTENSIONS } from './extensions.js';
import { IngestPipeline, type IngestSettings, type SourceSpec } from './pipeline.js';
import { tailFile } from './sources/file-tail.js';
import { TcpListener } from './sources/tcp.js';
import { UdpListener } from './sources/udp.js';

/** ms before a failed source (unreadable file, port in use) is tried again. */
export const SOURCE_RETRY_MS = 30_000;

export interface IngestDeps {
  readonly bus: Bus | null;
  readonly db: Db;
  readonly config: DecnetConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Default: INGEST_EXTENSIONS. */
  readonly extensions?: readonly IngestExtension[];
  /** Reports each listener's bound address (port 0 picks one). */
  readonly onListening?: (kind: 'udp' | 'tcp', address: { address: string; port: number }) => void;
}

/** The pipeline settings of a configuration. */
export function ingestSettings(config: DecnetConfig): IngestSettings {
  const i = config.ingest;
  return { ...i, internalDeckyPrefix: config.analysis.internalDeckyPrefix };
}

/** `file`, `cowrie`, `opencanary`: the kind (and id prefix) of a tailed file of this format. */
export function fileKind(format: IngestFormat): string {
  return format === 'cowrie' || format === 'opencanary' ? format : 'file';
}

/** Per-source counters, for the heartbeat (and `GET /api/v1/ingest/status` through the table). */
export interface SourceStatus {
  readonly id: string;
  readonly kind: string;
  readonly path: string;
  readonly offset: number;
  readonly lines: number;
  readonly parsed: number;
  readonly unparsed: number;
  readonly filtered: number;
  readonly dropped: number;
  readonly queued: number;
  readonly last_error: string | null;
}

let running: SourceBatcher[] = [];

/** The heartbeat extras of the running worker (zeros when none runs in this process). */
export function ingestCounters(): Record<string, unknown> {
  const sources: SourceStatus[] = running.map((b) => ({
    id: b.state.id,
    kind: b.state.kind,
    path: b.state.path,
    offset: b.state.offset,
    lines: b.state.lines,
    parsed: b.state.parsed,
    unparsed: b.state.unparsed,
    filtered: b.state.filtered,
    dropped: b.state.dropped,
    queued: b.queued,
    last_error: b.lastError ?? b.state.lastError,
  }));
  const sum = (k: 'lines' | 'parsed' | 'unparsed' | 'filtered' | 'dropped'): number => sources.reduce((n, s) => n + s[k], 0);
  return { lines: sum('lines'), parsed: sum('parsed'), unparsed: sum('unparsed'), filtered: sum('filtered'), dropped: sum('dropped'), sources };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.')) || (isIPv6(host) && (host === '::1' || host === '0:0:0:0:0:0:0:1'));
}

export async function runIngest(deps: IngestDeps): Promise<void> {
  const { db, bus, clock, log, signal, config } = deps;
  const fatal = new AbortController();
  const stop = AbortSignal.any([signal, fatal.signal]);
  let failure: unknown;
  const onFatal = (err: Error): void => {
    if (!(err instanceof IngestSchemaError)) return; // an abort while retrying: the stop itself
    failure ??= err;
    fatal.abort(err);
  };
  const pipeline = new IngestPipeline({ db, bus, clock, log, signal, onFatal, settings: ingestSettings(config), extensions: deps.extensions ?? INGEST_EXTENSIONS });
  const batchers: SourceBatcher[] = [];
  const tasks: Array<Promise<void>> = [];

  /** Runs `attempt` until the signal, retrying after failures other than a missing schema. */
  const supervise = (batcher: SourceBatcher, what: string, attempt: () => Promise<void>): void => {
    tasks.push(
      (async () => {
        while (!stop.aborted) {
          try {
            await attempt();
            if (!stop.aborted) await clock.sleep(SOURCE_RETRY_MS, stop).catch(() => undefined);
          } catch (err) {
            if (err instanceof IngestSchemaError) {
              failure ??= err;
              fatal.abort(err);
              return;
            }
            if (stop.aborted) return;
            const message = err instanceof Error ? err.message : String(err);
            batcher.lastError = message;
            log.error({ source: batcher.id, err: message, retry_ms: SOURCE_RETRY_MS }, `ingest: ${what} failed; retrying`);
            await db.repos.ingestSources.save({ ...batcher.state, lastError: message.slice(0, 1000) }).catch(() => undefined);
            await clock.sleep(SOURCE_RETRY_MS, stop).catch(() => undefined);
          }
        }
      })(),
    );
  };

  for (const file of config.ingest.files) {
    const kind = fileKind(file.format);
    const spec: SourceSpec = { id: `${kind}:${file.path}`, kind, format: file.format, path: file.path, rowSource: `${kind}:${file.path}` };
    const batcher = await pipeline.openSource(spec);
    batchers.push(batcher);
    supervise(batcher, `tailing ${file.path}`, () => tailFile({ batcher, path: file.path, follow: true, maxLine: config.ingest.maxLine, clock, log, signal: stop }));
  }

  const listen = async (kind: 'udp' | 'tcp', setting: ListenSetting): Promise<void> => {
    const bind = setting.host.includes(':') ? `[${setting.host}]:${setting.port}` : `${setting.host}:${setting.port}`;
    if (!isLoopback(setting.host)) log.warn({ bind }, `ingest ${kind} listens beyond loopback: syslog has no authentication, anyone who reaches ${bind} can write logs`);
    const batcher = await pipeline.openSource({ id: `${kind}:${bind}`, kind, format: 'auto', path: bind, rowSource: `${kind}:${bind}` });
    batchers.push(batcher);
    supervise(batcher, `listening on ${kind} ${bind}`, async () => {
      const opts = { batcher, host: setting.host, port: setting.port, maxLine: config.ingest.maxLine, log, clock };
      const listener = kind === 'udp' ? new UdpListener(opts) : new TcpListener(opts);
      const address = await listener.start();
      deps.onListening?.(kind, address);
      batcher.lastError = null;
      try {
        await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true })));
      } finally {
        await listener.close();
      }
    });
  };
  if (config.ingest.udp) await listen('udp', config.ingest.udp);
  if (config.ingest.tcp) await listen('tcp', config.ingest.tcp);

  running = [...running, ...batchers];
  // with no source configured the worker still runs until stopped (ending early is a crash to the supervisor)
  tasks.push(new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true }))));
  try {
    await Promise.all(tasks);
    for (const b of batchers) {
      try {
        await b.flush();
      } catch (err) {
        failure ??= err instanceof IngestSchemaError ? err : undefined;
        log.warn({ source: b.id, err: err instanceof Error ? err.message : String(err) }, 'ingest: lines not committed at stop');
      }
    }
  } finally {
    running = running.filter((b) => !batchers.includes(b));
  }
  if (failure) throw failure;
}
