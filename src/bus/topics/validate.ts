/**
 * Payload validation against the catalogue (topics.md §1, CORRECTIONS #2.3). The bus
 * calls it at publish: with `DECNET_BUS_STRICT=1` a mismatch throws, otherwise it is
 * logged and counted and the event still goes out.
 *
 * It only reads: the payload that goes on the wire is the caller's object, untouched
 * (zod's parsed copy, which would drop nothing here but is still a copy, is discarded).
 * A topic outside the catalogue takes any JSON object.
 */
import type { z } from 'zod';
import { findTopicEntry } from './catalogue.js';

export type PayloadVerdict = { readonly ok: true } | { readonly ok: false; readonly issues: string[] };

const OK: PayloadVerdict = Object.freeze({ ok: true });

export function validatePayload(topic: string, payload: unknown): PayloadVerdict {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, issues: [`(payload): must be a JSON object, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`] };
  }
  const entry = findTopicEntry(topic);
  if (!entry) return OK;
  const result = entry.schema.safeParse(payload);
  return result.success ? OK : { ok: false, issues: result.error.issues.flatMap((issue) => describeIssue(issue)) };
}

/** One line per problem, `path: message`; a union that no shape matched lists each shape's problems. */
function describeIssue(issue: z.core.$ZodIssue, prefix: ReadonlyArray<PropertyKey> = []): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    return issue.errors.flatMap((branch, i) => branch.flatMap((inner) => describeIssue(inner, path).map((line) => `shape ${i + 1}: ${line}`)));
  }
  return [`${path.length === 0 ? '(payload)' : path.map(String).join('.')}: ${issue.message}`];
}
