/**
 * What ingest extracts from its lines besides credentials (eventplane.md §8.6,
 * analysis.md §4.1, CORRECTIONS #7.6): `artifacts` (captured files and stored mail) and
 * `fingerprint_observations` (read by correlate by cursor: `id` grows in commit order
 * under the table's advisory lock). Written in the batch transaction of their line.
 */
import type { Selectable } from 'kysely';
import { fromDbInt } from '../dialect.js';
import type { ArtifactsTable, FingerprintObservationsTable } from '../ingest-schema.js';
import { isoFromDb, nowIso } from '../time.js';
import type { WriteTx } from '../unit-of-work.js';
import { reader, type RepoContext } from './context.js';
import { chunked, jsonColumn, sqlitePrepared, uuidv7 } from './prepared.js';

export interface NewArtifact {
  readonly kind: 'file' | 'email';
  readonly attackerIp: string | null;
  readonly decky: string | null;
  readonly service: string | null;
  readonly sha256: string | null;
  readonly url: string | null;
  readonly storedAs: string | null;
  readonly logId: number;
}

export interface Artifact extends NewArtifact {
  readonly id: string;
  readonly createdAt: string;
}

export interface NewFingerprintObservation {
  readonly logId: number;
  readonly observedAt: string;
  readonly attackerIp: string | null;
  readonly decky: string | null;
  readonly service: string | null;
  readonly kind: string;
  readonly value: string;
  readonly port: number | null;
  readonly source: 'active' | 'passive';
  readonly details: Readonly<Record<string, unknown>>;
  /** `details` already serialised (ingest's drafts carry it), so the insert does not stringify it again. */
  readonly detailsJson?: string;
}

export interface FingerprintObservation extends Omit<NewFingerprintObservation, 'detailsJson'> {
  readonly id: number;
}

export interface IngestExtractsRepo {
  /** Inserts in `tx` after taking the `artifacts` lock. */
  insertArtifacts(tx: WriteTx, rows: readonly NewArtifact[]): Promise<void>;
  /** Inserts in `tx` after taking the `fingerprint_observations` lock. */
  insertFingerprints(tx: WriteTx, rows: readonly NewFingerprintObservation[]): Promise<void>;
  /** Observations with `id > after`, in id order, at most `limit`. */
  readFingerprintsAfter(after: number, limit: number, tx?: WriteTx): Promise<FingerprintObservation[]>;
  /** Oldest first; all, or one address's. */
  listArtifacts(filter: { attackerIp?: string; limit: number }, tx?: WriteTx): Promise<Artifact[]>;
}

const INSERT_ARTIFACT = 'insert into artifacts (id, kind, attacker_ip, decky, service, sha256, url, stored_as, log_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_FINGERPRINT = 'insert into fingerprint_observations (log_id, observed_at, attacker_ip, decky, service, kind, value, port, source, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

function toArtifact(row: Selectable<ArtifactsTable>): Artifact {
  return { id: row.id, kind: row.kind, attackerIp: row.attacker_ip, decky: row.decky, service: row.service, sha256: row.sha256, url: row.url, storedAs: row.stored_as, logId: fromDbInt(row.log_id), createdAt: isoFromDb(row.created_at) };
}

function toFingerprint(row: Selectable<FingerprintObservationsTable>): FingerprintObservation {
  return {
    id: fromDbInt(row.id),
    logId: fromDbInt(row.log_id),
    observedAt: isoFromDb(row.observed_at),
    attackerIp: row.attacker_ip,
    decky: row.decky,
    service: row.service,
    kind: row.kind,
    value: row.value,
    port: row.port,
    source: row.source,
    details: jsonColumn<Record<string, unknown>>(row.details, {}),
  };
}

export function createIngestExtractsRepo(ctx: RepoContext): IngestExtractsRepo {
  return {
    async insertArtifacts(tx, rows) {
      await tx.lock('artifacts');
      if (rows.length === 0) return;
      const now = nowIso(tx.clock);
      const values = rows.map((r) => ({ id: uuidv7(tx.clock.now()), kind: r.kind, attacker_ip: r.attackerIp, decky: r.decky, service: r.service, sha256: r.sha256, url: r.url, stored_as: r.storedAs, log_id: r.logId, created_at: now }));
      const insert = sqlitePrepared(ctx, tx, INSERT_ARTIFACT);
      if (insert) {
        for (const v of values) insert.run(v.id, v.kind, v.attacker_ip, v.decky, v.service, v.sha256, v.url, v.stored_as, v.log_id, v.created_at);
        return;
      }
      for (const part of chunked(values, 1000)) await tx.db.insertInto('artifacts').values(part).execute();
    },

    async insertFingerprints(tx, rows) {
      await tx.lock('fingerprint_observations');
      if (rows.length === 0) return;
      const insert = sqlitePrepared(ctx, tx, INSERT_FINGERPRINT);
      if (insert) {
        for (const r of rows) insert.run(r.logId, r.observedAt, r.attackerIp, r.decky, r.service, r.kind, r.value, r.port, r.source, r.detailsJson ?? JSON.stringify(r.details));
        return;
      }
      const values = rows.map((r) => ({ log_id: r.logId, observed_at: r.observedAt, attacker_ip: r.attackerIp, decky: r.decky, service: r.service, kind: r.kind, value: r.value, port: r.port, source: r.source, details: r.detailsJson ?? JSON.stringify(r.details) }));
      for (const part of chunked(values, 1000)) await tx.db.insertInto('fingerprint_observations').values(part).execute();
    },

    async readFingerprintsAfter(after, limit, tx) {
      const rows = await reader(ctx, tx).selectFrom('fingerprint_observations').selectAll().where('id', '>', after).orderBy('id').limit(limit).execute();
      return rows.map(toFingerprint);
    },

    async listArtifacts(filter, tx) {
      let q = reader(ctx, tx).selectFrom('artifacts').selectAll();
      if (filter.attackerIp !== undefined) q = q.where('attacker_ip', '=', filter.attackerIp);
      return (await q.orderBy('log_id').orderBy('id').limit(filter.limit).execute()).map(toArtifact);
    },
  };
}
