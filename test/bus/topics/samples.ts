/**
 * Test helpers: a valid sample payload for any catalogue schema, a value of the wrong
 * type for a field, and a call of an entry's documented builder expression.
 */
import { z } from 'zod';
import * as topics from '../../../src/bus/topics/index.js';

export const SAMPLE_UUID = '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c';
export const SAMPLE_TIME = '2026-05-01T12:00:00.123456Z';

/** A payload (or value) that `schema` accepts; optional keys are included so their types are exercised. */
export function sampleOf(schema: z.core.$ZodType): unknown {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return sampleOf(schema.unwrap());
  if (schema instanceof z.ZodString) return schema.description === 'uuid' ? SAMPLE_UUID : schema.description === 'datetime' ? SAMPLE_TIME : 'x';
  if (schema instanceof z.ZodNumber) return schema.description === 'epoch' ? 1777636800.123456 : 1;
  if (schema instanceof z.ZodBoolean) return true;
  if (schema instanceof z.ZodUnknown) return 'x';
  if (schema instanceof z.ZodLiteral) return [...schema.values][0];
  if (schema instanceof z.ZodEnum) return schema.options[0];
  if (schema instanceof z.ZodArray) return [sampleOf(schema.element)];
  if (schema instanceof z.ZodRecord) return {};
  if (schema instanceof z.ZodObject) {
    return Object.fromEntries(Object.entries(schema.shape as Record<string, z.core.$ZodType>).map(([k, v]) => [k, sampleOf(v)]));
  }
  if (schema instanceof z.ZodUnion) return sampleOf(schema.options[0] as z.core.$ZodType);
  throw new Error(`sampleOf: unsupported ${schema._zod.def.type}`);
}

const CANDIDATES: readonly unknown[] = [12345, 'not-the-right-type', true, ['x'], { x: 1 }];

/** A value `field` rejects (it accepts some of these, never all). */
export function wrongValueFor(field: z.core.$ZodType): unknown {
  const wrong = CANDIDATES.find((v) => !z.safeParse(field, v).success);
  if (wrong === undefined) throw new Error('wrongValueFor: the field accepts everything');
  return wrong;
}

/** The first field of an object (or of a union's first shape) that is not `unknown`. */
export function firstTypedField(schema: z.core.$ZodType): [string, z.core.$ZodType] | undefined {
  const object = schema instanceof z.ZodUnion ? schema.options[0] : schema;
  if (!(object instanceof z.ZodObject)) return undefined;
  return Object.entries(object.shape as Record<string, z.core.$ZodType>).find(([, v]) => !(v instanceof z.ZodUnknown));
}

/** Argument values by the builder parameter names of the catalogue (`deckyId`…). */
export type BuilderArgs = Readonly<Record<string, string>>;

/**
 * Evaluates an entry's builder expression (`topologyMutation(topologyId, MUTATION_APPLIED)`,
 * `WEBHOOK_SUBSCRIPTIONS_CHANGED`) against the real module: constants by name, parameters
 * from `args`. Fails when a documented builder or constant does not exist.
 */
export function callBuilder(expression: string, args: BuilderArgs): string {
  const exports = topics as Record<string, unknown>;
  if (/^[A-Z][A-Z0-9_]*$/.test(expression)) return exports[expression] as string;
  const call = /^(\w+)\((.*)\)$/.exec(expression);
  if (!call) throw new Error(`not a builder call: ${expression}`);
  const fn = exports[call[1] as string];
  if (typeof fn !== 'function') throw new Error(`no builder ${call[1]}`);
  const values = (call[2] as string).split(', ').map((arg) => {
    const value = /^[A-Z][A-Z0-9_]*$/.test(arg) ? exports[arg] : args[arg];
    if (typeof value !== 'string') throw new Error(`no value for ${arg} in ${expression}`);
    return value;
  });
  return (fn as (...a: string[]) => string)(...values);
}

/** The camelCase builder parameter of a template placeholder (`{topology_id}` → `topologyId`). */
export function paramOf(placeholder: string): string {
  return placeholder.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/** A template with its placeholders filled from `args`. */
export function fillTemplate(template: string, args: BuilderArgs): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => args[paramOf(name)] ?? `{${name}}`);
}
