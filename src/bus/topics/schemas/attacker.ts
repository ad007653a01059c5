/**
 * `attacker.*` payloads, as changed by analysis.md §0.6 relative to topics.md §2.4:
 * `fingerprinted` and `fingerprint_rotated` carry the fingerprint `kind` in the payload
 * (the reference put the probe name in `type`), and `observation.<primitive>` carries
 * analysis.md §8.1's fields with `primitive` as its only required one, since external
 * extractors publish it too.
 */
import { z } from 'zod';
import {
  ATTACKER_FINGERPRINT_ROTATED,
  ATTACKER_FINGERPRINTED,
  ATTACKER_INTEL_ENRICHED,
  ATTACKER_OBSERVED,
  ATTACKER_SCORED,
  ATTACKER_SESSION_ENDED,
  ATTACKER_SESSION_STARTED,
} from '../constants.js';
import { count, datetime, epoch, openPayload, strings, uuid, type PayloadTypes } from './common.js';

/** Fingerprint kinds written by ingest (analysis.md §4.1). */
export const FINGERPRINT_KINDS = [
  'jarm',
  'hassh_server',
  'tcpfp',
  'tls_certificate',
  'icmp_error',
  'icmp6_error',
  'ipv6_leak',
  'ja3',
  'ja4',
  'ja4h',
  'ja4_quic',
  'http2_settings',
  'http3_settings',
  'http_useragent',
  'http_quirks',
  'hassh',
  'ssh_client_banner',
  'vnc_client_version',
] as const;
export const BEHAVIOR_CLASSES = ['unknown', 'slow_scan', 'scanning', 'brute_force', 'beaconing', 'interactive', 'mixed'] as const;
export const VERDICTS = ['malicious', 'suspicious', 'benign', 'unknown'] as const;

const fingerprintKind = z.enum(FINGERPRINT_KINDS);
const verdict = z.enum(VERDICTS);
/** A port, or null for kinds without one (ICMP, IPv6 leaks). */
const port = z.int().min(0).max(65535).nullable();

/** One command of a session, as its log row has it (ttp.md: same `ts` and `command_text`). */
const sessionCommand = z.looseObject({ id: z.string(), command_text: z.string(), ts: datetime, decky: z.string(), service: z.string() });

export const attackerSchemas = {
  [ATTACKER_OBSERVED]: z.looseObject({ attacker_uuid: uuid, attacker_ip: z.string(), decky: z.string(), service: z.string(), event_type: z.string(), first_seen: datetime }),
  [ATTACKER_SCORED]: z.looseObject({
    attacker_uuid: uuid,
    attacker_ip: z.string(),
    event_count: count,
    service_count: count,
    decky_count: count,
    bounty_count: count,
    credential_count: count,
    is_traversal: z.boolean(),
    behavior_class: z.enum(BEHAVIOR_CLASSES),
    traversal_path: z.string().nullable(),
    first_seen: datetime,
    last_seen: datetime,
  }),
  /** Plus the kind's reference fields at top level (`jarm_hash`, `addr`, `iid_kind`…). */
  [ATTACKER_FINGERPRINTED]: z.looseObject({
    attacker_uuid: uuid,
    attacker_ip: z.string(),
    kind: fingerprintKind,
    value: z.string(),
    port,
    source: z.enum(['active', 'passive']),
    observed_at: datetime,
  }),
  [ATTACKER_FINGERPRINT_ROTATED]: z.looseObject({
    attacker_uuid: uuid,
    attacker_ip: z.string(),
    kind: fingerprintKind,
    probe_type: fingerprintKind,
    port,
    old_hash: z.string(),
    new_hash: z.string(),
    rotation_count: count,
    returning: z.boolean(),
    ts: datetime,
  }),
  /** Reserved: no session id is known before a session ends (analysis.md §2). */
  [ATTACKER_SESSION_STARTED]: openPayload,
  [ATTACKER_SESSION_ENDED]: z.looseObject({
    session_id: z.string().nullable(),
    attacker_uuid: uuid.nullable(),
    attacker_ip: z.string(),
    decky_id: z.string(),
    service: z.string(),
    ended_at: datetime,
    duration_s: z.number(),
    commands: z.array(sessionCommand),
    commands_truncated: z.boolean(),
    command_count: count,
    shard_path: z.string().nullable(),
  }),
  [ATTACKER_INTEL_ENRICHED]: z.looseObject({
    attacker_uuid: uuid,
    attacker_ip: z.string(),
    aggregate_verdict: verdict,
    partial: z.boolean(),
    providers: strings,
    provider_verdicts: z.record(z.string(), verdict.nullable()),
    sources: z.record(z.string(), z.enum(['file', 'api', 'url'])),
    expires_at: datetime.nullable(),
    abuseipdb_score: z.number().nullable(),
    abuseipdb_categories: z.array(z.int()),
    greynoise_classification: z.string().nullable(),
    greynoise_name: z.string().nullable(),
    greynoise_tags: strings,
    feodo_listed: z.boolean(),
    feodo_malware_family: z.string().nullable(),
    threatfox_listed: z.boolean(),
    threatfox_threat_types: strings,
    threatfox_ioc_types: strings,
    threatfox_malware_families: strings,
    blocklist_lists: strings,
  }),
};
export type AttackerPayloads = PayloadTypes<typeof attackerSchemas>;

export const attackerObservationSchema = z.looseObject({
  primitive: z.string(),
  id: z.string().optional(),
  ts: epoch.optional(),
  v: z.int().optional(),
  value: z.unknown().optional(),
  confidence: z.number().optional(),
  window: z.looseObject({ start_ts: epoch, end_ts: epoch }).optional(),
  source: z.string().optional(),
  evidence_ref: z.string().optional(),
  identity_ref: z.string().nullable().optional(),
  attacker_uuid: uuid.nullable().optional(),
});
export type AttackerObservationPayload = z.infer<typeof attackerObservationSchema>;
