/**
 * `canary.<token_id>.*` payloads (eventplane.md §7). The type is the leaf (`placed`,
 * `triggered`, `revoked`); the reference published none. `revoked` has two shapes: an
 * operator's revoke names the placement, the worker's automatic one the trigger whose
 * fingerprint was collected.
 */
import { z } from 'zod';
import { CANARY_PLACED, CANARY_REVOKED, CANARY_TRIGGERED } from '../constants.js';
import { uuid, type PayloadTypes } from './common.js';

export const canarySchemas = {
  /** `instrumenter` for an uploaded blob, `generator` otherwise; the other is null. */
  [CANARY_PLACED]: z.looseObject({ token_id: uuid, decky_name: z.string(), placement_path: z.string(), instrumenter: z.string().nullable(), generator: z.string().nullable() }),
  [CANARY_TRIGGERED]: z.looseObject({
    token_id: uuid,
    trigger_id: uuid,
    decky_name: z.string(),
    src_ip: z.string(),
    user_agent: z.string().nullable(),
    request_path: z.string().nullable(),
    dns_qname: z.string().nullable(),
  }),
  [CANARY_REVOKED]: z.union([
    z.looseObject({ token_id: uuid, decky_name: z.string(), placement_path: z.string() }).describe('revoked by an operator'),
    z.looseObject({ token_id: uuid, trigger_id: uuid, reason: z.literal('fingerprint_collected') }).describe('revoked after a fingerprint'),
  ]),
};
export type CanaryPayloads = PayloadTypes<typeof canarySchemas>;
