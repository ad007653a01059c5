/**
 * `topology.*` payloads (eventplane.md §5). `payload` is an object everywhere (the
 * reference sometimes sent a JSON string); `status` carries both ends of the transition
 * (the reference published only a mutator degrade, with the key `state`).
 */
import { z } from 'zod';
import { MUTATION_APPLIED, MUTATION_APPLYING, MUTATION_ENQUEUED, MUTATION_FAILED } from '../constants.js';
import { jsonObject, uuid, type PayloadTypes } from './common.js';

/** The eight mutation ops (eventplane.md §5.3); the API refuses any other with 422. */
export const TOPOLOGY_OPS = ['add_lan', 'remove_lan', 'add_decky', 'attach_decky', 'detach_decky', 'remove_decky', 'update_decky', 'update_lan'] as const;
export const TOPOLOGY_STATUSES = ['pending', 'deploying', 'active', 'degraded', 'failed', 'tearing_down', 'torn_down'] as const;

const mutation = { mutation_id: uuid, op: z.enum(TOPOLOGY_OPS) };
const mutationWithPayload = z.looseObject({ ...mutation, payload: jsonObject });

export const mutationSchemas = {
  [MUTATION_ENQUEUED]: mutationWithPayload,
  [MUTATION_APPLYING]: mutationWithPayload,
  [MUTATION_APPLIED]: z.looseObject(mutation),
  /** `reason` is `"<Error>: <message>"`. */
  [MUTATION_FAILED]: z.looseObject({ ...mutation, reason: z.string() }),
};
export type MutationPayloads = PayloadTypes<typeof mutationSchemas>;

const status = z.enum(TOPOLOGY_STATUSES);
export const topologyStatusSchema = z.looseObject({ status, previous_status: status, reason: z.string().nullable() });
export type TopologyStatusPayload = z.infer<typeof topologyStatusSchema>;
