/**
 * Our unix client against a v1-only broker that never answers HELLO and never
 * echoes (issue #3 item 4). A v1 broker never acknowledges SUB, so the tests
 * publish until the event arrives (CORRECTIONS #3.10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UnixBus } from '../../src/bus/index.js';
import { take, until } from '../support/events.js';
import { startV1Broker, tempSocketPath, type V1Broker } from '../support/v1-broker.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(): Promise<{ broker: V1Broker; a: UnixBus; b: UnixBus }> {
  const broker = await startV1Broker(tempSocketPath('v1'));
  cleanup.push(() => broker.close());
  const a = new UnixBus({ name: 'pub', socketPath: broker.path, helloTimeoutMs: 50, strict: true });
  const b = new UnixBus({ name: 'sub', socketPath: broker.path, helloTimeoutMs: 50, strict: true });
  cleanup.push(() => a.close(), () => b.close());
  return { broker, a, b };
}

describe('unix client against a v1-only broker', () => {
  it('falls back to v1 after the hello timeout and exchanges events', async () => {
    const { a, b } = await setup();
    const sub = b.subscribe('attacker.>');
    await sub.ready;
    expect(b.protocol).toBe('v1');
    const payload = { attacker_uuid: '0b6c5a52-3f0e-4d7e-9a43-0d2f6c1b9e11', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh', event_type: 'login_attempt', first_seen: '2026-12-01T10:00:00.000000Z' };
    let got: Awaited<ReturnType<typeof take>> = [];
    await until(async () => {
      await a.publish('attacker.observed', payload);
      got = await take(sub, 1, 200).catch(() => []);
      return got.length === 1;
    }, 'first event through the v1 broker');
    expect(got[0]).toMatchObject({ topic: 'attacker.observed', type: 'observed', payload });
  });

  it('sends nothing but HELLO, SUB and PUB before the protocol is settled, and UNSUB after', async () => {
    const { broker, b } = await setup();
    await b.connect();
    const s1 = b.subscribe('x.one');
    await s1.close(); // UNSUB while negotiating must wait
    const s2 = b.subscribe('x.two');
    await s2.ready;
    await until(() => broker.received.some((r) => r.verb === 'UNSUB'), 'deferred UNSUB');
    const verbs = broker.received.filter((r) => r.name === 'sub').map((r) => `${r.verb} ${r.args}`.trim());
    expect(verbs[0]).toBe('HELLO sub');
    expect(verbs.indexOf('UNSUB x.one')).toBeGreaterThan(verbs.indexOf('SUB x.two'));
    expect(broker.peers.size).toBe(1); // still connected: the broker never saw a verb it does not know
  });

  it('delivers its own events locally, since the broker does not echo', async () => {
    const { a } = await setup();
    const own = a.subscribe('self.test');
    await own.ready;
    await a.publish('self.test', { me: 1 });
    expect((await take(own, 1))[0]?.payload).toEqual({ me: 1 });
  });
});
