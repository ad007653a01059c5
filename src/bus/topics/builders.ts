/**
 * Topic builders: the only way a topic string is made (no hand-written topics at call
 * sites). One per builder of the reference (topics.md §2.3), camelCased, plus
 * `deckyLifecycle`.
 *
 * Ids, worker names, rule and technique ids are single segments; event types passed to
 * a root builder (`attacker('session.ended')`) are leaves and may be dotted. Either way the
 * result is checked against the grammar, and a bad part throws a `TopicError` naming it
 * (segment.ts).
 *
 * Each builder returns a `TypedTopic<P>`, so `publish(credential(CREDENTIAL_CAPTURED),
 * payload)` checks `payload` at compile time. A builder taking a leaf is generic in it:
 * a known leaf gives its payload type, any other string gives `JsonObject`, matching the
 * run-time rule that a topic outside the catalogue takes any object.
 */
import type { JsonObject } from '../envelope.js';
import * as c from './constants.js';
import type { AttackerObservationPayload, AttackerPayloads } from './schemas/attacker.js';
import type { CanaryPayloads } from './schemas/canary.js';
import type { AttributionPayloads, CredentialPayloads } from './schemas/credential.js';
import type { DeckyPayloads } from './schemas/decky.js';
import type { CampaignPayloads, IdentityPayloads } from './schemas/identity.js';
import type { EmailPayloads, SmtpPayloads } from './schemas/mail.js';
import type { OrchestratorPayloads } from './schemas/orchestrator.js';
import type { BusHealthPayload, SystemPayloads, WorkerControlPayload, WorkerHealthPayload } from './schemas/system.js';
import type { MutationPayloads, TopologyStatusPayload } from './schemas/topology.js';
import type { TtpPayloads, TtpRuleFiredPayload, TtpRuleReloadedPayload, TtpRuleStatePayload } from './schemas/ttp.js';
import { composeTopic, leaf, segment } from './segment.js';
import { typedTopic, type TypedTopic } from './typed.js';

/** The topic type for leaf `L` of a family whose payloads are `M`. */
export type LeafTopic<M, L extends string> = TypedTopic<L extends keyof M ? (M[L] extends object ? M[L] : JsonObject) : JsonObject>;

/** `attacker.observation.<primitive>` is reachable through `attacker()` too. */
type AttackerLeaves = AttackerPayloads & { readonly [leaf: `${typeof c.ATTACKER_OBSERVATION_PREFIX}.${string}`]: AttackerObservationPayload };
/** The per-technique and per-rule topics are reachable through `ttp()` too. */
type TtpLeaves = TtpPayloads & {
  readonly [leaf: `${typeof c.TTP_RULE_FIRED}.${string}`]: TtpRuleFiredPayload;
  readonly [leaf: `${typeof c.TTP_RULE_RELOADED}.${string}`]: TtpRuleReloadedPayload;
  readonly [leaf: `${typeof c.TTP_RULE_STATE}.${string}`]: TtpRuleStatePayload;
};

/** `topology.<topology_id>.mutation.<state>`; `state` is a `MUTATION_*` constant. */
export function topologyMutation<S extends string>(topologyId: string, state: S): LeafTopic<MutationPayloads, S> {
  return typedTopic(composeTopic([c.TOPOLOGY, segment('topology_id', topologyId), 'mutation', segment('state', state)]));
}

/** `topology.<topology_id>.status` */
export function topologyStatus(topologyId: string): TypedTopic<TopologyStatusPayload> {
  return typedTopic(composeTopic([c.TOPOLOGY, segment('topology_id', topologyId), c.TOPOLOGY_STATUS]));
}

/** `decky.<decky_id>.<event_type>`; the id is the decky name (`<host>:<name>` in fleet mode). */
export function decky<E extends string>(deckyId: string, eventType: E): LeafTopic<DeckyPayloads, E> {
  return typedTopic(composeTopic([c.DECKY, segment('decky_id', deckyId), segment('event_type', eventType)]));
}

/** `decky.<decky_id>.mutation` */
export function deckyMutation(deckyId: string): LeafTopic<DeckyPayloads, typeof c.DECKY_MUTATION> {
  return decky(deckyId, c.DECKY_MUTATION);
}

/** `decky.<decky_id>.lifecycle` */
export function deckyLifecycle(deckyId: string): LeafTopic<DeckyPayloads, typeof c.DECKY_LIFECYCLE> {
  return decky(deckyId, c.DECKY_LIFECYCLE);
}

/** `system.<event_type>` (`log`, `bus.health`…). */
export function system<E extends string>(eventType: E): LeafTopic<SystemPayloads, E> {
  return typedTopic(composeTopic([c.SYSTEM, leaf('event_type', eventType)]));
}

/** `system.<worker>.health`; `systemHealth('bus')` is the broker's `system.bus.health`. */
export function systemHealth<W extends string>(worker: W): TypedTopic<W extends 'bus' ? BusHealthPayload : WorkerHealthPayload> {
  return typedTopic(composeTopic([c.SYSTEM, segment('worker', worker), c.SYSTEM_HEALTH]));
}

/** `system.<worker>.control` */
export function systemControl(worker: string): TypedTopic<WorkerControlPayload> {
  return typedTopic(composeTopic([c.SYSTEM, segment('worker', worker), c.SYSTEM_CONTROL]));
}

/** `credential.<event_type>` */
export function credential<E extends string>(eventType: E): LeafTopic<CredentialPayloads, E> {
  return typedTopic(composeTopic([c.CREDENTIAL, leaf('event_type', eventType)]));
}

/** `attacker.<event_type>` */
export function attacker<E extends string>(eventType: E): LeafTopic<AttackerLeaves, E> {
  return typedTopic(composeTopic([c.ATTACKER, leaf('event_type', eventType)]));
}

/** `attacker.observation.<primitive>`; the primitive may be dotted. */
export function attackerObservation(primitive: string): TypedTopic<AttackerObservationPayload> {
  return typedTopic(composeTopic([c.ATTACKER, c.ATTACKER_OBSERVATION_PREFIX, leaf('primitive', primitive)]));
}

/** `attribution.<event_type>` */
export function attribution<E extends string>(eventType: E): LeafTopic<AttributionPayloads, E> {
  return typedTopic(composeTopic([c.ATTRIBUTION, leaf('event_type', eventType)]));
}

/** `campaign.<event_type>` */
export function campaign<E extends string>(eventType: E): LeafTopic<CampaignPayloads, E> {
  return typedTopic(composeTopic([c.CAMPAIGN, leaf('event_type', eventType)]));
}

/** `identity.<event_type>` */
export function identity<E extends string>(eventType: E): LeafTopic<IdentityPayloads, E> {
  return typedTopic(composeTopic([c.IDENTITY, leaf('event_type', eventType)]));
}

/** `orchestrator.<event_type>.<decky_id>`: the destination decky is always the third token. */
export function orchestrator<E extends string>(eventType: E, deckyId: string): LeafTopic<OrchestratorPayloads, E> {
  return typedTopic(composeTopic([c.ORCHESTRATOR, segment('event_type', eventType), segment('decky_id', deckyId)]));
}

/** `canary.<token_id>.<event_type>` */
export function canary<E extends string>(tokenId: string, eventType: E): LeafTopic<CanaryPayloads, E> {
  return typedTopic(composeTopic([c.CANARY, segment('token_id', tokenId), segment('event_type', eventType)]));
}

/** `smtp.<event_type>` */
export function smtp<E extends string>(eventType: E): LeafTopic<SmtpPayloads, E> {
  return typedTopic(composeTopic([c.SMTP, leaf('event_type', eventType)]));
}

/** `email.<event_type>` (named like the reference, which avoided Python's `email` module). */
export function emailTopic<E extends string>(eventType: E): LeafTopic<EmailPayloads, E> {
  return typedTopic(composeTopic([c.EMAIL, leaf('event_type', eventType)]));
}

/** `ttp.<event_type>` */
export function ttp<E extends string>(eventType: E): LeafTopic<TtpLeaves, E> {
  return typedTopic(composeTopic([c.TTP, leaf('event_type', eventType)]));
}

/** `ttp.rule.fired.<technique_id>`: the parent technique (`T1110.001` is refused; it is two tokens). */
export function ttpRuleFired(techniqueId: string): TypedTopic<TtpRuleFiredPayload> {
  return typedTopic(composeTopic([c.TTP, c.TTP_RULE_FIRED, segment('technique_id', techniqueId)]));
}

/** `ttp.rule.reloaded.<rule_id>` */
export function ttpRuleReloaded(ruleId: string): TypedTopic<TtpRuleReloadedPayload> {
  return typedTopic(composeTopic([c.TTP, c.TTP_RULE_RELOADED, segment('rule_id', ruleId)]));
}

/** `ttp.rule.state.<rule_id>` */
export function ttpRuleState(ruleId: string): TypedTopic<TtpRuleStatePayload> {
  return typedTopic(composeTopic([c.TTP, c.TTP_RULE_STATE, segment('rule_id', ruleId)]));
}
