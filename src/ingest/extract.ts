/**
 * What a stored line yields besides its `logs` row (eventplane.md §8.6): a credential
 * (hashed, redacted; CORRECTIONS #7.5), an artifact (`file_captured`, `message_stored`;
 * #7.6), fingerprint observations (analysis.md §4.1) and mail events. Pure: the pipeline
 * writes the drafts in the batch transaction and publishes after the commit.
 */
import { hash } from 'node:crypto';
import type { topics } from '../bus/index.js';
import type { CredentialUpsert } from '../db/index.js';
import { fingerprintsOf, type FingerprintDraft } from './fingerprints.js';
import type { LogRecord } from './record.js';
import { redactRecord } from './redact.js';

/** Stored caps (characters): principal, base64, printable (eventplane.md §8.6). */
export const MAX_PRINCIPAL = 256;
export const MAX_SECRET_B64 = 2048;
export const MAX_SECRET_PRINTABLE = 512;

/** A credential as a line yields it; the batch adds the `logId` of its row (`secretPrintable`/`secretB64` only with DECNET_STORE_PLAINTEXT_CREDENTIALS). */
export type CredentialDraft = Omit<CredentialUpsert, 'logId'>;

export interface ArtifactDraft {
  readonly kind: 'file' | 'email';
  readonly attackerIp: string | null;
  readonly decky: string | null;
  readonly service: string | null;
  readonly sha256: string | null;
  readonly url: string | null;
  readonly storedAs: string | null;
}

export interface MailDraft {
  /** `email.received`; `source_id` is set to the row's id after the insert. */
  readonly email: topics.EmailReceivedPayload;
  /** `smtp.probe.pending` for the `smtp_relay` service. */
  readonly probe: topics.SmtpProbePendingPayload | null;
}

export interface Extraction {
  readonly credential: CredentialDraft | null;
  /** Why a credential the line carried was not kept (`bad_base64`, `no_target`). */
  readonly credentialDropped: string | null;
  readonly artifact: ArtifactDraft | null;
  readonly fingerprints: FingerprintDraft[];
  readonly mail: MailDraft | null;
}

export interface ExtractOptions {
  /** DECNET_STORE_PLAINTEXT_CREDENTIALS. */
  readonly storePlaintext: boolean;
  /** DECNET_INTERNAL_DECKY_PREFIX (fingerprint `source`). */
  readonly internalPrefix: string;
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (padded, standard alphabet); null when it is not. */
export function decodeBase64Strict(text: string): Buffer | null {
  return B64_RE.test(text) ? Buffer.from(text, 'base64') : null;
}

/** Bytes as `secret_printable` writes them: outside 0x20–0x7e → `?`. */
export function printableOf(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '?';
  return out;
}

function secretOf(record: LogRecord): { bytes: Buffer; kind: string; principal: string; printable: string | undefined } | 'bad_base64' | null {
  const f = record.fields;
  if (record.credential) {
    const c = record.credential;
    return { bytes: Buffer.from(c.secret, 'utf8'), kind: c.kind, principal: c.principal, printable: undefined };
  }
  if (f.secret_b64 === undefined) return null;
  const bytes = decodeBase64Strict(f.secret_b64);
  if (bytes === null) return 'bad_base64';
  return { bytes, kind: f.secret_kind || 'plaintext', principal: f.principal ?? f.username ?? '', printable: f.secret_printable };
}

function list(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through to the comma form
    }
  }
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const bool = (text: string | undefined): boolean => text !== undefined && /^(?:true|1|yes)$/i.test(text);
const count = (text: string | undefined): number => (text !== undefined && /^\d+$/.test(text) ? Math.min(Number(text), Number.MAX_SAFE_INTEGER) : 0);
const nullable = (text: string | undefined): string | null => (text === undefined || text === '' ? null : text);

/** `email.received` from a `message_stored` line's fields: hashes, counts and domains only (topics.md). */
function mailOf(record: LogRecord): MailDraft {
  const f = record.fields;
  const email: MailDraft['email'] = {
    source_id: 0,
    attacker_uuid: null,
    attacker_ip: record.attackerIp ?? '',
    decky_id: record.decky ?? '',
    service: record.service ?? '',
    subject: nullable(f.subject),
    from_domain: nullable(f.from_domain),
    mail_from_domain: nullable(f.mail_from_domain),
    return_path_domain: nullable(f.return_path_domain),
    rcpt_count: count(f.rcpt_count),
    rcpt_domains: list(f.rcpt_domains),
    x_mailer: nullable(f.x_mailer),
    dkim_signed: bool(f.dkim_signed),
    spf_pass: bool(f.spf_pass),
    urls: list(f.urls),
    attachment_count: count(f.attachment_count),
    attachment_sha256s: list(f.attachment_sha256s),
    attachment_extensions: list(f.attachment_extensions),
    body_simhash: f.body_simhash ?? '',
    body_base64_bytes: count(f.body_base64_bytes),
    attachment_macros: bool(f.attachment_macros),
    attachment_password_protected: bool(f.attachment_password_protected),
    html_smuggling: bool(f.html_smuggling),
    stored_as: f.stored_as ?? '',
    body_sha256: f.body_sha256 ?? '',
    ...(f.mal_hash_match === undefined ? {} : { mal_hash_match: f.mal_hash_match }),
  };
  let probe: MailDraft['probe'] = null;
  if (record.service === 'smtp_relay') {
    const rcpt = list(f.rcpt_to);
    probe = { decky: record.decky ?? '', attacker_ip: record.attackerIp ?? '', stored_as: f.stored_as ?? '', mail_from: f.mail_from ?? '', rcpt_to: rcpt.length === 1 ? (rcpt[0] as string) : rcpt };
  }
  return { email, probe };
}

/**
 * Extracts and, unless plaintext is kept, redacts `record` in place (fields and raw line).
 * Every row with a credential gets `secret_sha256` (and `secret_kind`) in its fields.
 */
export function extract(record: LogRecord, opts: ExtractOptions): Extraction {
  let credential: CredentialDraft | null = null;
  let credentialDropped: string | null = null;
  const secret = secretOf(record);
  if (secret === 'bad_base64') {
    credentialDropped = 'bad_base64';
  } else if (secret !== null) {
    const sha = hash('sha256', secret.bytes);
    record.fields.secret_sha256 = sha;
    record.fields.secret_kind ??= secret.kind;
    if (record.attackerIp === null || record.decky === null || record.service === null) {
      credentialDropped = 'no_target';
    } else {
      credential = {
        attackerIp: record.attackerIp,
        decky: record.decky,
        service: record.service,
        principal: secret.principal.slice(0, MAX_PRINCIPAL),
        secretKind: secret.kind,
        secretSha256: sha,
        secretPrintable: opts.storePlaintext ? (secret.printable ?? printableOf(secret.bytes)).slice(0, MAX_SECRET_PRINTABLE) : null,
        secretB64: opts.storePlaintext ? secret.bytes.toString('base64').slice(0, MAX_SECRET_B64) : null,
        seenAt: record.timestamp,
      };
    }
  }
  if (!opts.storePlaintext) redactRecord(record);

  let artifact: ArtifactDraft | null = null;
  let mail: MailDraft | null = null;
  const f = record.fields;
  if (record.eventType === 'file_captured') {
    artifact = { kind: 'file', attackerIp: record.attackerIp, decky: record.decky, service: record.service, sha256: nullable(f.sha256), url: nullable(f.url), storedAs: nullable(f.outfile ?? f.stored_as) };
  } else if (record.eventType === 'message_stored') {
    mail = mailOf(record);
    artifact = { kind: 'email', attackerIp: record.attackerIp, decky: record.decky, service: record.service, sha256: nullable(f.body_sha256), url: null, storedAs: nullable(f.stored_as) };
  }
  return { credential, credentialDropped, artifact, fingerprints: fingerprintsOf(record, opts.internalPrefix), mail };
}
