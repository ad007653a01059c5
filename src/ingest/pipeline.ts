/**
 * The ingest pipeline: what every source shares (settings, the line filter, the store
 * and its extensions) and the per-source batchers it opens. A source reads lines and
 * hands them to its batcher; the batcher decodes, filters, extracts and commits them
 * (batcher.ts, store.ts). The database is the truth: events go out after each commit.
 */
import type { Bus, Clock, Logger } from '../bus/index.js';
import type { IngestConfig } from '../config/index.js';
import type { Db, IngestSourceState } from '../db/index.js';
import { LineDecoder } from './adapters/index.js';
import { SourceBatcher } from './batcher.js';
import type { IngestExtension } from './extension.js';
import { LineFilter } from './filters.js';
import type { IngestFormat } from './record.js';

/** The settings the pipeline reads (IngestConfig's, plus the internal-decky prefix of analysis.md §0.4). */
export type IngestSettings = Pick<
  IngestConfig,
  'maxLine' | 'batchSize' | 'batchMaxWaitMs' | 'dropApps' | 'rlEventTypes' | 'rlWindowSec' | 'publishLines' | 'storePlaintextCredentials'
> & { readonly internalDeckyPrefix: string };

export interface PipelineOptions {
  readonly db: Db;
  readonly bus: Bus | null;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: IngestSettings;
  readonly extensions?: readonly IngestExtension[];
  /** Ends batch retries. */
  readonly signal?: AbortSignal;
  /** ms before a failed batch is retried (5,000). */
  readonly retryMs?: number;
  /** Lines a source may hold before it pushes back or drops (default 10 batches, at least 1,000). */
  readonly maxQueued?: number;
  /** A batcher failed for good (see BatcherOptions.onFatal). */
  readonly onFatal?: (err: Error) => void;
}

export interface SourceSpec {
  /** `ingest_sources.id`, and `source` of `system.log`. */
  readonly id: string;
  readonly kind: string;
  readonly format: IngestFormat;
  /** File path or bind address. */
  readonly path: string;
  /** The rows' default `source`. */
  readonly rowSource: string;
  /** `--decky`: the decky of adapter rows. */
  readonly decky?: string | undefined;
}

export class IngestPipeline {
  readonly filter: LineFilter;

  constructor(readonly opts: PipelineOptions) {
    const s = opts.settings;
    this.filter = new LineFilter({ dropApps: s.dropApps, rlEventTypes: s.rlEventTypes, rlWindowSec: s.rlWindowSec });
  }

  get settings(): IngestSettings {
    return this.opts.settings;
  }

  /** A batcher for `spec`, resuming from its committed state when there is one. */
  async openSource(spec: SourceSpec): Promise<SourceBatcher> {
    const { db, bus, clock, log, settings } = this.opts;
    const stored = await db.repos.ingestSources.get(spec.id);
    const state: IngestSourceState = stored ?? {
      id: spec.id,
      kind: spec.kind,
      format: spec.format,
      path: spec.path,
      dev: null,
      inode: null,
      headHash: null,
      offset: 0,
      lines: 0,
      parsed: 0,
      unparsed: 0,
      filtered: 0,
      dropped: 0,
      truncations: 0,
      rotations: 0,
      lastError: null,
    };
    return new SourceBatcher({
      state,
      rowSource: spec.rowSource,
      decoder: new LineDecoder({ format: spec.format, source: spec.rowSource, decky: spec.decky, maxLine: settings.maxLine }),
      filter: this.filter,
      extract: { storePlaintext: settings.storePlaintextCredentials, internalPrefix: settings.internalDeckyPrefix },
      store: { db, bus, log, publishLines: settings.publishLines, extensions: this.opts.extensions ?? [] },
      clock,
      log,
      batchSize: settings.batchSize,
      maxWaitMs: settings.batchMaxWaitMs,
      ...(this.opts.retryMs === undefined ? {} : { retryMs: this.opts.retryMs }),
      ...(this.opts.signal === undefined ? {} : { signal: this.opts.signal }),
      ...(this.opts.onFatal === undefined ? {} : { onFatal: this.opts.onFatal }),
      ...(this.opts.maxQueued === undefined ? {} : { maxQueued: this.opts.maxQueued }),
    });
  }
}
