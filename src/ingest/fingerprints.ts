/**
 * The fingerprints a line carries (analysis.md §4.1): one `fingerprint_observations` row
 * per fingerprint, written in the batch transaction of its line. `source` is `active`
 * for the prober's own work (an internal decky, or APP-NAME `prober`), else `passive`.
 * Values are cut to 512 characters, details to 8 KiB of JSON.
 */
import { hash } from 'node:crypto';
import type { LogRecord } from './record.js';
import { classifyUserAgent } from './useragent.js';

export type FingerprintKind =
  | 'jarm'
  | 'hassh_server'
  | 'tcpfp'
  | 'tls_certificate'
  | 'icmp_error'
  | 'icmp6_error'
  | 'ipv6_leak'
  | 'ja3'
  | 'ja4'
  | 'ja4h'
  | 'ja4_quic'
  | 'http2_settings'
  | 'http3_settings'
  | 'http_useragent'
  | 'http_quirks'
  | 'hassh'
  | 'ssh_client_banner'
  | 'vnc_client_version';

export interface FingerprintDraft {
  readonly kind: FingerprintKind;
  readonly value: string;
  readonly port: number | null;
  readonly source: 'active' | 'passive';
  readonly details: Record<string, unknown>;
  /** `details` as stored: the size check serialised it already. */
  readonly detailsJson: string;
}

export const MAX_FINGERPRINT_VALUE = 512;
export const MAX_FINGERPRINT_DETAILS = 8 * 1024;
const TRUNCATED_JSON = JSON.stringify({ truncated: true });
const NO_DETAILS: readonly string[] = [];

function sha256(text: string): string {
  return hash('sha256', text); // one-shot: a third of createHash's cost
}

function port(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return null;
  const n = Number(value);
  return n <= 65535 ? n : null;
}

function pick(fields: Record<string, string>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (fields[name] !== undefined) out[name] = fields[name];
  return out;
}

/** Header names in request order, and a lower-cased lookup, from `fields.headers` (object or [[name, value]…]). */
export function readHeaders(text: string | undefined): { names: string[]; get(name: string): string | undefined } | null {
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const pairs: Array<[string, string]> = [];
  const add = (name: unknown, value: unknown): void => {
    if (typeof name !== 'string') return;
    pairs.push([name, Array.isArray(value) ? value.map(String).join(', ') : typeof value === 'string' ? value : JSON.stringify(value)]);
  };
  if (Array.isArray(parsed)) {
    for (const p of parsed) if (Array.isArray(p)) add(p[0], p[1]);
  } else if (parsed !== null && typeof parsed === 'object') {
    for (const [k, v] of Object.entries(parsed)) add(k, v);
  } else {
    return null;
  }
  const lookup = new Map<string, string>();
  for (const [k, v] of pairs) lookup.set(k.toLowerCase(), lookup.has(k.toLowerCase()) ? `${lookup.get(k.toLowerCase()) ?? ''}, ${v}` : v);
  return { names: pairs.map(([k]) => k), get: (name) => lookup.get(name) };
}

/** The fingerprints of one record. `internalPrefix`: DECNET_INTERNAL_DECKY_PREFIX. */
export function fingerprintsOf(record: LogRecord, internalPrefix: string): FingerprintDraft[] {
  const f = record.fields;
  const type = record.eventType;
  const source: FingerprintDraft['source'] = record.service === 'prober' || (record.decky !== null && internalPrefix !== '' && record.decky.startsWith(internalPrefix)) ? 'active' : 'passive';
  const out: FingerprintDraft[] = [];
  // `details` as field names is picked only once the value is there: most lines carry no fingerprint
  const add = (kind: FingerprintKind, value: string | undefined, p: number | null, details: Record<string, unknown> | readonly string[] = NO_DETAILS): void => {
    if (value === undefined || value === '' || value === '-') return;
    let d = Array.isArray(details) ? pick(f, details) : (details as Record<string, unknown>);
    let json = JSON.stringify(d);
    if (json.length > MAX_FINGERPRINT_DETAILS) {
      d = { truncated: true };
      json = TRUNCATED_JSON;
    }
    out.push({ kind, value: value.slice(0, MAX_FINGERPRINT_VALUE), port: p, source, details: d, detailsJson: json });
  };
  const targetPort = port(f.target_port);

  add('jarm', f.jarm_hash, targetPort);
  add('hassh_server', f.hassh_server_hash, targetPort, ['ssh_banner', 'kex_algorithms']);
  add('tcpfp', f.tcpfp_hash, targetPort, ['ttl', 'mss', 'window_size', 'df_bit', 'window_scale', 'sack_ok', 'options_order']);
  if (f.subject_cn !== undefined) {
    const value = f.cert_sha256 ?? sha256(`${f.subject_cn}|${f.issuer ?? ''}|${f.not_before ?? ''}`);
    add('tls_certificate', value, targetPort ?? port(f.dst_port), ['subject_cn', 'issuer', 'self_signed', 'not_before', 'not_after', 'sans']);
  }
  add('icmp_error', f.icmp_fp_hash, null, ['icmp_matrix', 'errors', 'flags']);
  add('icmp6_error', f.icmp6_fp_hash, null, ['icmp6_matrix', 'icmp_matrix', 'errors', 'flags']);
  if (type === 'ipv6_link_local_leak') add('ipv6_leak', f.addr ?? f.address, null, ['iid_kind', 'mac_oui', 'vector', 'on_iface']);
  if (type === 'quic_client_hello') {
    add('ja4_quic', f.ja4_quic ?? f.ja4, null, ['sni', 'alpn']);
  } else {
    const tls = ['ja3s', 'ja4s', 'tls_version', 'sni', 'alpn'];
    add('ja3', f.ja3, port(f.dst_port), tls);
    add('ja4', f.ja4, port(f.dst_port), tls);
  }
  if (type === 'http_request_fingerprint') add('ja4h', f.ja4h, null, ['method', 'path']);
  if (type === 'http2_settings' || type === 'http3_settings') {
    if (f.settings !== undefined) add(type, sha256(`${f.settings}|${f.frame_order ?? ''}`), null, ['settings', 'frame_order']);
  }

  const headers = readHeaders(f.headers);
  const ua = headers?.get('user-agent') ?? f.user_agent ?? f.useragent;
  if (ua !== undefined && ua !== '') {
    const cls = classifyUserAgent(ua);
    add('http_useragent', ua, port(f.dst_port), { category: cls.category, tool: cls.tool });
  }
  if (headers && headers.names.length > 0) add('http_quirks', sha256(headers.names.join(',')), port(f.dst_port), { header_order: headers.names });

  if (type === 'client_kex') add('hassh', f.hassh, null, ['hassh_algorithms']);
  if (type === 'client_version') {
    if (record.service === 'vnc') add('vnc_client_version', f.version, null);
    else add('ssh_client_banner', f.version, null);
  }
  add('ssh_client_banner', f.client_banner, null);
  return out;
}
