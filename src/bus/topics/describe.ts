/**
 * Field → type descriptions derived from the payload schemas, for `decnet topics` and
 * docs/topics.md. Deriving them (rather than writing them beside each schema) keeps the
 * documentation from drifting away from what strict mode enforces.
 *
 * Notation: TypeScript-like (`string[]`, `uuid | null`, `"a" | "b"`, `{decky, service}`
 * objects spelled out); `(optional)` marks a key that may be absent; in a payload with
 * several shapes, a field only some shapes have says which (`(when kind=line)`).
 */
import { z } from 'zod';

/** Describes one schema as a type expression. Throws on a schema kind it cannot name. */
export function describeType(schema: z.core.$ZodType): string {
  return members(schema).join(' | ');
}

/** The alternatives of a type, flattened and de-duplicated (`integer | null`, not `integer | integer | null`). */
function members(schema: z.core.$ZodType): string[] {
  if (schema instanceof z.ZodOptional) return members(schema.unwrap());
  if (schema instanceof z.ZodNullable) return unique([...members(schema.unwrap()), 'null']);
  if (schema instanceof z.ZodUnion) return unique(schema.options.flatMap((o) => members(o)));
  if (schema instanceof z.ZodLiteral) return [...schema.values].map((v) => JSON.stringify(v));
  if (schema instanceof z.ZodEnum) return schema.options.map((v) => JSON.stringify(v));
  return [single(schema)];
}

function single(schema: z.core.$ZodType): string {
  if (schema instanceof z.ZodString) return schema.description ?? 'string';
  if (schema instanceof z.ZodNumber) return schema.description ?? (schema.format?.includes('int') ? 'integer' : 'number');
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodUnknown) return 'json';
  if (schema instanceof z.ZodArray) {
    const item = members(schema.element);
    return item.length > 1 ? `(${item.join(' | ')})[]` : `${item.join('')}[]`;
  }
  if (schema instanceof z.ZodRecord) {
    return schema.valueType instanceof z.ZodUnknown ? 'object' : `Record<string, ${describeType(schema.valueType)}>`;
  }
  if (schema instanceof z.ZodObject) {
    const fields = Object.entries(schema.shape as Record<string, z.core.$ZodType>);
    if (fields.length === 0) return 'object';
    return `{${fields.map(([k, v]) => `${k}${v instanceof z.ZodOptional ? '?' : ''}: ${describeType(v)}`).join(', ')}}`;
  }
  throw new Error(`describeType: no description for a ${schema._zod.def.type} schema`);
}

interface Variant {
  readonly label: string;
  readonly shape: Record<string, z.core.$ZodType>;
}

/** The field map of a payload schema: an object, or a union of objects. */
export function describeFields(schema: z.core.$ZodType): Record<string, string> {
  const variants = objectVariants(schema);
  const names = unique(variants.flatMap((v) => Object.keys(v.shape)));
  const out: Record<string, string> = {};
  for (const name of names) {
    const having = variants.filter((v) => v.shape[name] !== undefined);
    const types = unique(having.flatMap((v) => members(v.shape[name] as z.core.$ZodType)));
    const optional = having.some((v) => v.shape[name] instanceof z.ZodOptional);
    let type = types.join(' | ');
    if (having.length < variants.length) type += ` (when ${having.map((v) => v.label).join(' or ')})`;
    else if (optional) type += ' (optional)';
    out[name] = type;
  }
  return out;
}

function objectVariants(schema: z.core.$ZodType): Variant[] {
  if (schema instanceof z.ZodObject) return [{ label: '', shape: schema.shape as Record<string, z.core.$ZodType> }];
  if (schema instanceof z.ZodUnion) {
    const discriminator = schema instanceof z.ZodDiscriminatedUnion ? schema.def.discriminator : undefined;
    return schema.options.map((option, i) => {
      if (!(option instanceof z.ZodObject)) throw new Error('describeFields: a payload union must be made of objects');
      const shape = option.shape as Record<string, z.core.$ZodType>;
      const tag = discriminator === undefined ? undefined : shape[discriminator];
      const label = tag !== undefined ? `${discriminator}=${describeType(tag).replaceAll('"', '')}` : (option.description ?? `shape ${i + 1}`);
      return { label, shape };
    });
  }
  throw new Error(`describeFields: a payload schema must be an object or a union of objects, not a ${schema._zod.def.type}`);
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
