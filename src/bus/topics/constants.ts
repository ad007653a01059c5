/**
 * Root prefixes and leaf constants of the topic catalogue (spec/topics.md §2.1–§2.2).
 *
 * Topic names are a public, locked contract: subscribers (workers, dashboards, SIEM
 * webhooks) bind to them with wildcard patterns. Adding a family or a leaf is fine;
 * **renaming one is a breaking change** for every subscriber and needs a coordinated
 * rollout. The values are pinned by tests. A leaf constant is also the envelope `type`
 * of its topic (CORRECTIONS #2.2), so these strings are visible to webhook receivers.
 */

// ─── Root prefixes ───────────────────────────────────────────────────────────
export const TOPOLOGY = 'topology';
export const DECKY = 'decky';
export const ATTACKER = 'attacker';
export const IDENTITY = 'identity';
export const CAMPAIGN = 'campaign';
export const SYSTEM = 'system';
export const CREDENTIAL = 'credential';
export const ATTRIBUTION = 'attribution';
export const ORCHESTRATOR = 'orchestrator';
export const CANARY = 'canary';
export const SMTP = 'smtp';
export const EMAIL = 'email';
export const TTP = 'ttp';

// ─── Topology: mutation states mirror `topology_mutations.state` ─────────────
export const MUTATION_ENQUEUED = 'enqueued';
export const MUTATION_APPLYING = 'applying';
export const MUTATION_APPLIED = 'applied';
export const MUTATION_FAILED = 'failed';
export const TOPOLOGY_STATUS = 'status';

// ─── Decky (third token, after the decky id) ─────────────────────────────────
export const DECKY_STATE = 'state';
export const DECKY_TRAFFIC = 'traffic';
/** Underscored, not dotted: it must stay one token. */
export const DECKY_MUTATE_REQUEST = 'mutate_request';
/** A transition (old and new services, trigger), distinct from the steady-state `state`. */
export const DECKY_MUTATION = 'mutation';
/** Renamed from `service.added` (2026-04-28): a dot cannot be inside a token. */
export const DECKY_SERVICE_ADDED = 'service_added';
export const DECKY_SERVICE_REMOVED = 'service_removed';
export const DECKY_SERVICE_CONFIG_CHANGED = 'service_config_changed';
export const DECKY_LIFECYCLE = 'lifecycle';

// ─── Attacker (dotted leaves are intentional) ────────────────────────────────
export const ATTACKER_OBSERVED = 'observed';
export const ATTACKER_SCORED = 'scored';
export const ATTACKER_FINGERPRINTED = 'fingerprinted';
export const ATTACKER_FINGERPRINT_ROTATED = 'fingerprint_rotated';
export const ATTACKER_SESSION_STARTED = 'session.started';
export const ATTACKER_SESSION_ENDED = 'session.ended';
export const ATTACKER_INTEL_ENRICHED = 'intel.enriched';
/** `attacker.observation.<primitive>`; also the `type` of those events. */
export const ATTACKER_OBSERVATION_PREFIX = 'observation';

// ─── Identity and campaign ───────────────────────────────────────────────────
export const IDENTITY_FORMED = 'formed';
export const IDENTITY_OBSERVATION_LINKED = 'observation.linked';
export const IDENTITY_MERGED = 'merged';
export const IDENTITY_UNMERGED = 'unmerged';
/** Cross-family: published under `identity.>` so identity subscribers see campaign changes. */
export const IDENTITY_CAMPAIGN_ASSIGNED = 'campaign.assigned';
export const CAMPAIGN_FORMED = 'formed';
export const CAMPAIGN_IDENTITY_ASSIGNED = 'identity.assigned';
export const CAMPAIGN_MERGED = 'merged';
export const CAMPAIGN_UNMERGED = 'unmerged';

// ─── Credential and attribution ──────────────────────────────────────────────
export const CREDENTIAL_CAPTURED = 'captured';
export const CREDENTIAL_REUSE_DETECTED = 'reuse.detected';
export const ATTRIBUTION_PROFILE_PREFIX = 'profile';
export const ATTRIBUTION_PROFILE_STATE_CHANGED = 'profile.state_changed';
export const ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED = 'profile.multi_actor_suspected';

// ─── Canary (third token, after the token id) ────────────────────────────────
export const CANARY_PLACED = 'placed';
export const CANARY_TRIGGERED = 'triggered';
export const CANARY_REVOKED = 'revoked';

// ─── Orchestrator (second token; the destination decky is always the third) ──
export const ORCHESTRATOR_TRAFFIC = 'traffic';
export const ORCHESTRATOR_FILE = 'file';
export const ORCHESTRATOR_EMAIL = 'email';

// ─── System ──────────────────────────────────────────────────────────────────
export const SYSTEM_LOG = 'log';
/** The broker's beat: its own catalogue entry, which wins over `system.<worker>.health`. */
export const SYSTEM_BUS_HEALTH = 'bus.health';
/** `system.<worker>.health`: the worker name is the middle token. */
export const SYSTEM_HEALTH = 'health';
/** `system.<worker>.control`: admin intents; each worker listens on its own. */
export const SYSTEM_CONTROL = 'control';
/** Control `action` values. Only `stop` reaches a worker; `start` is for the supervisor. */
export const WORKER_CONTROL_STOP = 'stop';
export const WORKER_CONTROL_START = 'start';
/** A *full topic*, not a leaf: the webhook worker reloads its subscriptions on it. */
export const WEBHOOK_SUBSCRIPTIONS_CHANGED = 'system.webhook.subscriptions_changed';

// ─── Email and SMTP ──────────────────────────────────────────────────────────
/** One token, so `email.received` is a plain two-token topic. */
export const EMAIL_RECEIVED = 'received';
export const SMTP_PROBE_PENDING = 'probe.pending';

// ─── TTP ─────────────────────────────────────────────────────────────────────
export const TTP_TAGGED = 'tagged';
export const TTP_RULE_FIRED = 'rule.fired';
/** Reserved: never produced (suppressions are counted in the heartbeat, ttp.md §7.4). */
export const TTP_RULE_SUPPRESSED = 'rule.suppressed';
export const TTP_RULE_RELOADED = 'rule.reloaded';
export const TTP_RULE_STATE = 'rule.state';
