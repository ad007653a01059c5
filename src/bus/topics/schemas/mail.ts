/**
 * `email.*` and `smtp.*` payloads (topics.md §2.4, eventplane.md §8.6).
 *
 * PII rule: `email.received` carries hashes, counts and domains only, never a body or a
 * recipient address. The one exception is `smtp.probe.pending`, whose relay probe needs
 * `mail_from` and `rcpt_to`; viewers never receive `smtp.>` (eventplane.md §3.1).
 */
import { z } from 'zod';
import { EMAIL_RECEIVED, SMTP_PROBE_PENDING } from '../constants.js';
import { count, logId, strings, uuid, type PayloadTypes } from './common.js';

export const emailSchemas = {
  /** `attacker_uuid` is null until correlate knows the address; consumers resolve by IP. */
  [EMAIL_RECEIVED]: z.looseObject({
    source_id: logId,
    attacker_uuid: uuid.nullable(),
    attacker_ip: z.string(),
    decky_id: z.string(),
    service: z.string(),
    subject: z.string().nullable(),
    from_domain: z.string().nullable(),
    mail_from_domain: z.string().nullable(),
    return_path_domain: z.string().nullable(),
    rcpt_count: count,
    rcpt_domains: strings,
    x_mailer: z.string().nullable(),
    dkim_signed: z.boolean(),
    spf_pass: z.boolean(),
    urls: strings,
    attachment_count: count,
    attachment_sha256s: strings,
    attachment_extensions: strings,
    body_simhash: z.string(),
    body_base64_bytes: count,
    attachment_macros: z.boolean(),
    attachment_password_protected: z.boolean(),
    html_smuggling: z.boolean(),
    stored_as: z.string(),
    body_sha256: z.string(),
    mal_hash_match: z.unknown().optional(),
  }),
};
export type EmailPayloads = PayloadTypes<typeof emailSchemas>;

export const smtpSchemas = {
  /** `rcpt_to` is one address or the list, as the relay saw it. */
  [SMTP_PROBE_PENDING]: z.looseObject({ decky: z.string(), attacker_ip: z.string(), stored_as: z.string(), mail_from: z.string(), rcpt_to: z.union([z.string(), strings]) }),
};
export type SmtpPayloads = PayloadTypes<typeof smtpSchemas>;
