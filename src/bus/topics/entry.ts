/**
 * One entry of the topic catalogue: everything `decnet topics`, the docs, strict
 * publish validation and the durable set need to know about a topic family.
 */
import type { z } from 'zod';

export interface TopicEntry {
  /** With the seeds' placeholder names, e.g. `topology.{topology_id}.mutation.applied`. */
  readonly template: string;
  /** The subscription pattern matching every topic of the entry, e.g. `topology.*.mutation.applied`. */
  readonly pattern: string;
  /** The envelope `type` (the catalogue constant, not the last token). */
  readonly type: string;
  /** The builder call that makes it, e.g. `topologyMutation(topologyId, MUTATION_APPLIED)`. */
  readonly builder: string;
  /** Runtime payload schema. Never rewrites the payload; unknown keys pass. */
  readonly schema: z.ZodType;
  /** Field name → type description, for `decnet topics` and docs/topics.md. */
  readonly payload: Readonly<Record<string, string>>;
  /** In the default durable set (JetStream stream, event journal). */
  readonly durable: boolean;
  /** Reserved: in the catalogue, no producer yet. */
  readonly reserved: boolean;
  /** One line on what the event means. */
  readonly description: string;
}
