/** The repositories, one per aggregate, built over one database. */
import { createAttackersRepo, type AttackersRepo } from './attackers.js';
import type { RepoContext } from './context.js';
import { createCredentialReuseRepo, type CredentialReuseRepo } from './credential-reuse.js';
import { createCredentialsRepo, type CredentialsRepo } from './credentials.js';
import { createCursorsRepo, type CursorsRepo } from './cursors.js';
import { createIngestExtractsRepo, type IngestExtractsRepo } from './ingest-extracts.js';
import { createIngestSourcesRepo, type IngestSourcesRepo } from './ingest-sources.js';
import { createJournalRepo, type JournalRepo } from './journal.js';
import { createLogsRepo, type LogsRepo } from './logs.js';
import { createRevokedTokensRepo, type RevokedTokensRepo } from './revoked-tokens.js';
import { createTtpRulesRepo } from './ttp-rules.js';
import { createTtpTagsRepo } from './ttp-tags.js';
import type { TtpRulesRepo, TtpTagsRepo } from './ttp-types.js';
import { createUsersRepo, type UsersRepo } from './users.js';
import { createWebhookDeliveriesRepo, type WebhookDeliveriesRepo } from './webhook-deliveries.js';
import { createWebhookSubscriptionsRepo, type WebhookSubscriptionsRepo } from './webhook-subscriptions.js';

export interface Repositories {
  readonly attackers: AttackersRepo;
  readonly credentialReuse: CredentialReuseRepo;
  readonly users: UsersRepo;
  readonly revokedTokens: RevokedTokensRepo;
  readonly journal: JournalRepo;
  readonly cursors: CursorsRepo;
  /** Ingest's tables (#7): logs and unparsed lines, credentials, per-source state, artifacts and fingerprint observations. */
  readonly logs: LogsRepo;
  readonly credentials: CredentialsRepo;
  readonly ingestSources: IngestSourcesRepo;
  readonly ingestExtracts: IngestExtractsRepo;
  readonly webhookSubscriptions: WebhookSubscriptionsRepo;
  readonly webhookDeliveries: WebhookDeliveriesRepo;
  /** ATT&CK tagging (#9): tags, and the rule definitions, states and catalogue. */
  readonly ttpTags: TtpTagsRepo;
  readonly ttpRules: TtpRulesRepo;
}

export function createRepositories(ctx: RepoContext): Repositories {
  return { attackers: createAttackersRepo(ctx), credentialReuse: createCredentialReuseRepo(ctx), users: createUsersRepo(ctx), revokedTokens: createRevokedTokensRepo(ctx), journal: createJournalRepo(ctx), cursors: createCursorsRepo(ctx), logs: createLogsRepo(ctx), credentials: createCredentialsRepo(ctx), ingestSources: createIngestSourcesRepo(ctx), ingestExtracts: createIngestExtractsRepo(ctx), webhookSubscriptions: createWebhookSubscriptionsRepo(ctx), webhookDeliveries: createWebhookDeliveriesRepo(ctx), ttpTags: createTtpTagsRepo(ctx), ttpRules: createTtpRulesRepo(ctx) };
}

export type { RepoContext } from './context.js';
export type { CursorsRepo } from './cursors.js';
export { appendJournalEntry, type JournalEntry, type JournalPage, type JournalReadOptions, type JournalRepo, type JournalRow } from './journal.js';
export { REVOCATION_GRACE_SECS, type RevokedTokensRepo } from './revoked-tokens.js';
export type { NewUser, PasswordUpdate, Role, User, UsersRepo } from './users.js';
export type { NewWebhookSubscription, WebhookGate, WebhookHealthUpdate, WebhookSubscription, WebhookSubscriptionPatch, WebhookSubscriptionsRepo } from './webhook-subscriptions.js';
export type { ClaimedDelivery, ClaimRequest, DeliveryState, FailureRecord, NewDelivery, StateCounts, WebhookDeliveriesRepo, WebhookDelivery } from './webhook-deliveries.js';
export { toLogRow, type LogFacts, type LogFilter, type LogRow, type LogsRepo, type NewLogRow, type NewUnparsedLine, type UnparsedLine } from './logs.js';
export { toCredential, type Credential, type CredentialsRepo, type CredentialUpsert } from './credentials.js';
export type { IngestSource, IngestSourceCounters, IngestSourceState, IngestSourcesRepo } from './ingest-sources.js';
export type { Artifact, FingerprintObservation, IngestExtractsRepo, NewArtifact, NewFingerprintObservation } from './ingest-extracts.js';
export { ATTACKER_SORTS, isUuid, type Attacker, type AttackerListQuery, type AttackerSession, type AttackerSort, type AttackerTarget, type AttackersRepo, type Page } from './attackers.js';
export type { CredentialReuseRepo, ReuseFinding, ReuseFindingDetail, ReuseListQuery } from './credential-reuse.js';
export type { CandidateRecord, NewTtpTag, RuleCatalogRow, RuleSource, RuleStateRow, StoredRule, TagFilter, TechniqueAggregate, TtpRulesRepo, TtpTagRow, TtpTagsRepo } from './ttp-types.js';
