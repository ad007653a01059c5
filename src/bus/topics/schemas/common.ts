/**
 * Building blocks of the payload schemas.
 *
 * Every payload is a `z.looseObject`: named fields are checked, unknown keys pass and are
 * kept, because a newer producer may add fields before its consumers know them (adding
 * is fine, renaming is not). Validation only ever reads the payload; nothing here has a
 * default or a transform, so a schema can never rewrite what goes on the wire.
 *
 * Scalar aliases carry a description that `describe.ts` prints as the field type:
 * `uuid` and `datetime` are strings (ids are UUIDs, eventplane.md §1.1; times ISO-8601
 * UTC with microseconds), `epoch` a number of seconds (heartbeat, control and
 * attribution times). Formats are documented, not enforced: a wrong *type* is a bug the
 * strict bus must catch, a differently formatted id is not worth refusing an event.
 */
import { z } from 'zod';

export const uuid = z.string().describe('uuid');
export const datetime = z.string().describe('datetime');
export const epoch = z.number().describe('epoch');
export const count = z.int().nonnegative();
export const strings = z.array(z.string());
export const uuids = z.array(uuid);
/** Any JSON object (an op's payload, a validated service config…). */
export const jsonObject = z.record(z.string(), z.unknown());
/** A `logs.id`: an integer, which node-pg hands over as a string for bigserial. */
export const logId = z.union([z.int(), z.string()]);

/** A schema for a topic with no field list: unknown keys pass, nothing is required. */
export const openPayload = z.looseObject({});

/** The payload types of one family, keyed by the leaf its builder takes. */
export type PayloadTypes<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.infer<S[K]> };
