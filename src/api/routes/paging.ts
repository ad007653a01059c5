/** Query pieces shared by the list routes (eventplane.md §1.1: `limit` 1–500, default 100, and `offset`). */
import { z } from 'zod';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});

/** A boolean in a query string: true/false, 1/0. */
export const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** An ISO-8601 time in a query, as ISO UTC with six digits (what the tables store). */
export const queryTime = z.string().transform((v, ctx) => {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(v.trim());
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[4] ?? 'Z'}`) : NaN;
  if (!m || Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO-8601 time, e.g. 2026-05-01T12:00:00Z' });
    return z.NEVER;
  }
  return `${new Date(ms).toISOString().slice(0, 19)}.${(m[3] ?? '').slice(0, 6).padEnd(6, '0')}Z`;
});
