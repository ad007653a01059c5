/**
 * `decnet ingest --file PATH` (eventplane.md §8.4, CORRECTIONS #7.14): one file through the
 * same pipeline as the worker's sources. Without `follow` it reads to the end and returns
 * a summary; a second run resumes from the committed offset (`0 new lines`);
 * `fromStart` re-reads the file under a fresh source id (`…#2`, `…#3`, …), so the first
 * run's rows stay and the new ones are told apart by `logs.source`.
 */
import { isAbsolute, resolve } from 'node:path';
import { checkNotEventLog, type IngestFormat } from '../config/index.js';
import { INGEST_EXTENSIONS } from './extensions.js';
import { IngestPipeline } from './pipeline.js';
import { tailFile } from './sources/file-tail.js';
import { fileKind, ingestSettings, type IngestDeps } from './worker.js';

export interface IngestFileOptions {
  readonly file: string;
  readonly format: IngestFormat;
  readonly follow: boolean;
  readonly fromStart: boolean;
  /** The decky of adapter rows (Cowrie `sensor`, OpenCanary `node_id` otherwise). */
  readonly decky?: string | undefined;
  /** Stat fallback while following (ms). */
  readonly pollMs?: number;
}

export interface IngestFileSummary {
  readonly source: string;
  readonly path: string;
  readonly format: IngestFormat;
  /** Lines consumed by this run. */
  readonly lines: number;
  readonly parsed: number;
  readonly unparsed: number;
  readonly filtered: number;
  readonly events: number;
  readonly credentials_dropped: number;
  /** The committed offset after the run (bytes). */
  readonly offset: number;
}

/** The source id of a path: `kind:path`, or the next `kind:path#N` for a fresh read. */
async function sourceId(deps: IngestDeps, base: string, fresh: boolean): Promise<string> {
  if (!fresh) return base;
  let latest = 0; // 0: the path was never read; 1: only under `base`; N: `base#N`
  for (const id of await deps.db.repos.ingestSources.idsWithPrefix(base)) {
    if (id === base) latest = Math.max(latest, 1);
    const m = /^#(\d+)$/.exec(id.slice(base.length));
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  return latest === 0 ? base : `${base}#${latest + 1}`;
}

export async function ingestFile(deps: IngestDeps, opts: IngestFileOptions): Promise<IngestFileSummary> {
  const { db, bus, clock, log, signal, config } = deps;
  const path = isAbsolute(opts.file) ? opts.file : resolve(opts.file);
  checkNotEventLog('--file', path, config.ingest.eventLogFile);
  const kind = fileKind(opts.format);
  const id = await sourceId(deps, `${kind}:${path}`, opts.fromStart);
  const pipeline = new IngestPipeline({ db, bus, clock, log, signal, settings: ingestSettings(config), extensions: deps.extensions ?? INGEST_EXTENSIONS });
  const batcher = await pipeline.openSource({ id, kind, format: opts.format, path, rowSource: id, decky: opts.decky });
  await tailFile({ batcher, path, follow: opts.follow, maxLine: config.ingest.maxLine, clock, log, signal, ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }) });
  await batcher.flush();
  const s = batcher.stats;
  return { source: id, path, format: opts.format, lines: s.lines, parsed: s.parsed, unparsed: s.unparsed, filtered: s.filtered, events: s.events, credentials_dropped: s.credentialsDropped, offset: batcher.state.offset };
}

/** The one-line summary `decnet ingest --file` prints. */
export function formatSummary(s: IngestFileSummary): string {
  if (s.lines === 0) return `${s.source}: 0 new lines`;
  return `${s.source}: ${s.lines} new lines: ${s.parsed} parsed, ${s.unparsed} unparsed, ${s.filtered} filtered, ${s.events} events`;
}
