/**
 * `identity.*` and `campaign.*` payloads (analysis.md §6.4, §7.3, §0.6). The two families
 * share one lifecycle (form, link, merge, unmerge) one level apart, hence the shared
 * shapes. Merges are pointers: a loser's id stays resolvable.
 */
import { z } from 'zod';
import {
  CAMPAIGN_FORMED,
  CAMPAIGN_IDENTITY_ASSIGNED,
  CAMPAIGN_MERGED,
  CAMPAIGN_UNMERGED,
  IDENTITY_CAMPAIGN_ASSIGNED,
  IDENTITY_FORMED,
  IDENTITY_MERGED,
  IDENTITY_OBSERVATION_LINKED,
  IDENTITY_UNMERGED,
} from '../constants.js';
import { count, uuid, uuids, type PayloadTypes } from './common.js';

const merged = z.looseObject({ winner_uuid: uuid, loser_uuid: uuid });
/** The resurrected side keeps the loser's id, so cached references re-attach. */
const unmerged = z.looseObject({ resurrected_uuid: uuid, former_winner_uuid: uuid, reason: z.enum(['evidence', 'operator']) });
/** `prior_campaign_uuid` is null when the identity had no campaign. */
const assignment = { identity_uuid: uuid, campaign_uuid: uuid, prior_campaign_uuid: uuid.nullable() };

export const identitySchemas = {
  /** `shared_password_sha256`, `account_count`: reserved for TTP rule R0003 (ttp.md). */
  [IDENTITY_FORMED]: z.looseObject({
    identity_uuid: uuid,
    observation_uuids: uuids,
    split_from_uuid: uuid.nullable(),
    shared_password_sha256: z.string().optional(),
    account_count: count.optional(),
  }),
  [IDENTITY_OBSERVATION_LINKED]: z.looseObject({ identity_uuid: uuid, observation_uuid: uuid, prior_identity_uuid: uuid.nullable() }),
  [IDENTITY_MERGED]: merged,
  [IDENTITY_UNMERGED]: unmerged,
  [IDENTITY_CAMPAIGN_ASSIGNED]: z.looseObject({ ...assignment, reason: z.enum(['formed', 'assigned', 'campaign_merged', 'campaign_unmerged']) }),
};
export type IdentityPayloads = PayloadTypes<typeof identitySchemas>;

export const campaignSchemas = {
  [CAMPAIGN_FORMED]: z.looseObject({ campaign_uuid: uuid, identity_uuids: uuids }),
  [CAMPAIGN_IDENTITY_ASSIGNED]: z.looseObject(assignment),
  [CAMPAIGN_MERGED]: merged,
  [CAMPAIGN_UNMERGED]: unmerged,
};
export type CampaignPayloads = PayloadTypes<typeof campaignSchemas>;
