/**
 * The input kinds of ttp.md §1.2 and their fields: one table that lint (field names,
 * producers, reserved fields), the per-kind zod schemas and the test/eval projection read.
 *
 * A kind with `producer: null` has nothing sending it yet; rules on it are experimental
 * (§2.6). A *reserved* field exists so experimental rules lint, but no producer sends it:
 * a rule reading one cannot be promoted even when its kind has a producer.
 */

export const INPUT_KINDS = ['command', 'http_request', 'auth_attempt', 'session', 'credential_reuse', 'email', 'intel', 'fingerprint', 'identity', 'canary', 'behavior'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** `strings`/`numbers` are list fields (a condition holds when some element does); `map` takes dotted paths. */
export type FieldType = 'string' | 'number' | 'boolean' | 'scalar' | 'strings' | 'numbers' | 'map' | 'any';

export interface KindSpec {
  readonly kind: InputKind;
  /** The worker (issue) that produces this kind, or null. */
  readonly producer: string | null;
  /** Kind fields (the common ones are in COMMON_FIELDS). */
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Fields no producer sends yet. */
  readonly reserved: ReadonlySet<string>;
  /** Test default for `service` (CORRECTIONS #9.7). */
  readonly defaultService: string | null;
  /** Evidence fields every tag of this kind carries (§2.7). */
  readonly evidenceDefaults: readonly string[];
}

/** Fields every input has (§1.1). `source` (provenance) is not matchable and not listed. */
export const COMMON_FIELDS: Readonly<Record<string, FieldType>> = {
  kind: 'string',
  id: 'string',
  ts: 'number',
  ts_text: 'string',
  attacker_ip: 'string',
  attacker_uuid: 'string',
  identity_uuid: 'string',
  session_id: 'string',
  decky: 'string',
  service: 'string',
};

function spec(kind: InputKind, producer: string | null, fields: Record<string, FieldType>, opts: { reserved?: readonly string[]; service?: string; evidence?: readonly string[] } = {}): KindSpec {
  return { kind, producer, fields, reserved: new Set(opts.reserved ?? []), defaultService: opts.service ?? null, evidenceDefaults: opts.evidence ?? [] };
}

export const KINDS: Readonly<Record<InputKind, KindSpec>> = {
  command: spec(
    'command',
    'ingest',
    { command_text: 'string', programs: 'strings', uid: 'scalar', user: 'string', src: 'string', pwd: 'string', outcome: 'string' },
    { service: 'ssh', evidence: ['user', 'uid', 'src', 'pwd'] },
  ),
  http_request: spec(
    'http_request',
    'ingest',
    { method: 'string', path: 'string', query: 'string', url: 'string', headers: 'map', header_values: 'string', user_agent: 'string', host: 'string', body: 'string' },
    { service: 'http', evidence: ['method', 'path'] },
  ),
  auth_attempt: spec('auth_attempt', 'ingest', { username: 'string', password_sha256: 'string', secret_kind: 'string', outcome: 'string' }, { service: 'ssh', evidence: ['username', 'service'] }),
  session: spec('session', 'ingest', { duration_s: 'number', command_count: 'number', commands_truncated: 'boolean', ended_at: 'string' }),
  credential_reuse: spec('credential_reuse', 'correlate', {
    finding_id: 'string',
    secret_kind: 'string',
    principal: 'string',
    target_count: 'number',
    attempt_count: 'number',
    attacker_count: 'number',
    deckies: 'strings',
    services: 'strings',
    reason: 'string',
  }),
  email: spec(
    'email',
    'ingest',
    {
      source_id: 'scalar',
      subject: 'string',
      from_domain: 'string',
      mail_from_domain: 'string',
      return_path_domain: 'string',
      rcpt_count: 'number',
      rcpt_domains: 'strings',
      x_mailer: 'string',
      dkim_signed: 'boolean',
      spf_pass: 'boolean',
      url_hosts: 'strings',
      attachment_count: 'number',
      attachment_sha256s: 'strings',
      attachment_extensions: 'strings',
      body_simhash: 'string',
      body_base64_bytes: 'number',
      attachment_macros: 'boolean',
      attachment_password_protected: 'boolean',
      html_smuggling: 'boolean',
      stored_as: 'string',
      body_sha256: 'string',
      mal_hash_match: 'any',
      body_text: 'string',
    },
    { service: 'smtp', reserved: ['body_text'] },
  ),
  intel: spec('intel', null, {
    aggregate_verdict: 'string',
    partial: 'boolean',
    providers: 'strings',
    provider_verdicts: 'map',
    abuseipdb_score: 'number',
    abuseipdb_categories: 'numbers',
    greynoise_classification: 'string',
    greynoise_name: 'string',
    greynoise_tags: 'strings',
    feodo_listed: 'boolean',
    feodo_malware_family: 'string',
    threatfox_listed: 'boolean',
    threatfox_threat_types: 'strings',
    threatfox_ioc_types: 'strings',
    threatfox_malware_families: 'strings',
    blocklist_lists: 'strings',
    expires_at: 'string',
  }),
  // The payload's `source` (active|passive) is `probe_source` here: `source` is the input's provenance (§1.1).
  fingerprint: spec('fingerprint', null, { probe: 'string', value: 'string', port: 'number', probe_source: 'string', observed_at: 'string', jarm_hash: 'string', hassh: 'string', addr: 'string', iid_kind: 'string' }),
  identity: spec('identity', null, { event: 'string', member_count: 'number', shared_password_sha256: 'string', account_count: 'number' }, { reserved: ['shared_password_sha256', 'account_count'] }),
  canary: spec(
    'canary',
    null,
    {
      token_id: 'string',
      trigger_id: 'string',
      user_agent: 'string',
      request_path: 'string',
      dns_qname: 'string',
      navigator_webdriver: 'boolean',
      automation_match: 'string',
      canvas_hash: 'string',
      audio_hash: 'string',
      webrtc_ip: 'string',
      webrtc_geo_mismatch: 'boolean',
      tz_mismatch_zones: 'number',
      language_mismatch: 'boolean',
      platform_mismatch: 'boolean',
      webgl_mismatch: 'boolean',
    },
    { reserved: ['navigator_webdriver', 'automation_match', 'canvas_hash', 'audio_hash', 'webrtc_ip', 'webrtc_geo_mismatch', 'tz_mismatch_zones', 'language_mismatch', 'platform_mismatch', 'webgl_mismatch'] },
  ),
  behavior: spec(
    'behavior',
    null,
    {
      beacon_interval_s: 'number',
      beacon_jitter_pct: 'number',
      note_text: 'string',
      bytes_out: 'number',
      bytes_read: 'number',
      rows_read: 'number',
      request_count: 'number',
      dest_host: 'string',
      signals: 'strings',
      tftp_filename: 'string',
    },
    { reserved: ['beacon_interval_s', 'beacon_jitter_pct', 'note_text', 'bytes_out', 'bytes_read', 'rows_read', 'request_count', 'dest_host', 'signals', 'tftp_filename'] },
  ),
};

export function isInputKind(k: unknown): k is InputKind {
  return typeof k === 'string' && (INPUT_KINDS as readonly string[]).includes(k);
}

/** The type of `field` (first segment of a dotted path) on `kind`, or undefined. */
export function fieldType(kind: InputKind, field: string): FieldType | undefined {
  return COMMON_FIELDS[field] ?? KINDS[kind].fields[field];
}

/** Fields kept out of rules: credentials are redacted before they reach an input (§1.2). */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'secret', 'plaintext', 'secret_printable', 'secret_b64', 'passwd', 'pass']);

/** Renames the reference used, for hints (§3.2). */
export const FIELD_RENAMES: Readonly<Record<string, string>> = {
  raw_url: 'url',
  request_path: 'path',
  result: 'outcome',
  fail_count: 'an `aggregate` (count of failed attempts)',
  password_count: 'an `aggregate` (count_distinct of password_sha256)',
  user: 'username',
  cmd: 'command_text',
  command: 'command_text',
  useragent: 'user_agent',
  ua: 'user_agent',
  src_ip: 'attacker_ip',
  ip: 'attacker_ip',
};
