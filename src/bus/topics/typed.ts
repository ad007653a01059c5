/**
 * Compile-time link between a topic and its payload. A builder returns a
 * `TypedTopic<P>`: a string that also carries (only in the type system) the
 * payload type P, so `bus.publish(credential('captured'), {...})` is checked
 * by the compiler. A plain string topic takes any JSON object.
 */
import type { JsonObject } from '../envelope.js';

declare const payloadBrand: unique symbol;

export type TypedTopic<P extends object> = string & { readonly [payloadBrand]: P };

/** The payload type a topic value demands. */
export type PayloadOf<T extends string> = T extends { readonly [payloadBrand]: infer P } ? P : JsonObject;

/** Marks a built topic string with its payload type (no runtime cost). */
export function typedTopic<P extends object>(topic: string): TypedTopic<P> {
  return topic as TypedTopic<P>;
}
