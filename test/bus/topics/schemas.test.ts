/**
 * Payload schemas and validatePayload: a good payload passes, a wrong field type fails
 * with its path, unknown keys pass, and the caller's object is never modified.
 */
import { describe, expect, it } from 'vitest';
import * as t from '../../../src/bus/topics/index.js';
import { TOPIC_CATALOGUE, validatePayload } from '../../../src/bus/topics/index.js';
import { SAMPLE_TIME, SAMPLE_UUID, fillTemplate, firstTypedField, sampleOf, wrongValueFor } from './samples.js';

const ARGS = { topologyId: SAMPLE_UUID, deckyId: 'decky-01', tokenId: SAMPLE_UUID, worker: 'ingest', primitive: 'temporal.session_duration', techniqueId: 'T1110', ruleId: 'R0001' };
const entries = TOPIC_CATALOGUE.map((e) => [e.template, e, fillTemplate(e.template, ARGS)] as const);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe.each(entries)('%s', (_template, entry, topic) => {
  const good = sampleOf(entry.schema) as Record<string, unknown>;

  it('accepts a well-formed payload', () => {
    expect(validatePayload(topic, good)).toEqual({ ok: true });
  });

  it('accepts unknown extra keys and does not touch the payload', () => {
    const payload = deepFreeze({ ...structuredClone(good), extra_field: { nested: [1, 'two'] } });
    const before = structuredClone(payload);
    expect(validatePayload(topic, payload)).toEqual({ ok: true });
    expect(payload).toStrictEqual(before);
  });

  const field = firstTypedField(entry.schema);
  if (field) {
    it('refuses a field of the wrong type, naming it', () => {
      const [name, schema] = field;
      const bad = { ...structuredClone(good), [name]: wrongValueFor(schema) };
      const before = structuredClone(bad);
      const verdict = validatePayload(topic, bad);
      expect(verdict.ok).toBe(false);
      expect(verdict.ok ? [] : verdict.issues.join('\n')).toContain(name);
      expect(bad).toStrictEqual(before);
    });
  } else {
    it('has no field list: any object passes', () => {
      expect(validatePayload(topic, {})).toEqual({ ok: true });
      expect(validatePayload(topic, { anything: [1] })).toEqual({ ok: true });
    });
  }

  it('refuses a payload that is not an object', () => {
    for (const payload of [null, [], 'x', 1]) expect(validatePayload(topic, payload).ok).toBe(false);
  });
});

describe('payloads of the specs', () => {
  const valid: Array<[string, unknown]> = [
    // ttp.md §7.1–§7.4, verbatim
    [
      t.ttp(t.TTP_TAGGED),
      { attacker_ip: '198.51.100.23', attacker_uuid: null, identity_uuid: null, session_id: 'c0ffee01', tag_uuids: ['8657bbf0-ea92-5135-bee5-9f8913b25271'], techniques_added: ['T1003.008'], rule_ids: ['R0014'], count: 1 },
    ],
    [
      t.ttpRuleFired('T1003'),
      {
        technique_id: 'T1003',
        sub_technique_ids: ['T1003.008'],
        tactic_ids: ['TA0006'],
        tag_uuids: ['8657bbf0-ea92-5135-bee5-9f8913b25271'],
        rule_ids: ['R0014'],
        attacker_ip: '198.51.100.23',
        attacker_uuid: null,
        identity_uuid: null,
        session_id: 'c0ffee01',
        max_confidence: 0.95,
      },
    ],
    [
      t.ttpRuleState('R0017'),
      {
        rule_id: 'R0017',
        state: 'clipped',
        confidence_max: 0.5,
        expires_at: '2026-05-02T12:00:00.000000Z',
        reason: 'noisy on the lab subnet',
        set_by: 'admin',
        set_at: '2026-05-01T12:00:00.000000Z',
        previous_state: 'enabled',
        auto_revert: false,
      },
    ],
    [t.ttpRuleState('R0017'), { rule_id: 'R0017', state: 'enabled', previous_state: 'clipped', auto_revert: true, set_by: 'system', set_at: SAMPLE_TIME }],
    [t.ttpRuleReloaded('R0001'), { rule_id: 'R0001', deleted: true, outcome: 'removed', previous_version: 3, previous_source: 'filesystem', instance: 'host:1:2' }],
    [
      t.ttpRuleReloaded('R0001'),
      { rule_id: 'R0001', rule_version: 4, outcome: 'rejected', source: 'filesystem', problems: [{ code: 'bad_regex', line: 14, path: 'detection.x', message: 'm' }], running_version: 3, running_source: 'builtin', instance: 'i' },
    ],
    // eventplane.md
    [t.system(t.SYSTEM_LOG), { kind: 'batch_committed', component: 'ingest', source: 'file:/var/log/x', flushed: 100, first_log_id: 1, last_log_id: '100' }],
    [t.system(t.SYSTEM_LOG), { kind: 'line', log_id: 7, decky: 'decky-01', service: 'ssh', event_type: 'login_attempt', attacker_ip: null, timestamp: SAMPLE_TIME }],
    [t.topologyStatus(SAMPLE_UUID), { status: 'degraded', previous_status: 'active', reason: 'deploy failed: boom' }],
    [t.systemControl('ttp'), { action: 'stop', requested_by: 'admin', ts: 1777636800.5 }],
    [t.systemHealth('ingest'), { worker: 'ingest', ts: 1777636800.5, lines: 10 }],
    [
      t.systemHealth('bus'),
      { worker: 'bus', pid: 4242, uptime_sec: 12.5, ts: 1777636800.5, connections: 3, subscriptions: 12, published: 100, delivered: 300, dropped: 0, refused: 0 },
    ],
    [t.WEBHOOK_SUBSCRIPTIONS_CHANGED, {}],
    [t.canary(SAMPLE_UUID, t.CANARY_REVOKED), { token_id: SAMPLE_UUID, decky_name: 'decky-01', placement_path: '/root/.aws/credentials' }],
    [t.canary(SAMPLE_UUID, t.CANARY_REVOKED), { token_id: SAMPLE_UUID, trigger_id: SAMPLE_UUID, reason: 'fingerprint_collected' }],
    [t.smtp(t.SMTP_PROBE_PENDING), { decky: 'mail-01', attacker_ip: '203.0.113.7', stored_as: 'a/b.eml', mail_from: 'x@example.org', rcpt_to: ['y@example.net'] }],
    [t.decky('decky-01', t.DECKY_TRAFFIC), { kind: 'tcp_flow_timing', src_ip: '203.0.113.7', packets: '12' }],
    [t.attackerObservation('motor.digraph_simhash'), { primitive: 'motor.digraph_simhash' }],
    [t.attacker(t.ATTACKER_SESSION_STARTED), {}],
    ['test.ping', { message: 'Synthetic test event from DECNET', triggered_by: 'admin' }],
  ];

  it.each(valid)('%s accepts %j', (topic, payload) => {
    expect(validatePayload(topic, payload)).toEqual({ ok: true });
  });

  const invalid: Array<[string, unknown, string]> = [
    [t.credential(t.CREDENTIAL_CAPTURED), { secret_sha256: 'ab', secret_kind: 'plaintext', attacker_ip: 5, decky: 'd', service: 's' }, 'attacker_ip'],
    [t.systemHealth('bus'), { worker: 'api', pid: 1, uptime_sec: 1, ts: 1, connections: 0, subscriptions: 0, published: 0, delivered: 0, dropped: 0, refused: 0 }, 'worker'],
    [t.systemHealth('ingest'), { worker: 'ingest', ts: SAMPLE_TIME }, 'ts'],
    [t.system(t.SYSTEM_LOG), { kind: 'lines' }, 'kind'],
    [t.system(t.SYSTEM_LOG), { kind: 'line', log_id: 1 }, 'decky'],
    [t.topologyStatus(SAMPLE_UUID), { state: 'degraded', reason: 'x' }, 'status'],
    [t.canary(SAMPLE_UUID, t.CANARY_REVOKED), { token_id: SAMPLE_UUID, reason: 'other' }, 'shape 2: reason'],
    [t.attacker(t.ATTACKER_FINGERPRINTED), { ...(sampleOf(t.findTopicEntry('attacker.fingerprinted')!.schema) as object), kind: 'probe_name' }, 'kind'],
    [t.systemControl('ttp'), { action: 'restart', requested_by: 'admin', ts: 1 }, 'action'],
    [t.decky('d', t.DECKY_TRAFFIC), { src_ip: '1.2.3.4' }, 'kind'],
    [t.attackerObservation('x.y'), { value: 'typed' }, 'primitive'],
  ];

  it.each(invalid)('%s refuses %j', (topic, payload, where) => {
    const verdict = validatePayload(topic, payload);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.issues.join('\n')).toContain(where);
  });

  it('lets any object through on a topic outside the catalogue', () => {
    expect(validatePayload('custom.thing', { anything: [1, 2, 3] })).toEqual({ ok: true });
    expect(validatePayload('custom.thing', [])).toMatchObject({ ok: false });
  });
});
