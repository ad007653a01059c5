/**
 * The topic catalogue: one entry per topic (spec/topics.md §2, with the payloads of
 * eventplane.md, analysis.md §0.6 and ttp.md §7, and CORRECTIONS #2). `decnet topics`,
 * docs/topics.md, strict publish validation and the durable flags all read this list,
 * so it is the one place a topic is declared.
 *
 * Templates use the placeholder names of the reference `topics.py` (`{decky_id}`,
 * `{topology_id}`…); the pattern replaces each placeholder by `*`, except a primitive,
 * which may be dotted and so ends the pattern with `>`. A topic resolves to one entry:
 * an exact pattern wins over a wildcard one (`system.bus.health` over
 * `system.<worker>.health`), otherwise the most specific pattern.
 */
import { covers, validatePattern } from '../grammar.js';
import { SubscriptionIndex } from '../subscription-index.js';
import * as c from './constants.js';
import { describeFields } from './describe.js';
import { DEFAULT_DURABLE_PATTERNS } from './durable.js';
import type { TopicEntry } from './entry.js';
import { attackerObservationSchema, attackerSchemas as attacker } from './schemas/attacker.js';
import { canarySchemas as canary } from './schemas/canary.js';
import { attributionSchemas as attribution, credentialSchemas as credential } from './schemas/credential.js';
import { deckySchemas as decky } from './schemas/decky.js';
import { campaignSchemas as campaign, identitySchemas as identity } from './schemas/identity.js';
import { emailSchemas as email, smtpSchemas as smtp } from './schemas/mail.js';
import { orchestratorSchemas as orchestrator } from './schemas/orchestrator.js';
import { subscriptionsChangedSchema, systemSchemas as system, workerControlSchema, workerHealthSchema } from './schemas/system.js';
import { mutationSchemas as mutation, topologyStatusSchema } from './schemas/topology.js';
import { ttpRuleFiredSchema, ttpRuleReloadedSchema, ttpRuleStateSchema, ttpSchemas as ttp } from './schemas/ttp.js';

type EntrySpec = Pick<TopicEntry, 'template' | 'type' | 'builder' | 'schema' | 'description'> & { readonly reserved?: boolean; readonly pattern?: string };

function entry(spec: EntrySpec): TopicEntry {
  const pattern = spec.pattern ?? spec.template.replace(/\{[a-z_]+\}/g, '*');
  validatePattern(pattern);
  return Object.freeze({
    template: spec.template,
    pattern,
    type: spec.type,
    builder: spec.builder,
    schema: spec.schema,
    payload: Object.freeze(describeFields(spec.schema)),
    durable: DEFAULT_DURABLE_PATTERNS.some((durable) => covers(durable, pattern)),
    reserved: spec.reserved ?? false,
    description: spec.description,
  });
}

type Schemas = Readonly<Record<string, EntrySpec['schema']>>;

/** Topics that differ only by a leaf constant, built by one builder. */
interface Family<S extends Schemas> {
  /** Leaf constants are named `<prefix>_<LEAF>` (`session.ended` → `ATTACKER_SESSION_ENDED`). */
  readonly prefix: string;
  readonly schemas: S;
  template(leaf: string): string;
  builder(constant: string): string;
}

function family<S extends Schemas>(prefix: string, schemas: S, template: (leaf: string) => string, builder: (constant: string) => string): Family<S> {
  return { prefix, schemas, template, builder };
}

/** A family `<root>.<leaf>` built by `<builder>(<CONSTANT>)`. */
function rooted<S extends Schemas>(root: string, schemas: S, builder: string = root): Family<S> {
  return family(root.toUpperCase(), schemas, (leaf) => `${root}.${leaf}`, (k) => `${builder}(${k})`);
}

function leafEntry<S extends Schemas>(f: Family<S>, leaf: keyof S & string, description: string, reserved = false): TopicEntry {
  const constant = `${f.prefix}_${leaf.toUpperCase().replaceAll('.', '_')}`;
  return entry({ template: f.template(leaf), type: leaf, builder: f.builder(constant), schema: f.schemas[leaf] as EntrySpec['schema'], description, reserved });
}

const MUTATION = family('MUTATION', mutation, (l) => `topology.{topology_id}.mutation.${l}`, (k) => `topologyMutation(topologyId, ${k})`);
const DECKY = family('DECKY', decky, (l) => `decky.{decky_id}.${l}`, (k) => `decky(deckyId, ${k})`);
const CANARY = family('CANARY', canary, (l) => `canary.{token_id}.${l}`, (k) => `canary(tokenId, ${k})`);
const ORCHESTRATOR = family('ORCHESTRATOR', orchestrator, (l) => `orchestrator.${l}.{decky_id}`, (k) => `orchestrator(${k}, deckyId)`);
const ATTACKER = rooted('attacker', attacker);
const IDENTITY = rooted('identity', identity);
const CAMPAIGN = rooted('campaign', campaign);
const CREDENTIAL = rooted('credential', credential);
const ATTRIBUTION = rooted('attribution', attribution);
const SYSTEM = rooted('system', system);
const EMAIL = rooted('email', email, 'emailTopic');
const SMTP = rooted('smtp', smtp);
const TTP = rooted('ttp', ttp);

export const TOPIC_CATALOGUE: readonly TopicEntry[] = Object.freeze([
  leafEntry(MUTATION, c.MUTATION_ENQUEUED, 'A mutation was accepted and queued (after the commit); the mutator wakes on it.'),
  leafEntry(MUTATION, c.MUTATION_APPLYING, 'The mutator claimed a pending mutation and is applying it.'),
  leafEntry(MUTATION, c.MUTATION_APPLIED, 'A mutation was applied and deployed.'),
  leafEntry(MUTATION, c.MUTATION_FAILED, 'A mutation failed and was rolled back; the next pending one still runs.'),
  entry({ template: 'topology.{topology_id}.status', type: c.TOPOLOGY_STATUS, builder: 'topologyStatus(topologyId)', schema: topologyStatusSchema, description: 'A topology changed status (every legal transition).' }),

  leafEntry(DECKY, c.DECKY_STATE, 'A fleet decky row was inserted, deleted or changed state.'),
  leafEntry(DECKY, c.DECKY_TRAFFIC, 'A sniffer event on a decky; `kind` is the event (tls_session, tcp_flow_timing, ipv6_link_local_leak…), the rest its fields.'),
  leafEntry(DECKY, c.DECKY_MUTATE_REQUEST, 'Asks the mutator to mutate one decky now (scheduled rotation, not built yet).', true),
  entry({ template: 'decky.{decky_id}.mutation', type: c.DECKY_MUTATION, builder: 'deckyMutation(deckyId)', schema: decky[c.DECKY_MUTATION], description: "A decky's service set changed (the `decky_mutated` event), after the change was deployed." }),
  leafEntry(DECKY, c.DECKY_SERVICE_ADDED, 'A service was added to a deployed decky; `services` is the new list.'),
  leafEntry(DECKY, c.DECKY_SERVICE_REMOVED, 'A service was removed from a deployed decky; `services` is the new list.'),
  leafEntry(DECKY, c.DECKY_SERVICE_CONFIG_CHANGED, "A service's configuration was saved (`recreated` when the container was recreated)."),
  entry({ template: 'decky.{decky_id}.lifecycle', type: c.DECKY_LIFECYCLE, builder: 'deckyLifecycle(deckyId)', schema: decky[c.DECKY_LIFECYCLE], description: 'Progress of a deploy or mutate operation on a decky.' }),

  leafEntry(ATTACKER, c.ATTACKER_OBSERVED, 'First sighting of an attacker address, once per attacker ever.'),
  leafEntry(ATTACKER, c.ATTACKER_SCORED, "An attacker's profile summary changed (coalesced)."),
  leafEntry(ATTACKER, c.ATTACKER_FINGERPRINTED, "A new fingerprint value for an attacker, plus the kind's reference fields (jarm_hash, addr, iid_kind…)."),
  leafEntry(ATTACKER, c.ATTACKER_FINGERPRINT_ROTATED, 'The machine behind a port changed: a new value replaced the current one of a tracked kind.'),
  leafEntry(ATTACKER, c.ATTACKER_SESSION_STARTED, 'Reserved: no session id is known before a session ends.', true),
  leafEntry(ATTACKER, c.ATTACKER_SESSION_ENDED, "A session ended, with its commands in order (each may add uid, user, src, pwd)."),
  leafEntry(ATTACKER, c.ATTACKER_INTEL_ENRICHED, "An attacker's threat-intel answers changed."),
  entry({
    template: 'attacker.observation.{primitive}',
    pattern: 'attacker.observation.>',
    type: c.ATTACKER_OBSERVATION_PREFIX,
    builder: 'attackerObservation(primitive)',
    schema: attackerObservationSchema,
    description: 'A behavioural observation; the primitive may be dotted (motor.shell_mastery.tab_completion).',
  }),

  leafEntry(IDENTITY, c.IDENTITY_FORMED, 'A new identity was formed from attacker observations.'),
  leafEntry(IDENTITY, c.IDENTITY_OBSERVATION_LINKED, 'An observation joined an identity (or was re-pointed from another).'),
  leafEntry(IDENTITY, c.IDENTITY_MERGED, 'Two identities were merged; re-key cached references to the winner.'),
  leafEntry(IDENTITY, c.IDENTITY_UNMERGED, 'A merge was undone; the resurrected identity keeps its former id.'),
  leafEntry(IDENTITY, c.IDENTITY_CAMPAIGN_ASSIGNED, "An identity's campaign changed (published under identity.> for identity subscribers)."),
  leafEntry(CAMPAIGN, c.CAMPAIGN_FORMED, 'A new campaign was formed from identities.'),
  leafEntry(CAMPAIGN, c.CAMPAIGN_IDENTITY_ASSIGNED, 'An identity joined a campaign (or was re-pointed from another).'),
  leafEntry(CAMPAIGN, c.CAMPAIGN_MERGED, 'Two campaigns were merged.'),
  leafEntry(CAMPAIGN, c.CAMPAIGN_UNMERGED, 'A campaign merge was undone.'),

  leafEntry(CREDENTIAL, c.CREDENTIAL_CAPTURED, 'A credential was captured (per occurrence); only its SHA-256 travels.'),
  leafEntry(CREDENTIAL, c.CREDENTIAL_REUSE_DETECTED, 'One secret was tried on several targets: a new or grown finding.'),
  leafEntry(ATTRIBUTION, c.ATTRIBUTION_PROFILE_STATE_CHANGED, 'The state of an (identity, primitive) pair changed.'),
  leafEntry(ATTRIBUTION, c.ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED, 'Several primitives of one identity alternate between two operators.'),

  leafEntry(CANARY, c.CANARY_PLACED, 'A canary token was planted in a decky.'),
  leafEntry(CANARY, c.CANARY_TRIGGERED, 'A canary token called back (HTTP or DNS).'),
  leafEntry(CANARY, c.CANARY_REVOKED, 'A canary token was revoked, by an operator or after a fingerprint was collected.'),

  leafEntry(ORCHESTRATOR, c.ORCHESTRATOR_TRAFFIC, 'Synthetic traffic between deckies; the destination decky is the third token.'),
  leafEntry(ORCHESTRATOR, c.ORCHESTRATOR_FILE, 'A synthetic file action in a decky; the destination decky is the third token.'),
  leafEntry(ORCHESTRATOR, c.ORCHESTRATOR_EMAIL, 'A generated mail delivered into a mail decky; the mail decky is the third token.'),

  leafEntry(SYSTEM, c.SYSTEM_LOG, 'Log rows were stored (`batch_committed`), or one line (`line`, opt-in).'),
  leafEntry(SYSTEM, c.SYSTEM_BUS_HEALTH, "The broker's heartbeat with its counters, every 10 s."),
  entry({ template: 'system.{worker}.health', type: c.SYSTEM_HEALTH, builder: 'systemHealth(worker)', schema: workerHealthSchema, description: "A worker's heartbeat, at start and every 30 s; extra fields are its counters." }),
  entry({ template: 'system.{worker}.control', type: c.SYSTEM_CONTROL, builder: 'systemControl(worker)', schema: workerControlSchema, description: 'An admin intent for one worker; each worker listens on its own.' }),
  entry({
    template: c.WEBHOOK_SUBSCRIPTIONS_CHANGED,
    type: 'subscriptions_changed',
    builder: 'WEBHOOK_SUBSCRIPTIONS_CHANGED',
    schema: subscriptionsChangedSchema,
    description: 'Webhook subscriptions were created, updated or deleted; the webhook worker reloads.',
  }),

  leafEntry(EMAIL, c.EMAIL_RECEIVED, 'A mail was captured: hashes, counts and domains only.'),
  leafEntry(SMTP, c.SMTP_PROBE_PENDING, 'An open-relay attempt to probe; carries addresses, so viewers never receive it.'),

  leafEntry(TTP, c.TTP_TAGGED, 'New ATT&CK tags were written (never for replays).'),
  entry({ template: 'ttp.rule.fired.{technique_id}', type: c.TTP_RULE_FIRED, builder: 'ttpRuleFired(techniqueId)', schema: ttpRuleFiredSchema, description: 'Per parent technique of a tagged group; sub-techniques are in the payload.' }),
  leafEntry(TTP, c.TTP_RULE_SUPPRESSED, 'Reserved: suppressions are counted in the heartbeat instead.', true),
  entry({ template: 'ttp.rule.reloaded.{rule_id}', type: c.TTP_RULE_RELOADED, builder: 'ttpRuleReloaded(ruleId)', schema: ttpRuleReloadedSchema, description: 'A rule definition was applied, rejected or removed, per rule.' }),
  entry({ template: 'ttp.rule.state.{rule_id}', type: c.TTP_RULE_STATE, builder: 'ttpRuleState(ruleId)', schema: ttpRuleStateSchema, description: "A rule's operational state was set, or reverted at expiry." }),
]);

/** Wildcard-free patterns, looked up first: an exact entry wins. */
const exactEntries = new Map(TOPIC_CATALOGUE.filter((e) => !/(^|\.)[*>]($|\.)/.test(e.pattern)).map((e) => [e.pattern, e]));
const index = new SubscriptionIndex<TopicEntry>();
for (const e of TOPIC_CATALOGUE) index.add(e.pattern, e);

/** Token rank for specificity: a literal beats `*`, which beats `>`, which beats nothing. */
function rank(token: string | undefined): number {
  if (token === undefined) return 0;
  if (token === '>') return 1;
  return token === '*' ? 2 : 3;
}

/** Positive when pattern `a` is more specific than `b`: compared token by token, left first. */
function specificity(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = rank(x[i]) - rank(y[i]);
    if (d !== 0) return d;
  }
  return 0;
}

/** The catalogue entry of a published topic, or undefined for a topic outside it. */
export function findTopicEntry(topic: string): TopicEntry | undefined {
  const exact = exactEntries.get(topic);
  if (exact) return exact;
  let best: TopicEntry | undefined;
  index.forEachMatch(topic, (e) => {
    if (!best || specificity(e.pattern, best.pattern) > 0) best = e;
  });
  return best;
}
