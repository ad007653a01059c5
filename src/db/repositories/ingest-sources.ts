/**
 * `ingest_sources` (eventplane.md §8.3): per source, the committed position and counters.
 * A file source's offset and identity are saved in the same transaction as the rows its
 * batch produced, which is what makes the tail exactly-once: a restart resumes from what
 * was committed, no more, no less. `GET /api/v1/ingest/status` and the heartbeat read it.
 */
import type { Selectable } from 'kysely';
import { fromDbInt } from '../dialect.js';
import type { IngestSourcesTable } from '../ingest-schema.js';
import { isoFromDb, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { inWrite, reader, type RepoContext } from './context.js';
import { sqlitePrepared } from './prepared.js';

const COLUMNS = ['kind', 'format', 'path', 'dev', 'inode', 'head_hash', 'offset', 'lines', 'parsed', 'unparsed', 'filtered', 'dropped', 'truncations', 'rotations', 'last_error', 'updated_at'] as const;
// every batch of a source saves its state: the upsert is on the hot path too
const UPSERT = `insert into ingest_sources (id, ${COLUMNS.map((c) => `"${c}"`).join(', ')}) values (?, ${COLUMNS.map(() => '?').join(', ')}) on conflict (id) do update set ${COLUMNS.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`;

export interface IngestSourceCounters {
  readonly lines: number;
  readonly parsed: number;
  readonly unparsed: number;
  readonly filtered: number;
  readonly dropped: number;
  readonly truncations: number;
  readonly rotations: number;
}

export interface IngestSourceState extends IngestSourceCounters {
  readonly id: string;
  /** `file`, `cowrie`, `opencanary`, `udp`, `tcp`. */
  readonly kind: string;
  readonly format: string;
  /** File path or bind address. */
  readonly path: string;
  readonly dev: string | null;
  readonly inode: string | null;
  readonly headHash: string | null;
  /** Bytes consumed. */
  readonly offset: number;
  readonly lastError: string | null;
}

export interface IngestSource extends IngestSourceState {
  readonly updatedAt: string;
}

export interface IngestSourcesRepo {
  get(id: string, tx?: WriteTx): Promise<IngestSource | undefined>;
  /** Upserts the whole state in the caller's transaction (or one of its own). */
  save(state: IngestSourceState, tx?: WriteTx): Promise<void>;
  /** By id. */
  list(tx?: WriteTx): Promise<IngestSource[]>;
  /** Ids starting with `prefix` (the generations of one path after --from-start). */
  idsWithPrefix(prefix: string, tx?: WriteTx): Promise<string[]>;
}

function toSource(row: Selectable<IngestSourcesTable>): IngestSource {
  return {
    id: row.id,
    kind: row.kind,
    format: row.format,
    path: row.path,
    dev: row.dev,
    inode: row.inode,
    headHash: row.head_hash,
    offset: fromDbInt(row.offset),
    lines: fromDbInt(row.lines),
    parsed: fromDbInt(row.parsed),
    unparsed: fromDbInt(row.unparsed),
    filtered: fromDbInt(row.filtered),
    dropped: fromDbInt(row.dropped),
    truncations: fromDbInt(row.truncations),
    rotations: fromDbInt(row.rotations),
    lastError: row.last_error,
    updatedAt: isoFromDb(row.updated_at),
  };
}

export function createIngestSourcesRepo(ctx: RepoContext): IngestSourcesRepo {
  return {
    async get(id, tx) {
      const row = await reader(ctx, tx).selectFrom('ingest_sources').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSource(row);
    },

    save(s, tx) {
      return inWrite(ctx, tx, async (t) => {
        const row = {
          kind: s.kind,
          format: s.format,
          path: s.path,
          dev: s.dev,
          inode: s.inode,
          head_hash: s.headHash,
          offset: s.offset,
          lines: s.lines,
          parsed: s.parsed,
          unparsed: s.unparsed,
          filtered: s.filtered,
          dropped: s.dropped,
          truncations: s.truncations,
          rotations: s.rotations,
          last_error: s.lastError,
          updated_at: nowIso(t.clock),
        };
        const prepared = sqlitePrepared(ctx, t, UPSERT);
        if (prepared) {
          prepared.run(s.id, row.kind, row.format, row.path, row.dev, row.inode, row.head_hash, row.offset, row.lines, row.parsed, row.unparsed, row.filtered, row.dropped, row.truncations, row.rotations, row.last_error, row.updated_at);
          return;
        }
        await t.db
          .insertInto('ingest_sources')
          .values({ id: s.id, ...row })
          .onConflict((oc) => oc.column('id').doUpdateSet(row))
          .execute();
      });
    },

    async list(tx) {
      return (await reader(ctx, tx).selectFrom('ingest_sources').selectAll().orderBy('id').execute()).map(toSource);
    },

    async idsWithPrefix(prefix, tx) {
      const rows = await reader(ctx, tx).selectFrom('ingest_sources').select('id').execute();
      return rows.map((r) => r.id).filter((id) => id.startsWith(prefix));
    },
  };
}
