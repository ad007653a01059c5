/**
 * Header checks (ttp.md §2.1, §2.6): the id (a topic token, CORRECTIONS #9.2; `R####` is
 * the pack's), version, name, title, status and `pending`, input kinds, producers (stable
 * needs them; experimental with all of them may be promoted), evidence fields.
 */
import { isValidTopic } from '../../bus/index.js';
import { INPUT_KINDS, isInputKind, KINDS, type InputKind } from '../inputs/kinds.js';
import { closest, type ProblemList } from '../problems.js';
import type { RuleDoc } from '../rule-schema.js';
import type { RuleSourceKind, RuleStatus } from '../rule.js';
import { lookupField } from './fields.js';

export const RULE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const RESERVED_ID = /^R\d{4}$/;
const SNAKE = /^[a-z][a-z0-9_]*$/;
const STATUSES: readonly RuleStatus[] = ['stable', 'experimental', 'deprecated'];
const KIND_RENAMES: Readonly<Record<string, InputKind>> = { commands: 'command', cmd: 'command', auth: 'auth_attempt', login: 'auth_attempt', login_attempt: 'auth_attempt', http: 'http_request', request: 'http_request', web: 'http_request', mail: 'email', reuse: 'credential_reuse' };

export function kindHint(k: string): string {
  const r = KIND_RENAMES[k] ?? closest(k, INPUT_KINDS);
  return r ? `use \`${r}\`` : `kinds are ${INPUT_KINDS.join(', ')}`;
}

export interface HeaderResult {
  readonly status: RuleStatus | null;
  readonly kinds: InputKind[];
}

export function checkHeader(doc: RuleDoc, source: RuleSourceKind | 'lint', problems: ProblemList): HeaderResult {
  if (!RULE_ID.test(doc.id) || !isValidTopic(doc.id)) problems.add('bad_id', ['id'], `\`${doc.id}\` must match [A-Za-z0-9_-]{1,64}`, 'the id becomes a topic token: letters, digits, `_` and `-` only');
  else if (RESERVED_ID.test(doc.id) && source !== 'builtin') problems.add('reserved_id', ['id'], `\`${doc.id}\` is reserved for the pack`, 'it overrides the shipped rule of that id; use e.g. `L0001` for a rule of your own');
  if (!(doc.version >= 1)) problems.add('wrong_type', ['version'], `version ${doc.version}`, 'a positive integer, bumped on every change');
  if (!SNAKE.test(doc.name)) problems.add('wrong_type', ['name'], `name \`${doc.name}\` is not snake_case`, `write e.g. \`${doc.name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'my_rule'}\``);
  if (doc.title.length > 120 || doc.title.includes('\n')) problems.add('wrong_type', ['title'], `the title is ${doc.title.length} characters${doc.title.includes('\n') ? ' on several lines' : ''}`, 'one line of at most 120 characters');
  let status: RuleStatus | null = null;
  if (!STATUSES.includes(doc.status as RuleStatus)) problems.add('bad_status', ['status'], `\`${doc.status}\``, 'use stable, experimental, deprecated');
  else status = doc.status as RuleStatus;
  if (status === 'experimental' && (doc.pending === undefined || doc.pending.trim() === '')) problems.add('pending_missing', ['status'], 'an experimental rule needs `pending`', 'add `pending: needs <topic or field>`');
  const kinds: InputKind[] = [];
  if (doc.inputs.length === 0) problems.add('missing_field', ['inputs'], 'a rule has at least one input kind', 'write `inputs: [command]`');
  doc.inputs.forEach((k, i) => {
    if (isInputKind(k)) {
      if (!kinds.includes(k)) kinds.push(k);
    } else problems.add('unknown_input', ['inputs', i], `kind \`${k}\``, kindHint(k));
  });
  for (const [i, f] of (doc.evidence_fields ?? []).entries()) {
    const r = lookupField(f, kinds, false);
    if (!r.ok) problems.add(r.secret ? 'secret_field' : 'unknown_evidence_field', ['evidence_fields', i], `no input of this rule has \`${f}\``, r.hint);
  }
  return { status, kinds };
}

/** Producer checks (§2.6), once the fields the rule reads are known. */
export function checkProducers(status: RuleStatus | null, kinds: readonly InputKind[], reservedFields: ReadonlySet<string>, problems: ProblemList): void {
  if (status === null || status === 'deprecated') return;
  const orphan = kinds.filter((k) => KINDS[k].producer === null);
  const reserved = [...reservedFields];
  if (status === 'stable' && (orphan.length > 0 || reserved.length > 0)) {
    const what = orphan.length > 0 ? `\`${orphan[0]}\` has no producer` : `\`${reserved[0]}\` is not sent by any producer`;
    problems.add('stable_without_producer', ['status'], what, 'mark the rule experimental with `pending: needs …`');
  }
  if (status === 'experimental' && orphan.length === 0 && reserved.length === 0) problems.add('can_promote', ['status'], 'every input now has a producer', 'add stable tests, remove `pending`, bump `version` and promote it to stable');
}
