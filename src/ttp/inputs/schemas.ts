/**
 * zod schemas per input kind, generated from the one field table (kinds.ts): `inputSchema`
 * for projected inputs (what the engine receives) and `rawInputSchema` for the shape test
 * and eval lines are written in (§2.8: `ts` as ISO text, `password` instead of its hash,
 * `urls` instead of `url_hosts`, derived fields optional).
 */
import { z } from 'zod';
import { COMMON_FIELDS, INPUT_KINDS, KINDS, type FieldType, type InputKind } from './kinds.js';

function fieldSchema(t: FieldType): z.ZodType {
  switch (t) {
    case 'string':
      return z.string().nullable();
    case 'number':
      return z.number().nullable();
    case 'boolean':
      return z.boolean().nullable();
    case 'scalar':
      return z.union([z.string(), z.number()]).nullable();
    case 'strings':
      return z.array(z.string());
    case 'numbers':
      return z.array(z.number());
    case 'map':
      return z.record(z.string(), z.string());
    case 'any':
      return z.unknown();
  }
}

function shapeOf(kind: InputKind): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, t] of Object.entries({ ...COMMON_FIELDS, ...KINDS[kind].fields })) shape[name] = fieldSchema(t).optional();
  return shape;
}

const source = z.strictObject({ type: z.enum(['log', 'journal', 'bus', 'test', 'eval']), ref: z.union([z.string(), z.number()]).nullable() });

const projected = new Map<InputKind, z.ZodType>();
const raw = new Map<InputKind, z.ZodType>();

for (const kind of INPUT_KINDS) {
  const shape = shapeOf(kind);
  projected.set(
    kind,
    z.strictObject({
      ...shape,
      kind: z.literal(kind),
      id: z.string().startsWith(`${kind}:`),
      ts: z.number(),
      ts_text: z.string(),
      attacker_ip: z.string().nullable(),
      source: source.optional(),
    }),
  );
  const extras: Record<string, z.ZodType> = { ts: z.union([z.string(), z.number()]).optional(), id: z.string().optional(), ts_text: z.string().optional() };
  if (kind === 'auth_attempt') extras.password = z.string().optional();
  if (kind === 'email') extras.urls = z.array(z.string()).optional();
  if (kind === 'http_request') extras.headers = z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional();
  raw.set(kind, z.strictObject({ ...shape, ...extras, kind: z.literal(kind) }));
}

/** The schema of a projected input of `kind`. */
export function inputSchema(kind: InputKind): z.ZodType {
  return projected.get(kind) as z.ZodType;
}

/** The schema of a test or eval line of `kind` (before defaults and derived fields). */
export function rawInputSchema(kind: InputKind): z.ZodType {
  return raw.get(kind) as z.ZodType;
}
