/**
 * Topic names are a locked contract (renaming breaks every subscriber): every root and
 * leaf constant of topics.md §2.1–§2.2 is pinned here, value by value.
 */
import { describe, expect, it } from 'vitest';
import * as c from '../../../src/bus/topics/constants.js';

describe('topic constants', () => {
  it('pins the root prefixes', () => {
    expect([c.TOPOLOGY, c.DECKY, c.ATTACKER, c.IDENTITY, c.CAMPAIGN, c.SYSTEM, c.CREDENTIAL, c.ATTRIBUTION, c.ORCHESTRATOR, c.CANARY, c.SMTP, c.EMAIL, c.TTP]).toEqual([
      'topology',
      'decky',
      'attacker',
      'identity',
      'campaign',
      'system',
      'credential',
      'attribution',
      'orchestrator',
      'canary',
      'smtp',
      'email',
      'ttp',
    ]);
  });

  it('pins every leaf constant', () => {
    expect({ ...c }).toEqual({
      TOPOLOGY: 'topology',
      DECKY: 'decky',
      ATTACKER: 'attacker',
      IDENTITY: 'identity',
      CAMPAIGN: 'campaign',
      SYSTEM: 'system',
      CREDENTIAL: 'credential',
      ATTRIBUTION: 'attribution',
      ORCHESTRATOR: 'orchestrator',
      CANARY: 'canary',
      SMTP: 'smtp',
      EMAIL: 'email',
      TTP: 'ttp',
      MUTATION_ENQUEUED: 'enqueued',
      MUTATION_APPLYING: 'applying',
      MUTATION_APPLIED: 'applied',
      MUTATION_FAILED: 'failed',
      TOPOLOGY_STATUS: 'status',
      DECKY_STATE: 'state',
      DECKY_TRAFFIC: 'traffic',
      DECKY_MUTATE_REQUEST: 'mutate_request',
      DECKY_MUTATION: 'mutation',
      DECKY_SERVICE_ADDED: 'service_added',
      DECKY_SERVICE_REMOVED: 'service_removed',
      DECKY_SERVICE_CONFIG_CHANGED: 'service_config_changed',
      DECKY_LIFECYCLE: 'lifecycle',
      ATTACKER_OBSERVED: 'observed',
      ATTACKER_SCORED: 'scored',
      ATTACKER_FINGERPRINTED: 'fingerprinted',
      ATTACKER_FINGERPRINT_ROTATED: 'fingerprint_rotated',
      ATTACKER_SESSION_STARTED: 'session.started',
      ATTACKER_SESSION_ENDED: 'session.ended',
      ATTACKER_INTEL_ENRICHED: 'intel.enriched',
      ATTACKER_OBSERVATION_PREFIX: 'observation',
      IDENTITY_FORMED: 'formed',
      IDENTITY_OBSERVATION_LINKED: 'observation.linked',
      IDENTITY_MERGED: 'merged',
      IDENTITY_UNMERGED: 'unmerged',
      IDENTITY_CAMPAIGN_ASSIGNED: 'campaign.assigned',
      CAMPAIGN_FORMED: 'formed',
      CAMPAIGN_IDENTITY_ASSIGNED: 'identity.assigned',
      CAMPAIGN_MERGED: 'merged',
      CAMPAIGN_UNMERGED: 'unmerged',
      CREDENTIAL_CAPTURED: 'captured',
      CREDENTIAL_REUSE_DETECTED: 'reuse.detected',
      ATTRIBUTION_PROFILE_PREFIX: 'profile',
      ATTRIBUTION_PROFILE_STATE_CHANGED: 'profile.state_changed',
      ATTRIBUTION_PROFILE_MULTI_ACTOR_SUSPECTED: 'profile.multi_actor_suspected',
      CANARY_PLACED: 'placed',
      CANARY_TRIGGERED: 'triggered',
      CANARY_REVOKED: 'revoked',
      ORCHESTRATOR_TRAFFIC: 'traffic',
      ORCHESTRATOR_FILE: 'file',
      ORCHESTRATOR_EMAIL: 'email',
      SYSTEM_LOG: 'log',
      SYSTEM_BUS_HEALTH: 'bus.health',
      SYSTEM_HEALTH: 'health',
      SYSTEM_CONTROL: 'control',
      WORKER_CONTROL_STOP: 'stop',
      WORKER_CONTROL_START: 'start',
      WEBHOOK_SUBSCRIPTIONS_CHANGED: 'system.webhook.subscriptions_changed',
      EMAIL_RECEIVED: 'received',
      SMTP_PROBE_PENDING: 'probe.pending',
      TTP_TAGGED: 'tagged',
      TTP_RULE_FIRED: 'rule.fired',
      TTP_RULE_SUPPRESSED: 'rule.suppressed',
      TTP_RULE_RELOADED: 'rule.reloaded',
      TTP_RULE_STATE: 'rule.state',
    });
  });

  it('keeps the single-token leaves free of dots', () => {
    for (const leaf of [c.EMAIL_RECEIVED, c.DECKY_MUTATE_REQUEST, c.DECKY_SERVICE_ADDED, c.DECKY_SERVICE_REMOVED, c.DECKY_SERVICE_CONFIG_CHANGED, c.DECKY_LIFECYCLE]) {
      expect(leaf).not.toContain('.');
    }
  });
});
