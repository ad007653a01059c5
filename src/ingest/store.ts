/**
 * One batch, one transaction (eventplane.md §8.3, §8.6): the `logs` advisory lock first,
 * then the rows, unparsed lines, artifacts, credentials, fingerprint observations, the
 * source's position and counters, the extensions, and the journaled events
 * (`credential.captured` per occurrence, `email.received`). Live events go out after the
 * commit: `system.log` `batch_committed` (none for a batch without rows), the per-line
 * `system.log` with DECNET_INGEST_PUBLISH_LINES, `smtp.probe.pending`. Nothing is published
 * before the commit, and a rolled-back batch publishes nothing.
 */
import { publishSafely, topics, type Bus, type Logger } from '../bus/index.js';
import { journalAndPublish, type Db, type IngestSourceState, type LogRow, type NewArtifact, type NewFingerprintObservation, type NewLogRow, type NewUnparsedLine, type WriteTx } from '../db/index.js';
import type { IngestExtension } from './extension.js';
import type { CredentialDraft, Extraction, MailDraft } from './extract.js';
import type { LogRecord } from './record.js';

const CREDENTIAL_CAPTURED = topics.credential(topics.CREDENTIAL_CAPTURED);
const EMAIL_RECEIVED = topics.emailTopic(topics.EMAIL_RECEIVED);
const SYSTEM_LOG = topics.system(topics.SYSTEM_LOG);
const SMTP_PROBE_PENDING = topics.smtp(topics.SMTP_PROBE_PENDING);

/** The tables a batch locks, in canonical order (`events` is taken last, by the journal). */
export const BATCH_LOCKS = ['logs', 'artifacts', 'credentials', 'fingerprint_observations'] as const;

export interface PreparedRow {
  readonly record: LogRecord;
  readonly extraction: Extraction;
}

export interface PreparedBatch {
  /** The source id, for `system.log`. */
  readonly source: string;
  readonly rows: readonly PreparedRow[];
  readonly unparsed: readonly NewUnparsedLine[];
  /** The source's state after this batch (position and counters). */
  readonly state: IngestSourceState;
}

export interface StoreContext {
  readonly db: Db;
  readonly bus: Bus | null;
  readonly log: Logger;
  readonly publishLines: boolean;
  readonly extensions: readonly IngestExtension[];
}

export interface StoreOutcome {
  /** Events this batch publishes (journaled and live). */
  readonly events: number;
  readonly firstLogId: number | null;
  readonly lastLogId: number | null;
}

function newLogRow(r: LogRecord): NewLogRow {
  return {
    timestamp: r.timestamp,
    receivedAt: r.receivedAt,
    decky: r.decky,
    service: r.service,
    eventType: r.eventType,
    attackerIp: r.attackerIp,
    severity: r.severity,
    facility: r.facility,
    procid: r.procid,
    fields: r.fields,
    sd: r.sd,
    msg: r.msg,
    rawLine: r.rawLine,
    source: r.source,
    flags: r.flags,
  };
}

/** The locks of a batch: ingest's tables and the extensions'. */
export function batchLocks(extensions: readonly IngestExtension[]): string[] {
  return [...BATCH_LOCKS, ...extensions.flatMap((e) => e.locks ?? [])];
}

/** Writes `batch` in one transaction; resolves after the commit (events then go out). */
export function storeBatch(ctx: StoreContext, batch: PreparedBatch): Promise<StoreOutcome> {
  return ctx.db.write((tx) => writeBatch(tx, ctx, batch), { locks: batchLocks(ctx.extensions) });
}

async function writeBatch(tx: WriteTx, ctx: StoreContext, batch: PreparedBatch): Promise<StoreOutcome> {
  const { repos } = ctx.db;
  const newRows = batch.rows.map((r) => newLogRow(r.record));
  const ids = await repos.logs.insertMany(tx, newRows);
  await repos.logs.insertUnparsed(tx, batch.unparsed);
  // the rows become the stored rows in place (one allocation per row on this path, not two)
  const stored: LogRow[] = newRows.map((r, i) => Object.assign(r, { id: ids[i] as number }));

  const artifacts: NewArtifact[] = [];
  const fingerprints: NewFingerprintObservation[] = [];
  const captured: Array<{ readonly row: number; readonly credential: CredentialDraft }> = [];
  const mails: Array<{ readonly row: number; readonly mail: MailDraft }> = [];
  for (let i = 0; i < batch.rows.length; i++) {
    const { record, extraction } = batch.rows[i] as PreparedRow;
    const logId = ids[i] as number;
    if (extraction.artifact) artifacts.push({ ...extraction.artifact, logId });
    for (const f of extraction.fingerprints) fingerprints.push({ kind: f.kind, value: f.value, port: f.port, source: f.source, details: f.details, detailsJson: f.detailsJson, logId, observedAt: record.timestamp, attackerIp: record.attackerIp, decky: record.decky, service: record.service });
    if (extraction.credential) captured.push({ row: i, credential: extraction.credential });
    if (extraction.mail) mails.push({ row: i, mail: extraction.mail });
  }
  await repos.ingestExtracts.insertArtifacts(tx, artifacts);
  await repos.credentials.upsertMany(
    tx,
    captured.map(({ row, credential: c }) => ({ ...c, logId: ids[row] as number })),
  );
  await repos.ingestExtracts.insertFingerprints(tx, fingerprints);
  await repos.ingestSources.save(batch.state, tx);

  let events = 0;
  for (const ext of ctx.extensions) events += await ext.onBatch(tx, { source: batch.source, rows: stored }, { bus: ctx.bus, log: ctx.log });
  for (const { credential: c } of captured) {
    await journalAndPublish(tx, ctx.bus, CREDENTIAL_CAPTURED, { secret_sha256: c.secretSha256, secret_kind: c.secretKind, attacker_ip: c.attackerIp, decky: c.decky, service: c.service });
  }
  events += captured.length;
  const probes: topics.SmtpProbePendingPayload[] = [];
  for (const { row, mail } of mails) {
    await journalAndPublish(tx, ctx.bus, EMAIL_RECEIVED, { ...mail.email, source_id: ids[row] as number });
    events++;
    if (mail.probe) probes.push(mail.probe);
  }

  const firstLogId = ids[0] ?? null;
  const lastLogId = ids.at(-1) ?? null;
  const live = probes.length + (stored.length > 0 ? 1 : 0) + (ctx.publishLines ? stored.length : 0);
  if (live > 0) {
    const { bus, log } = ctx;
    const clock = tx.clock;
    tx.afterCommit(async () => {
      for (const probe of probes) await publishSafely(bus, SMTP_PROBE_PENDING, probe, { log, clock });
      if (ctx.publishLines) {
        for (const r of stored) {
          await publishSafely(bus, SYSTEM_LOG, { kind: 'line', log_id: r.id, decky: r.decky ?? '', service: r.service ?? '', event_type: r.eventType ?? '', attacker_ip: r.attackerIp, timestamp: r.timestamp }, { log, clock });
        }
      }
      if (firstLogId !== null && lastLogId !== null) {
        await publishSafely(bus, SYSTEM_LOG, { kind: 'batch_committed', component: 'ingest', source: batch.source, flushed: stored.length, first_log_id: firstLogId, last_log_id: lastLogId }, { log, clock });
      }
    });
  }
  return { events: events + live, firstLogId, lastLogId };
}
