/**
 * Type-level contract of the builders: a known topic demands its payload type, so a
 * wrong payload is a compile error (checked by `npm run typecheck`, which covers test/;
 * the `@ts-expect-error` lines fail it if they ever compile). An unknown leaf or a plain
 * string takes any JSON object.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { JsonObject } from '../../../src/bus/envelope.js';
import * as t from '../../../src/bus/topics/index.js';
import type {
  AttackerObservationPayload,
  AttackerSessionEndedPayload,
  BusHealthPayload,
  CanaryTriggeredPayload,
  CredentialCapturedPayload,
  DeckyLifecyclePayload,
  MutationAppliedPayload,
  PayloadOf,
  SystemLogPayload,
  TtpRuleFiredPayload,
  TypedTopic,
  WorkerHealthPayload,
} from '../../../src/bus/topics/index.js';

/** The shape of the bus's publish. */
function publish<T extends string>(topic: T, payload: PayloadOf<T>): [T, PayloadOf<T>] {
  return [topic, payload];
}

const captured = { secret_sha256: 'ab', secret_kind: 'plaintext', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' };

describe('typed topics', () => {
  it('carry the payload type of a known leaf', () => {
    expectTypeOf(t.credential('captured')).toEqualTypeOf<TypedTopic<CredentialCapturedPayload>>();
    expectTypeOf(t.credential(t.CREDENTIAL_CAPTURED)).toEqualTypeOf<TypedTopic<CredentialCapturedPayload>>();
    expectTypeOf(t.topologyMutation('id', t.MUTATION_APPLIED)).toEqualTypeOf<TypedTopic<MutationAppliedPayload>>();
    expectTypeOf(t.attacker(t.ATTACKER_SESSION_ENDED)).toEqualTypeOf<TypedTopic<AttackerSessionEndedPayload>>();
    expectTypeOf(t.attacker('observation.motor.x')).toEqualTypeOf<TypedTopic<AttackerObservationPayload>>();
    expectTypeOf(t.canary('tok', t.CANARY_TRIGGERED)).toEqualTypeOf<TypedTopic<CanaryTriggeredPayload>>();
    expectTypeOf(t.deckyLifecycle('d')).toEqualTypeOf<TypedTopic<DeckyLifecyclePayload>>();
    expectTypeOf(t.system(t.SYSTEM_LOG)).toEqualTypeOf<TypedTopic<SystemLogPayload>>();
    expectTypeOf(t.system(t.SYSTEM_BUS_HEALTH)).toEqualTypeOf<TypedTopic<BusHealthPayload>>();
    expectTypeOf(t.systemHealth('bus')).toEqualTypeOf<TypedTopic<BusHealthPayload>>();
    expectTypeOf(t.systemHealth('ingest')).toEqualTypeOf<TypedTopic<WorkerHealthPayload>>();
    expectTypeOf(t.ttpRuleFired('T1110')).toEqualTypeOf<TypedTopic<TtpRuleFiredPayload>>();
    expectTypeOf(t.ttp('rule.fired.T1110')).toEqualTypeOf<TypedTopic<TtpRuleFiredPayload>>();
  });

  it('fall back to JsonObject for an unknown leaf or a plain string', () => {
    expectTypeOf(t.credential('leaked')).toEqualTypeOf<TypedTopic<JsonObject>>();
    const leaf: string = 'captured';
    expectTypeOf(t.credential(leaf)).toEqualTypeOf<TypedTopic<JsonObject>>();
    expectTypeOf<PayloadOf<'custom.topic'>>().toEqualTypeOf<JsonObject>();
    expectTypeOf<PayloadOf<ReturnType<typeof t.credential<'captured'>>>>().toEqualTypeOf<CredentialCapturedPayload>();
  });

  it('make a wrong payload a compile error', () => {
    publish(t.credential(t.CREDENTIAL_CAPTURED), captured);
    publish(t.credential(t.CREDENTIAL_CAPTURED), { ...captured, extra: 'unknown keys are fine' });
    // @ts-expect-error attacker_ip must be a string
    publish(t.credential(t.CREDENTIAL_CAPTURED), { ...captured, attacker_ip: 5 });
    // @ts-expect-error secret_sha256 is required
    publish(t.credential(t.CREDENTIAL_CAPTURED), { secret_kind: 'plaintext', attacker_ip: '1.2.3.4', decky: 'd', service: 's' });
    // @ts-expect-error the broker's beat carries worker "bus"
    publish(t.systemHealth('bus'), { worker: 'api', pid: 1, uptime_sec: 1, ts: 1, connections: 0, subscriptions: 0, published: 0, delivered: 0, dropped: 0, refused: 0 });
    // @ts-expect-error heartbeat ts is epoch seconds, not an ISO string
    publish(t.systemHealth('ingest'), { worker: 'ingest', ts: '2026-05-01T12:00:00.000000Z' });
    // @ts-expect-error system.log needs a known kind
    publish(t.system(t.SYSTEM_LOG), { kind: 'lines' });
    // @ts-expect-error a mutation op is one of the eight
    publish(t.topologyMutation('id', t.MUTATION_APPLIED), { mutation_id: 'm', op: 'drop_table' });
    publish(t.topologyMutation('id', t.MUTATION_APPLIED), { mutation_id: 'm', op: 'add_lan' });
    publish(t.system(t.SYSTEM_LOG), { kind: 'batch_committed', component: 'ingest', source: 's', flushed: 1, first_log_id: 1, last_log_id: 2 });
    publish(t.WEBHOOK_SUBSCRIPTIONS_CHANGED, {});
    publish('custom.topic', { anything: true });
  });
});
