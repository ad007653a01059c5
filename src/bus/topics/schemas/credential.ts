/**
 * `credential.*` and `attribution.*` payloads (eventplane.md §8.6, analysis.md §3, §8.4).
 * A secret never travels: only its SHA-256 and kind. Attribution times are epoch seconds.
 */
import { z } from 'zod';
import {
  ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED,
  ATTRIBUTION_PROFILE_STATE_CHANGED,
  CREDENTIAL_CAPTURED,
  CREDENTIAL_REUSE_DETECTED,
} from '../constants.js';
import { count, datetime, epoch, strings, uuid, uuids, type PayloadTypes } from './common.js';

export const credentialSchemas = {
  [CREDENTIAL_CAPTURED]: z.looseObject({ secret_sha256: z.string(), secret_kind: z.string(), attacker_ip: z.string(), decky: z.string(), service: z.string() }),
  /** Lists sorted and cut at 100 entries (`truncated`); `principal` is `*` across principals. */
  [CREDENTIAL_REUSE_DETECTED]: z.looseObject({
    id: uuid,
    secret_sha256: z.string(),
    secret_kind: z.string(),
    principal: z.string().nullable(),
    target_count: count,
    attempt_count: count,
    attacker_uuids: uuids,
    attacker_ips: strings,
    deckies: strings,
    services: strings,
    targets: z.array(z.looseObject({ decky: z.string(), service: z.string() })),
    first_seen: datetime,
    last_seen: datetime,
    reason: z.enum(['new', 'new_targets', 'new_attackers']),
    truncated: z.boolean(),
  }),
};
export type CredentialPayloads = PayloadTypes<typeof credentialSchemas>;

export const ATTRIBUTION_STATES = ['unknown', 'stable', 'drifting', 'conflicted', 'multi_actor'] as const;
const state = z.enum(ATTRIBUTION_STATES);

export const attributionSchemas = {
  /** `old_state` is null for a new (identity, primitive) pair. */
  [ATTRIBUTION_PROFILE_STATE_CHANGED]: z.looseObject({
    identity_uuid: uuid,
    primitive: z.string(),
    old_state: state.nullable(),
    new_state: state,
    current_value: z.union([z.string(), z.number()]).nullable(),
    confidence: z.number(),
    observation_count: count,
    ts: epoch,
  }),
  [ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED]: z.looseObject({ identity_uuid: uuid, primitives: strings, evidence_summary: z.string(), confidence: z.number(), ts: epoch }),
};
export type AttributionPayloads = PayloadTypes<typeof attributionSchemas>;
