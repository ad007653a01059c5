/**
 * The catalogue: one entry per topic, each reachable through its documented builder,
 * resolved by findTopicEntry (an exact pattern wins, else the most specific), with the
 * durable and reserved flags of the specs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPattern, matches } from '../../../src/bus/grammar.js';
import * as t from '../../../src/bus/topics/index.js';
import { DEFAULT_DURABLE_PATTERNS, TOPIC_CATALOGUE, findTopicEntry, isDurableTopic } from '../../../src/bus/topics/index.js';
import { callBuilder, fillTemplate, paramOf, sampleOf, type BuilderArgs } from './samples.js';

const byTemplate = (template: string): t.TopicEntry => {
  const entry = TOPIC_CATALOGUE.find((e) => e.template === template);
  if (!entry) throw new Error(`no entry ${template}`);
  return entry;
};

describe('catalogue entries', () => {
  it('has one entry per template and per pattern, each pattern valid', () => {
    expect(new Set(TOPIC_CATALOGUE.map((e) => e.template)).size).toBe(TOPIC_CATALOGUE.length);
    expect(new Set(TOPIC_CATALOGUE.map((e) => e.pattern)).size).toBe(TOPIC_CATALOGUE.length);
    for (const e of TOPIC_CATALOGUE) expect(isValidPattern(e.pattern), e.pattern).toBe(true);
  });

  it('holds every topic of the reference catalogue, with its placeholder names', () => {
    const templates = new Set(TOPIC_CATALOGUE.map((e) => e.template));
    const reference = [
      ...['enqueued', 'applying', 'applied', 'failed'].map((s) => `topology.{topology_id}.mutation.${s}`),
      'topology.{topology_id}.status',
      'decky.{decky_id}.state',
      'decky.{decky_id}.traffic',
      'decky.{decky_id}.mutate_request',
      'decky.{decky_id}.mutation',
      'decky.{decky_id}.service_added',
      'decky.{decky_id}.service_removed',
      'decky.{decky_id}.service_config_changed',
      'decky.{decky_id}.lifecycle',
      'orchestrator.traffic.{decky_id}',
      'orchestrator.file.{decky_id}',
      'orchestrator.email.{decky_id}',
      'attacker.observed',
      'attacker.scored',
      'attacker.fingerprinted',
      'attacker.fingerprint_rotated',
      'attacker.session.started',
      'attacker.session.ended',
      'attacker.intel.enriched',
      'attacker.observation.{primitive}',
      'identity.formed',
      'identity.observation.linked',
      'identity.merged',
      'identity.unmerged',
      'identity.campaign.assigned',
      'campaign.formed',
      'campaign.identity.assigned',
      'campaign.merged',
      'campaign.unmerged',
      'credential.captured',
      'credential.reuse.detected',
      'attribution.profile.state_changed',
      'attribution.profile.multi_actor_suspected',
      'canary.{token_id}.triggered',
      'canary.{token_id}.placed',
      'canary.{token_id}.revoked',
      'system.log',
      'system.bus.health',
      'system.{worker}.health',
      'system.{worker}.control',
      'system.webhook.subscriptions_changed',
      'email.received',
      'smtp.probe.pending',
      'ttp.tagged',
      'ttp.rule.fired.{technique_id}',
      'ttp.rule.suppressed',
      'ttp.rule.reloaded.{rule_id}',
      'ttp.rule.state.{rule_id}',
    ];
    for (const template of reference) expect(templates.has(template), template).toBe(true);
    expect(templates.size).toBe(reference.length);
  });

  it('derives each pattern from its template', () => {
    for (const e of TOPIC_CATALOGUE) {
      const expected = e.template === 'attacker.observation.{primitive}' ? 'attacker.observation.>' : e.template.replace(/\{[a-z_]+\}/g, '*');
      expect(e.pattern).toBe(expected);
    }
  });

  it('uses the builder constant as the type, not the last token', () => {
    const exports = t as unknown as Record<string, unknown>;
    for (const e of TOPIC_CATALOGUE) {
      // a constant argument of the builder call is the leaf, and so the type
      const leafConstants = e.builder.includes('(') ? [...e.builder.matchAll(/\b[A-Z][A-Z0-9_]+\b/g)].map((m) => m[0]) : [];
      for (const name of leafConstants) expect(exports[name], e.builder).toBe(e.type);
    }
    expect(byTemplate('ttp.rule.fired.{technique_id}').type).toBe('rule.fired');
    expect(byTemplate('ttp.rule.reloaded.{rule_id}').type).toBe('rule.reloaded');
    expect(byTemplate('ttp.rule.state.{rule_id}').type).toBe('rule.state');
    expect(byTemplate('system.bus.health').type).toBe('bus.health');
    expect(byTemplate('system.{worker}.health').type).toBe('health');
    expect(byTemplate('system.{worker}.control').type).toBe('control');
    expect(byTemplate('system.webhook.subscriptions_changed').type).toBe('subscriptions_changed');
    expect(byTemplate('attacker.observation.{primitive}').type).toBe('observation');
    expect(byTemplate('attacker.fingerprint_rotated').type).toBe('fingerprint_rotated');
    expect(byTemplate('attacker.fingerprinted').type).toBe('fingerprinted');
    for (const leaf of ['placed', 'triggered', 'revoked']) expect(byTemplate(`canary.{token_id}.${leaf}`).type).toBe(leaf);
    expect(byTemplate('smtp.probe.pending').type).toBe(t.SMTP_PROBE_PENDING);
  });

  it('flags the durable set and the reserved topics', () => {
    expect(TOPIC_CATALOGUE.filter((e) => e.durable).map((e) => e.template)).toEqual([
      'attacker.session.ended',
      'credential.captured',
      'credential.reuse.detected',
      'canary.{token_id}.triggered',
      'email.received',
      'ttp.tagged',
      'ttp.rule.fired.{technique_id}',
      'ttp.rule.suppressed',
      'ttp.rule.reloaded.{rule_id}',
      'ttp.rule.state.{rule_id}',
    ]);
    expect(TOPIC_CATALOGUE.filter((e) => e.reserved).map((e) => e.template)).toEqual(['decky.{decky_id}.mutate_request', 'attacker.session.started', 'ttp.rule.suppressed']);
  });

  it('describes every payload field', () => {
    expect(byTemplate('topology.{topology_id}.status').payload).toEqual({
      status: expect.stringContaining('"degraded"'),
      previous_status: expect.stringContaining('"active"'),
      reason: 'string | null',
    });
    expect(byTemplate('system.bus.health').payload).toMatchObject({ worker: '"bus"', pid: 'integer', uptime_sec: 'number', ts: 'epoch', connections: 'integer', refused: 'integer' });
    expect(byTemplate('system.log').payload).toMatchObject({ kind: '"batch_committed" | "line"', flushed: 'integer (when kind=batch_committed)', log_id: 'integer | string (when kind=line)' });
    expect(byTemplate('decky.{decky_id}.mutation').payload).toMatchObject({ actor: 'string (optional)', old_services: 'string[]' });
    expect(byTemplate('system.webhook.subscriptions_changed').payload).toEqual({});
    expect(byTemplate('attacker.fingerprinted').payload.kind).toContain('"vnc_client_version"');
  });
});

describe('findTopicEntry', () => {
  it('prefers an exact entry over a wildcard one', () => {
    expect(findTopicEntry('system.bus.health')?.type).toBe('bus.health');
    expect(findTopicEntry('system.api.health')?.type).toBe('health');
    expect(findTopicEntry(t.systemHealth('bus'))).toBe(byTemplate('system.bus.health'));
  });

  it('resolves per-id and per-technique topics', () => {
    expect(findTopicEntry('ttp.rule.fired.T1110')?.type).toBe('rule.fired');
    expect(findTopicEntry('topology.abc.mutation.applied')?.template).toBe('topology.{topology_id}.mutation.applied');
    expect(findTopicEntry('attacker.observation.motor.shell_mastery.tab_completion')?.type).toBe('observation');
    expect(findTopicEntry('system.webhook.subscriptions_changed')?.type).toBe('subscriptions_changed');
  });

  it('returns undefined outside the catalogue', () => {
    for (const topic of ['test.ping', 'ttp.rule.fired', 'ttp.rule.fired.T1110.001', 'attacker.observation', 'topology.abc', 'decky.x.unknown', 'system']) {
      expect(findTopicEntry(topic), topic).toBeUndefined();
    }
  });
});

describe('every built topic resolves to its own entry (property)', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9_:-]{1,16}$/);
  const args = fc.record({
    topologyId: fc.uuid(),
    deckyId: token,
    tokenId: fc.uuid(),
    // `bus` is the broker, whose beat has its own entry (tested above)
    worker: token.filter((w) => w !== 'bus'),
    primitive: fc.array(token, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
    techniqueId: token,
    ruleId: token,
  });

  it.each(TOPIC_CATALOGUE.map((e) => [e.template, e] as const))('%s', (_template, entry) => {
    fc.assert(
      fc.property(args, (values: BuilderArgs) => {
        const topic = callBuilder(entry.builder, values);
        expect(topic).toBe(fillTemplate(entry.template, values));
        expect(matches(entry.pattern, topic)).toBe(true);
        expect(findTopicEntry(topic)).toBe(entry);
        expect(t.validatePayload(topic, sampleOf(entry.schema))).toEqual({ ok: true });
      }),
      { numRuns: 25 },
    );
  });

  it('maps every placeholder to a builder parameter', () => {
    for (const e of TOPIC_CATALOGUE) {
      for (const [, name] of e.template.matchAll(/\{([a-z_]+)\}/g)) expect(e.builder).toContain(paramOf(name as string));
    }
  });
});

describe('durable set', () => {
  it('is the default of bus.md §5', () => {
    expect(DEFAULT_DURABLE_PATTERNS).toEqual(['credential.>', 'ttp.>', 'canary.*.triggered', 'attacker.session.ended', 'email.received']);
  });

  it('tests a topic against the default or a given set', () => {
    expect(isDurableTopic('credential.captured')).toBe(true);
    expect(isDurableTopic(t.ttpRuleFired('T1110'))).toBe(true);
    expect(isDurableTopic(t.canary('tok', t.CANARY_TRIGGERED))).toBe(true);
    expect(isDurableTopic(t.canary('tok', t.CANARY_PLACED))).toBe(false);
    expect(isDurableTopic('attacker.session.started')).toBe(false);
    expect(isDurableTopic('system.log')).toBe(false);
    expect(isDurableTopic('system.log', ['system.>'])).toBe(true);
    expect(isDurableTopic('credential.captured', [])).toBe(false);
  });
});
