/**
 * What a rule text declares about itself (id, version, description, …), read leniently so
 * that a text which does not validate can still be named: the version a rejected edit
 * carries (`ttp.rule.reloaded`), the API's view of a rule no worker has loaded yet.
 */
import { parseAllDocuments } from 'yaml';

export interface TextFacts {
  readonly id: string | null;
  readonly version: number | null;
  readonly description: string | null;
  readonly pending: string | null;
  readonly evidence_fields: string[];
  readonly test_count: number;
}

export function textFacts(text: string): TextFacts {
  let value: Record<string, unknown> = {};
  try {
    const docs = parseAllDocuments(text);
    const first = Array.isArray(docs) ? docs[0] : undefined;
    const v: unknown = first?.toJS();
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) value = v as Record<string, unknown>;
  } catch {
    // not YAML: nothing to say
  }
  const str = (k: string): string | null => (typeof value[k] === 'string' ? value[k] : null);
  return {
    id: str('id'),
    version: Number.isInteger(value.version) ? (value.version as number) : null,
    description: str('description'),
    pending: str('pending'),
    evidence_fields: Array.isArray(value.evidence_fields) ? value.evidence_fields.filter((f): f is string => typeof f === 'string') : [],
    test_count: Array.isArray(value.tests) ? value.tests.length : 0,
  };
}
