/**
 * `decky.<decky_id>.*` payloads (topics.md §2.4, eventplane.md §5.5 and §6). The id token
 * is the decky name, or `<host_uuid>:<name>` in fleet mode.
 */
import { z } from 'zod';
import {
  DECKY_LIFECYCLE,
  DECKY_MUTATE_REQUEST,
  DECKY_MUTATION,
  DECKY_SERVICE_ADDED,
  DECKY_SERVICE_CONFIG_CHANGED,
  DECKY_SERVICE_REMOVED,
  DECKY_STATE,
  DECKY_TRAFFIC,
} from '../constants.js';
import { jsonObject, strings, uuid, type PayloadTypes } from './common.js';

/** `behavioral`, `healer` and `federation` are reserved (eventplane.md §6). */
export const MUTATION_TRIGGERS = ['creation', 'retirement', 'scheduled', 'operator', 'behavioral', 'healer', 'federation'] as const;

/** A live per-service change; `topology_id` is null for a fleet decky. */
const serviceChange = { decky_name: z.string(), service_name: z.string(), topology_id: uuid.nullable() };
const serviceMembership = z.looseObject({ ...serviceChange, services: strings });

export const deckySchemas = {
  [DECKY_STATE]: z.looseObject({
    host_uuid: uuid,
    name: z.string(),
    state: z.string(),
    transition: z.enum(['inserted', 'deleted', 'state_changed']),
    source: z.string(),
    previous_state: z.string().optional(),
  }),
  /** Sniffer events: the sniffer's event kind is the discriminator, the rest its fields. */
  [DECKY_TRAFFIC]: z.looseObject({ kind: z.string() }),
  /** Reserved (eventplane.md §10); the mutator falls back to `name` for the decky. */
  [DECKY_MUTATE_REQUEST]: z.looseObject({ name: z.string().optional() }),
  [DECKY_MUTATION]: z.looseObject({
    decky: z.string(),
    old_services: strings,
    new_services: strings,
    trigger: z.enum(MUTATION_TRIGGERS),
    actor: z.string().optional(),
    topology_id: uuid.optional(),
  }),
  [DECKY_SERVICE_ADDED]: serviceMembership,
  [DECKY_SERVICE_REMOVED]: serviceMembership,
  /** `recreated`: the container was recreated (Apply) rather than only saved. */
  [DECKY_SERVICE_CONFIG_CHANGED]: z.looseObject({ ...serviceChange, service_config: jsonObject, recreated: z.boolean() }),
  [DECKY_LIFECYCLE]: z.looseObject({
    lifecycle_id: z.string(),
    operation: z.string(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed']),
    error: z.string().max(2000).optional(),
  }),
};
export type DeckyPayloads = PayloadTypes<typeof deckySchemas>;
