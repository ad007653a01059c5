/**
 * Builders: their output, and the TopicError that names the bad segment (CORRECTIONS
 * #2.1). Segments are one token; leaves may be dotted, but the whole topic must still be
 * grammatical.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicError } from '../../../src/bus/errors.js';
import { isValidTopic } from '../../../src/bus/grammar.js';
import * as t from '../../../src/bus/topics/index.js';

const TOPOLOGY_ID = '0b6d3c1e-2f4a-4b8c-9d0e-1f2a3b4c5d6e';

function topicError(fn: () => unknown): TopicError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TopicError);
    return err as TopicError;
  }
  throw new Error('expected a TopicError');
}

describe('builder output', () => {
  it.each<[string, () => string, string]>([
    ['topologyMutation', () => t.topologyMutation(TOPOLOGY_ID, t.MUTATION_APPLIED), `topology.${TOPOLOGY_ID}.mutation.applied`],
    ['topologyStatus', () => t.topologyStatus(TOPOLOGY_ID), `topology.${TOPOLOGY_ID}.status`],
    ['decky', () => t.decky('decky-01', t.DECKY_STATE), 'decky.decky-01.state'],
    ['decky (fleet id)', () => t.decky('5f0e:decky-01', t.DECKY_TRAFFIC), 'decky.5f0e:decky-01.traffic'],
    ['deckyMutation', () => t.deckyMutation('decky-01'), 'decky.decky-01.mutation'],
    ['deckyLifecycle', () => t.deckyLifecycle('decky-01'), 'decky.decky-01.lifecycle'],
    ['system', () => t.system(t.SYSTEM_LOG), 'system.log'],
    ['system (dotted)', () => t.system(t.SYSTEM_BUS_HEALTH), 'system.bus.health'],
    ['systemHealth', () => t.systemHealth('ingest'), 'system.ingest.health'],
    ['systemControl', () => t.systemControl('ttp'), 'system.ttp.control'],
    ['credential', () => t.credential(t.CREDENTIAL_REUSE_DETECTED), 'credential.reuse.detected'],
    ['attacker', () => t.attacker(t.ATTACKER_SESSION_ENDED), 'attacker.session.ended'],
    ['attackerObservation', () => t.attackerObservation('motor.shell_mastery.tab_completion'), 'attacker.observation.motor.shell_mastery.tab_completion'],
    ['attribution', () => t.attribution(t.ATTRIBUTION_PROFILE_STATE_CHANGED), 'attribution.profile.state_changed'],
    ['campaign', () => t.campaign(t.CAMPAIGN_IDENTITY_ASSIGNED), 'campaign.identity.assigned'],
    ['identity', () => t.identity(t.IDENTITY_CAMPAIGN_ASSIGNED), 'identity.campaign.assigned'],
    ['orchestrator', () => t.orchestrator(t.ORCHESTRATOR_EMAIL, TOPOLOGY_ID), `orchestrator.email.${TOPOLOGY_ID}`],
    ['canary', () => t.canary(TOPOLOGY_ID, t.CANARY_TRIGGERED), `canary.${TOPOLOGY_ID}.triggered`],
    ['smtp', () => t.smtp(t.SMTP_PROBE_PENDING), 'smtp.probe.pending'],
    ['emailTopic', () => t.emailTopic(t.EMAIL_RECEIVED), 'email.received'],
    ['ttp', () => t.ttp(t.TTP_TAGGED), 'ttp.tagged'],
    ['ttpRuleFired', () => t.ttpRuleFired('T1110'), 'ttp.rule.fired.T1110'],
    ['ttpRuleReloaded', () => t.ttpRuleReloaded('R0001'), 'ttp.rule.reloaded.R0001'],
    ['ttpRuleState', () => t.ttpRuleState('my_rule-2'), 'ttp.rule.state.my_rule-2'],
  ])('%s', (_name, build, expected) => {
    expect(build()).toBe(expected);
  });

  it('accepts any other printable character in a segment (`:`, `-`, `_`, upper case)', () => {
    expect(t.decky('Host_01:Decky-A', t.DECKY_STATE)).toBe('decky.Host_01:Decky-A.state');
  });
});

describe('segment validation', () => {
  const bad: Array<[string, string]> = [
    ['', 'is empty'],
    ['a.b', 'contains "."'],
    ['a*', 'wildcard "*"'],
    ['*', 'wildcard "*"'],
    ['a>', 'wildcard ">"'],
    ['a b', 'whitespace'],
    ['a\tb', 'whitespace'],
    ['a\nb', 'whitespace'],
    ['a\u00a0b', 'whitespace'],
    ['a\u2003b', 'whitespace'],
    ['décky', 'outside printable ASCII'],
  ];

  it.each(bad)('refuses the segment %j and names it', (value, why) => {
    const err = topicError(() => t.topologyStatus(value));
    expect(err.token).toBe(value);
    expect(err.reason).toContain('topology_id');
    expect(err.reason).toContain(why);
    expect(err.message).toContain(JSON.stringify(value));
  });

  it('names which of two segments is bad', () => {
    expect(topicError(() => t.topologyMutation(TOPOLOGY_ID, 'applied.now')).reason).toContain('state');
    expect(topicError(() => t.canary('a b', t.CANARY_PLACED)).reason).toContain('token_id');
    expect(topicError(() => t.canary(TOPOLOGY_ID, '')).reason).toContain('event_type');
    expect(topicError(() => t.orchestrator(t.ORCHESTRATOR_FILE, 'x>')).reason).toContain('decky_id');
    expect(topicError(() => t.decky('decky-01', 'service.added')).reason).toContain('event_type');
  });

  it.each<[string, (v: string) => string]>([
    ['worker', (v) => t.systemHealth(v)],
    ['worker', (v) => t.systemControl(v)],
    ['technique_id', (v) => t.ttpRuleFired(v)],
    ['rule_id', (v) => t.ttpRuleReloaded(v)],
    ['rule_id', (v) => t.ttpRuleState(v)],
    ['decky_id', (v) => t.deckyMutation(v)],
    ['decky_id', (v) => t.deckyLifecycle(v)],
  ])('%s is a strict segment', (name, build) => {
    for (const value of ['', 'a.b', 'a b', '>']) expect(topicError(() => build(value)).reason).toContain(name);
  });

  it('refuses a sub-technique: it would be two tokens; the parent goes in the topic', () => {
    const err = topicError(() => t.ttpRuleFired('T1110.001'));
    expect(err.token).toBe('T1110.001');
    expect(err.reason).toContain('technique_id');
  });
});

describe('dotted leaves', () => {
  it('allows dots in a leaf', () => {
    expect(t.attacker('session.started')).toBe('attacker.session.started');
    expect(t.ttp('rule.fired.T1110')).toBe('ttp.rule.fired.T1110');
  });

  it.each<[string, string]>([
    ['', 'is empty'],
    ['session..ended', 'empty token'],
    ['.ended', 'empty token'],
    ['session.', 'empty token'],
    ['session.*', 'wildcard "*"'],
    ['>', 'wildcard ">"'],
    ['session ended', 'whitespace'],
    ['session.\u3000ended', 'whitespace'],
    ['sessión', 'outside printable ASCII'],
  ])('refuses the leaf %j and names it', (value, why) => {
    const err = topicError(() => t.attacker(value));
    expect(err.token).toBe(value);
    expect(err.reason).toContain('event_type');
    expect(err.reason).toContain(why);
  });

  it('checks the primitive of an observation the same way', () => {
    expect(topicError(() => t.attackerObservation('motor..x')).reason).toContain('primitive');
    expect(topicError(() => t.attackerObservation('')).reason).toContain('primitive');
  });

  it('still enforces the whole-topic limits (16 tokens, 512 bytes)', () => {
    const deep = topicError(() => t.attacker(Array.from({ length: 16 }, () => 'a').join('.')));
    expect(deep.reason).toMatch(/17 tokens.*event_type/);
    const long = topicError(() => t.credential('x'.repeat(600)));
    expect(long.reason).toMatch(/512 bytes.*event_type/);
    expect(t.attacker(Array.from({ length: 15 }, () => 'a').join('.')).split('.')).toHaveLength(16);
  });

  it('refuses a non-string from an untyped caller', () => {
    expect(topicError(() => t.system(42 as unknown as string)).reason).toContain('not a string');
    expect(topicError(() => t.systemHealth(undefined as unknown as string)).reason).toContain('worker');
  });
});

describe('builders against the grammar (property)', () => {
  const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((n) => String.fromCharCode(n)), minLength: 1, maxLength: 12 });
  const anything = fc.string({ unit: 'grapheme', maxLength: 12 });

  it('a segment builder returns a valid topic or throws a TopicError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(printable, anything), (value) => {
        let topic: string;
        try {
          topic = t.topologyStatus(value);
        } catch (err) {
          expect(err).toBeInstanceOf(TopicError);
          expect((err as TopicError).token).toBe(value);
          return;
        }
        expect(isValidTopic(topic)).toBe(true);
        expect(topic.split('.')).toHaveLength(3);
        expect(topic.split('.')[1]).toBe(value);
      }),
    );
  });

  it('a leaf builder returns a valid topic or throws a TopicError', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(printable, anything), { minLength: 1, maxLength: 4 }), (tokens) => {
        const value = tokens.join('.');
        try {
          expect(isValidTopic(t.identity(value))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(TopicError);
          expect(isValidTopic(`identity.${value}`)).toBe(false);
        }
      }),
    );
  });
});
