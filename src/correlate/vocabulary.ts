/**
 * How `correlate` reads a log row's `event_type` (analysis.md §1.2, §0.4, ttp.md §1.3):
 * interaction, noise or scan; command rows; session ends; mutation markers; and which
 * rows are the system's own work (internal deckies, `internal:*` sources).
 */
import type { LogFacts } from './inputs.js';

/** Event types that are an attacker interacting with a service. */
export const INTERACTION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'command', 'exec', 'query', 'input', 'shell_input', 'execute', 'run', 'sql_query', 'redis_command', 'ldap_search',
  'mail_from', 'rcpt_to', 'rcpt_denied', 'message_accepted', 'file_captured', 'upload', 'download_attempt', 'retr',
  'publish', 'subscribe', 'session_recorded',
]);

/** Event types that say nothing about an attacker's intent. */
export const NOISE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'startup', 'shutdown', 'config_error', 'parse_error', 'unknown_packet', 'unknown_opcode', 'unknown_command', 'protocol_error',
]);

/** Rows that carry a command line (CORRECTIONS #9.5): `command_count`, the commands route. */
export const COMMAND_EVENT_TYPES: readonly string[] = Object.freeze(['command', 'exec', 'shell_input', 'input', 'execute', 'run', 'redis_command', 'sql_query']);
const COMMAND_SET: ReadonlySet<string> = new Set(COMMAND_EVENT_TYPES);

/** A `session_recorded` row ends a session (eventplane.md §8.6). */
export const SESSION_END_EVENT_TYPE = 'session_recorded';
/** `decky_mutated` rows are timeline markers, not attacker activity (analysis.md §1.5). */
export const MUTATION_EVENT_TYPE = 'decky_mutated';

export type ActivityKind = 'interaction' | 'noise' | 'scan';

/** A verb we do not know is a scan: it is never over-credited. */
export function activityKind(eventType: string | null): ActivityKind {
  if (eventType !== null && INTERACTION_EVENT_TYPES.has(eventType)) return 'interaction';
  if (eventType !== null && NOISE_EVENT_TYPES.has(eventType)) return 'noise';
  return 'scan';
}

export function isCommandEvent(eventType: string | null): boolean {
  return eventType !== null && COMMAND_SET.has(eventType);
}

/** A decky whose name starts with the internal prefix is the system's own (the prober…). */
export function isInternalDecky(decky: string | null, prefix: string): boolean {
  return decky !== null && decky.startsWith(prefix);
}

/** Whether a row is the system's own work (§0.4; `internal:*` sources too): it never counts. */
export function isInternalRow(row: Pick<LogFacts, 'decky' | 'source'>, prefix: string): boolean {
  return isInternalDecky(row.decky, prefix) || row.source.startsWith('internal:');
}
