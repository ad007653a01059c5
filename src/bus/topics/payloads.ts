/**
 * Named payload types, one per catalogue entry, inferred from the schemas (the schema is
 * the single source of truth). Each is an object type with an open index signature:
 * the compiler checks the named fields, and unknown extra keys are allowed, as at run time.
 */
import type * as c from './constants.js';
import type { AttackerPayloads } from './schemas/attacker.js';
import type { CanaryPayloads } from './schemas/canary.js';
import type { AttributionPayloads, CredentialPayloads } from './schemas/credential.js';
import type { DeckyPayloads } from './schemas/decky.js';
import type { CampaignPayloads, IdentityPayloads } from './schemas/identity.js';
import type { EmailPayloads, SmtpPayloads } from './schemas/mail.js';
import type { OrchestratorPayloads } from './schemas/orchestrator.js';
import type { SystemPayloads } from './schemas/system.js';
import type { MutationPayloads } from './schemas/topology.js';
import type { TtpPayloads } from './schemas/ttp.js';

export type { AttackerObservationPayload } from './schemas/attacker.js';
export type { BusHealthPayload, SubscriptionsChangedPayload, WorkerControlPayload, WorkerHealthPayload } from './schemas/system.js';
export type { TopologyStatusPayload } from './schemas/topology.js';
export type { TtpRuleFiredPayload, TtpRuleReloadedPayload, TtpRuleStatePayload } from './schemas/ttp.js';

export type MutationEnqueuedPayload = MutationPayloads[typeof c.MUTATION_ENQUEUED];
export type MutationApplyingPayload = MutationPayloads[typeof c.MUTATION_APPLYING];
export type MutationAppliedPayload = MutationPayloads[typeof c.MUTATION_APPLIED];
export type MutationFailedPayload = MutationPayloads[typeof c.MUTATION_FAILED];

export type DeckyStatePayload = DeckyPayloads[typeof c.DECKY_STATE];
export type DeckyTrafficPayload = DeckyPayloads[typeof c.DECKY_TRAFFIC];
export type DeckyMutateRequestPayload = DeckyPayloads[typeof c.DECKY_MUTATE_REQUEST];
export type DeckyMutationPayload = DeckyPayloads[typeof c.DECKY_MUTATION];
export type DeckyServiceAddedPayload = DeckyPayloads[typeof c.DECKY_SERVICE_ADDED];
export type DeckyServiceRemovedPayload = DeckyPayloads[typeof c.DECKY_SERVICE_REMOVED];
export type DeckyServiceConfigChangedPayload = DeckyPayloads[typeof c.DECKY_SERVICE_CONFIG_CHANGED];
export type DeckyLifecyclePayload = DeckyPayloads[typeof c.DECKY_LIFECYCLE];

export type AttackerObservedPayload = AttackerPayloads[typeof c.ATTACKER_OBSERVED];
export type AttackerScoredPayload = AttackerPayloads[typeof c.ATTACKER_SCORED];
export type AttackerFingerprintedPayload = AttackerPayloads[typeof c.ATTACKER_FINGERPRINTED];
export type AttackerFingerprintRotatedPayload = AttackerPayloads[typeof c.ATTACKER_FINGERPRINT_ROTATED];
export type AttackerSessionStartedPayload = AttackerPayloads[typeof c.ATTACKER_SESSION_STARTED];
export type AttackerSessionEndedPayload = AttackerPayloads[typeof c.ATTACKER_SESSION_ENDED];
export type AttackerIntelEnrichedPayload = AttackerPayloads[typeof c.ATTACKER_INTEL_ENRICHED];

export type IdentityFormedPayload = IdentityPayloads[typeof c.IDENTITY_FORMED];
export type IdentityObservationLinkedPayload = IdentityPayloads[typeof c.IDENTITY_OBSERVATION_LINKED];
export type IdentityMergedPayload = IdentityPayloads[typeof c.IDENTITY_MERGED];
export type IdentityUnmergedPayload = IdentityPayloads[typeof c.IDENTITY_UNMERGED];
export type IdentityCampaignAssignedPayload = IdentityPayloads[typeof c.IDENTITY_CAMPAIGN_ASSIGNED];
export type CampaignFormedPayload = CampaignPayloads[typeof c.CAMPAIGN_FORMED];
export type CampaignIdentityAssignedPayload = CampaignPayloads[typeof c.CAMPAIGN_IDENTITY_ASSIGNED];
export type CampaignMergedPayload = CampaignPayloads[typeof c.CAMPAIGN_MERGED];
export type CampaignUnmergedPayload = CampaignPayloads[typeof c.CAMPAIGN_UNMERGED];

export type CredentialCapturedPayload = CredentialPayloads[typeof c.CREDENTIAL_CAPTURED];
export type CredentialReuseDetectedPayload = CredentialPayloads[typeof c.CREDENTIAL_REUSE_DETECTED];
export type AttributionProfileStateChangedPayload = AttributionPayloads[typeof c.ATTRIBUTION_PROFILE_STATE_CHANGED];
export type AttributionProfileMultiActorSuspectedPayload = AttributionPayloads[typeof c.ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED];

export type CanaryPlacedPayload = CanaryPayloads[typeof c.CANARY_PLACED];
export type CanaryTriggeredPayload = CanaryPayloads[typeof c.CANARY_TRIGGERED];
export type CanaryRevokedPayload = CanaryPayloads[typeof c.CANARY_REVOKED];

export type OrchestratorTrafficPayload = OrchestratorPayloads[typeof c.ORCHESTRATOR_TRAFFIC];
export type OrchestratorFilePayload = OrchestratorPayloads[typeof c.ORCHESTRATOR_FILE];
export type OrchestratorEmailPayload = OrchestratorPayloads[typeof c.ORCHESTRATOR_EMAIL];

export type SystemLogPayload = SystemPayloads[typeof c.SYSTEM_LOG];

export type EmailReceivedPayload = EmailPayloads[typeof c.EMAIL_RECEIVED];
export type SmtpProbePendingPayload = SmtpPayloads[typeof c.SMTP_PROBE_PENDING];

export type TtpTaggedPayload = TtpPayloads[typeof c.TTP_TAGGED];
export type TtpRuleSuppressedPayload = TtpPayloads[typeof c.TTP_RULE_SUPPRESSED];
