/**
 * The tables ingestion writes (eventplane.md §8.3, §8.6; analysis.md §3, §4.1; CORRECTIONS
 * #7.6, #7.13), as kysely sees them. The dialect shapes of schema.ts apply: integers from
 * `bigserial`/`bigint` may arrive as strings, JSON as text on SQLite, times as text. The
 * repositories (`logs`, `credentials`, `ingestSources`, `ingestExtracts`) normalise them.
 *
 * Cursor-read tables (`logs`, `credentials`, `fingerprint_observations`) have integer ids
 * that grow in commit order: every writer takes their advisory locks (logs first).
 */
import type { ColumnType, GeneratedAlways } from 'kysely';
import type { DbInt8, DbTime } from './schema.js';

type Nullable<T> = ColumnType<T | null, T | null, T | null>;
/** JSON: an object from jsonb, text from SQLite; written as JSON text. */
type DbJson = ColumnType<unknown, string, string>;

export interface LogsTable {
  /** Grows in commit order (AUTOINCREMENT / bigserial under the `logs` lock). */
  id: GeneratedAlways<number | string>;
  /** The line's time in UTC with its fraction (the receive time when it had none). */
  timestamp: DbTime;
  received_at: DbTime;
  decky: Nullable<string>;
  service: Nullable<string>;
  event_type: Nullable<string>;
  /** normalizeIp's form; null when the line names none. */
  attacker_ip: Nullable<string>;
  severity: Nullable<number>;
  facility: Nullable<number>;
  procid: Nullable<string>;
  /** `{name: text}`: the `relay@55555` parameters, or an adapter's fields (credentials redacted). */
  fields: DbJson;
  /** Other SD elements `{sd_id: {name: text}}`, null when none. */
  sd: ColumnType<unknown, string | null, string | null>;
  msg: Nullable<string>;
  raw_line: string;
  /** `file:<path>`, `udp:<peer>`, `tcp:<peer>`, `cowrie:<path>`, `opencanary:<path>`, `internal:<worker>`. */
  source: string;
  /** Comma-separated: `nil_timestamp`, `bad_timestamp`, `invalid_utf8`, `bom`, `double_wrap`; null when none. */
  flags: Nullable<string>;
}

export interface UnparsedLinesTable {
  id: GeneratedAlways<number | string>;
  source: string;
  received_at: DbTime;
  /** The line's first 8 KiB, recognisable secrets masked. */
  raw: string;
  reason: string;
  position: Nullable<number>;
}

export interface CredentialsTable {
  /** The cursor: grows in commit order (`credentials` lock). */
  seq: GeneratedAlways<number | string>;
  /** UUID. */
  id: string;
  attacker_ip: string;
  /** Back-filled by correlate. */
  attacker_id: Nullable<string>;
  decky: string;
  service: string;
  /** `""` when the line named none. */
  principal: string;
  secret_kind: string;
  /** Hex SHA-256 of the secret's bytes. */
  secret_sha256: string;
  /** Only with DECNET_STORE_PLAINTEXT_CREDENTIALS. */
  secret_printable: Nullable<string>;
  secret_b64: Nullable<string>;
  /** Occurrences. */
  count: DbInt8;
  first_seen: DbTime;
  last_seen: DbTime;
  /** The log row of the first occurrence. */
  log_id: DbInt8;
  created_at: DbTime;
  updated_at: DbTime;
}

export interface ArtifactsTable {
  /** UUID. */
  id: string;
  kind: 'file' | 'email';
  attacker_ip: Nullable<string>;
  decky: Nullable<string>;
  service: Nullable<string>;
  sha256: Nullable<string>;
  url: Nullable<string>;
  stored_as: Nullable<string>;
  log_id: DbInt8;
  created_at: DbTime;
}

export interface FingerprintObservationsTable {
  /** Grows in commit order (`fingerprint_observations` lock). */
  id: GeneratedAlways<number | string>;
  log_id: DbInt8;
  observed_at: DbTime;
  attacker_ip: Nullable<string>;
  decky: Nullable<string>;
  service: Nullable<string>;
  kind: string;
  value: string;
  port: Nullable<number>;
  source: 'active' | 'passive';
  details: DbJson;
}

export interface IngestSourcesTable {
  /** `file:<path>` (…`#2` after --from-start), `udp:<bind>`, `tcp:<bind>`. */
  id: string;
  /** `file`, `cowrie`, `opencanary`, `udp`, `tcp`. */
  kind: string;
  format: string;
  /** The file path or the bind address. */
  path: string;
  /** The tailed file's identity (decimal text: they exceed 2^53 on some filesystems). */
  dev: Nullable<string>;
  inode: Nullable<string>;
  /** Hex SHA-256 of the file's first min(1 KiB, offset) bytes. */
  head_hash: Nullable<string>;
  /** Bytes consumed (files). */
  offset: DbInt8;
  lines: DbInt8;
  parsed: DbInt8;
  unparsed: DbInt8;
  filtered: DbInt8;
  dropped: DbInt8;
  truncations: DbInt8;
  rotations: DbInt8;
  last_error: Nullable<string>;
  updated_at: DbTime;
}

export interface IngestTables {
  logs: LogsTable;
  unparsed_lines: UnparsedLinesTable;
  credentials: CredentialsTable;
  artifacts: ArtifactsTable;
  fingerprint_observations: FingerprintObservationsTable;
  ingest_sources: IngestSourcesTable;
}
