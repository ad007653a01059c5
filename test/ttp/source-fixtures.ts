/**
 * Realistic rows and payloads for the input-source tests (ttp.md §1.3–§1.4): log rows as
 * ingest stores them, and payloads that pass the topic catalogue's schemas.
 */
import { createHash } from 'node:crypto';
import type { BusEvent } from '../../src/bus/index.js';
import type { JournalRow, LogRow } from '../../src/db/index.js';

export const IP = '198.51.100.23';
export const T0 = '2026-05-01T12:00:00.000000Z';
export const ATTACKER_UUID = '5b7e2c1a-0d4f-4e8a-9c3b-2f6a1d8e7c90';

/** An input id computed from ttp.md §1.5's formula, independently of src/ttp/inputs/ids.ts. */
export function specId(kind: string, ...elements: unknown[]): string {
  return `${kind}:${createHash('sha256').update(JSON.stringify([kind, ...elements]), 'utf8').digest('hex').slice(0, 32)}`;
}

/** JSON with object keys sorted at every level (§1.5's "key-sorted JSON"), written here independently. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** `payload` without `keys`. */
export function without(payload: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([k]) => !keys.includes(k)));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function logRow(over: Partial<LogRow> = {}): LogRow {
  return {
    id: 17,
    timestamp: T0,
    receivedAt: '2026-05-01T12:00:00.250000Z',
    decky: 'decky-01',
    service: 'ssh',
    eventType: 'command',
    attackerIp: IP,
    severity: 6,
    facility: 16,
    procid: null,
    fields: { command: 'cat /etc/shadow', session: 'a1b2c3d4e5f6' },
    sd: null,
    msg: 'CMD: cat /etc/shadow',
    rawLine: '{"eventid":"cowrie.command.input"}',
    source: 'cowrie:/var/log/cowrie/cowrie.json',
    flags: [],
    ...over,
  };
}

export function journalRow(topic: string, payload: Record<string, unknown>, over: Partial<JournalRow> = {}): JournalRow {
  return { seq: 42, id: 'a'.repeat(32), topic, type: topic.split('.').slice(1).join('.'), ts: 1777636800.5, payload, createdAt: '2026-05-01T12:00:00.500000Z', ...over };
}

export function busEvent(topic: string, payload: Record<string, unknown>, over: Partial<BusEvent> = {}): BusEvent {
  return { v: 1, id: 'b'.repeat(32), topic, type: topic.split('.').slice(1).join('.'), ts: 1777636800.5, payload, ...over };
}

export function sessionEnded(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: 'a1b2c3d4e5f6',
    attacker_uuid: null,
    attacker_ip: IP,
    decky_id: 'decky-01',
    service: 'ssh',
    ended_at: '2026-05-01T12:00:31.022490Z',
    duration_s: 30.9,
    commands: [
      { id: 'a1b2c3d4e5f6#0', command_text: 'uname -a', ts: '2026-05-01T12:00:12.004871Z', decky: 'decky-01', service: 'ssh' },
      { id: 'a1b2c3d4e5f6#1', command_text: 'cat /etc/shadow', ts: T0, decky: 'decky-01', service: 'ssh' },
    ],
    commands_truncated: false,
    command_count: 2,
    shard_path: null,
    ...over,
  };
}

export function emailReceived(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_id: 31,
    attacker_uuid: null,
    attacker_ip: '203.0.113.9',
    decky_id: 'decky-04',
    service: 'smtp',
    subject: 'Invoice overdue',
    from_domain: 'billing.example',
    mail_from_domain: 'bulk.example',
    return_path_domain: 'bulk.example',
    rcpt_count: 2,
    rcpt_domains: ['corp.example'],
    x_mailer: 'PHPMailer 6.8.0',
    dkim_signed: false,
    spf_pass: false,
    urls: ['https://Login.Micros0ft-Support.example/reset?u=1', 'http://198.51.100.80:8080/payload.exe'],
    attachment_count: 1,
    attachment_sha256s: ['ab'.repeat(32)],
    attachment_extensions: ['.DOCM'],
    body_simhash: '9f3a0c1e2b4d5f67',
    body_base64_bytes: 48213,
    attachment_macros: true,
    attachment_password_protected: false,
    html_smuggling: false,
    stored_as: 'mail/2026/05/01/31.eml',
    body_sha256: 'cd'.repeat(32),
    ...over,
  };
}

export function reuseDetected(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    secret_sha256: sha256('toor'),
    secret_kind: 'plaintext',
    principal: 'root',
    target_count: 2,
    attempt_count: 2,
    attacker_uuids: [ATTACKER_UUID],
    attacker_ips: [IP, '2001:DB8:0:0::1'],
    deckies: ['decky-01', 'decky-02'],
    services: ['ssh'],
    targets: [
      { decky: 'decky-01', service: 'ssh' },
      { decky: 'decky-02', service: 'ssh' },
    ],
    first_seen: '2026-05-01T12:00:09.517263Z',
    last_seen: '2026-05-01T12:10:04.882915Z',
    reason: 'new_targets',
    truncated: false,
    ...over,
  };
}

export const TOKEN = '7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
export const CANARY_TOPIC = `canary.${TOKEN}.triggered`;

export function canaryTriggered(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { token_id: TOKEN, trigger_id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', decky_name: 'decky-01', src_ip: '::ffff:198.51.100.23', user_agent: 'curl/8.4.0', request_path: '/c/3f9a1b', dns_qname: null, ...over };
}

export function intelEnriched(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    attacker_uuid: ATTACKER_UUID,
    attacker_ip: IP,
    aggregate_verdict: 'malicious',
    partial: false,
    providers: ['abuseipdb', 'greynoise', 'feodo'],
    provider_verdicts: { abuseipdb: 'malicious', greynoise: 'suspicious', feodo: null },
    sources: { abuseipdb: 'api', greynoise: 'api', feodo: 'file' },
    expires_at: '2026-05-02T12:00:00.000000Z',
    abuseipdb_score: 97,
    abuseipdb_categories: [18, 22],
    greynoise_classification: 'malicious',
    greynoise_name: null,
    greynoise_tags: ['SSH Bruteforcer', 'Mirai'],
    feodo_listed: false,
    feodo_malware_family: null,
    threatfox_listed: false,
    threatfox_threat_types: [],
    threatfox_ioc_types: [],
    threatfox_malware_families: [],
    blocklist_lists: ['firehol_level1'],
    ...over,
  };
}

export function fingerprinted(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    attacker_uuid: ATTACKER_UUID,
    attacker_ip: IP,
    kind: 'jarm',
    value: '2ad2ad0002ad2ad22c2ad2ad2ad2ad2eac92ec34bcc0cf7520e97547f83e81',
    port: 443,
    source: 'active',
    observed_at: '2026-05-01T12:30:00.123456Z',
    jarm_hash: '2ad2ad0002ad2ad22c2ad2ad2ad2ad2eac92ec34bcc0cf7520e97547f83e81',
    ...over,
  };
}

export const IDENTITY_UUID = '9d8c7b6a-5f4e-4d3c-8b2a-190817263544';

export function identityFormed(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    identity_uuid: IDENTITY_UUID,
    observation_uuids: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'],
    split_from_uuid: null,
    ...over,
  };
}
