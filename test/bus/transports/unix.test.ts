/**
 * What only the unix transport has to prove, over a real socket and our
 * broker: lazy connect, v2 negotiation, reconnect with re-subscription, the
 * offline buffer, and a broker restarted in the middle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/bus/broker/index.js';
import { Backoff, BusUnavailableError, UnixBus, type StateChange } from '../../../src/bus/index.js';
import { take, until } from '../../support/events.js';
import { tempSocketPath } from '../../support/v1-broker.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function client(socketPath: string, name: string, extra: Partial<ConstructorParameters<typeof UnixBus>[0]> = {}): UnixBus {
  // fast, jitter-free backoff so a restart is picked up at once
  const bus = new UnixBus({ name, socketPath, strict: true, backoff: new Backoff(10, 50, () => 0.5), ...extra });
  cleanup.push(() => bus.close());
  return bus;
}

async function broker(socketPath: string): Promise<Broker> {
  const b = await startBroker({ socketPath });
  cleanup.push(() => b.close());
  return b;
}

describe('unix transport', () => {
  it('connects lazily: nothing is dialled until first use', async () => {
    const path = tempSocketPath('lazy');
    const b = await broker(path);
    const bus = client(path, 'lazy');
    expect(bus.state).toBe('idle');
    expect(b.stats().connections).toBe(0);
    await bus.connect();
    expect(bus.state).toBe('connected');
    await until(() => b.stats().connections === 1, 'the broker to see the client');
  });

  it('negotiates v2 with our broker, so `ready` means routed', async () => {
    const path = tempSocketPath('v2');
    await broker(path);
    const [a, b] = [client(path, 'a'), client(path, 'b')];
    const sub = b.subscribe('credential.>');
    await sub.ready;
    expect(b.protocol).toBe('v2');
    await a.publish('x.y', {}); // a connects too
    await a.publish('credential.captured', { secret_sha256: 'ab'.repeat(32), secret_kind: 'password', attacker_ip: '198.51.100.23', decky: 'decky-01', service: 'ssh' });
    expect((await take(sub, 1))[0]?.type).toBe('captured');
  });

  it('rejects connect({timeoutMs}) with BusUnavailableError while no broker answers, and connects once one does', async () => {
    const path = tempSocketPath('late');
    const bus = client(path, 'late');
    await expect(bus.connect({ timeoutMs: 100 })).rejects.toBeInstanceOf(BusUnavailableError);
    expect(bus.state).toBe('connecting');
    await broker(path);
    await bus.connect({ timeoutMs: 5000 });
    expect(bus.state).toBe('connected');
  });

  it('publishes while the broker is down are buffered and flushed in order; past the bound the oldest are dropped', async () => {
    const path = tempSocketPath('offline');
    const pub = client(path, 'pub', { offlineBuffer: 5 });
    for (let i = 0; i < 8; i++) await pub.publish('buf.test', { i }); // no broker yet: all buffered
    expect(pub.stats().dropped_offline).toBe(3);
    await broker(path);
    const sub = client(path, 'sub');
    const s = sub.subscribe('buf.test');
    await s.ready;
    // the publisher connected after the subscriber may not have: publish a marker until seen
    await pub.connect();
    const got = await take(s, 5);
    expect(got.map((e) => e.payload.i)).toEqual([3, 4, 5, 6, 7]);
  });

  it('rides out a broker restart: reconnects, re-subscribes, reports `reconnected`, and events flow again', async () => {
    const path = tempSocketPath('restart');
    let b = await startBroker({ socketPath: path });
    const pub = client(path, 'pub');
    const sub = client(path, 'sub');
    const changes: StateChange[] = [];
    sub.on('state', (c) => changes.push(c));
    const s = sub.subscribe('restart.>');
    await s.ready;
    await pub.publish('restart.before', { n: 1 });
    expect((await take(s, 1))[0]?.payload.n).toBe(1);

    await b.close();
    await until(() => sub.state === 'reconnecting' && pub.state === 'reconnecting', 'both clients to notice the broker left');
    await pub.publish('restart.offline', { n: 2 }); // kept in pub's offline buffer
    b = await startBroker({ socketPath: path });
    cleanup.push(() => b.close());
    await until(() => changes.some((c) => c.reconnected), 'the subscriber to reconnect');
    expect(changes.map((c) => c.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(sub.stats().reconnects).toBe(1);
    // re-subscription is asynchronous on the broker side: publish until one arrives
    await until(async () => {
      await pub.publish('restart.after', { n: 3 });
      return (await take(s, 1, 100).catch(() => [])).length > 0;
    }, 'events to flow after the restart');
    expect(b.stats().subscriptions).toBeGreaterThanOrEqual(1);
  });

  it('sends UNSUB when the last local subscription of a pattern closes', async () => {
    const path = tempSocketPath('unsub');
    const b = await broker(path);
    const bus = client(path, 'u');
    const s1 = bus.subscribe('u.one');
    const s2 = bus.subscribe('u.one');
    await Promise.all([s1.ready, s2.ready]);
    await until(() => b.stats().subscriptions === 1, 'one SUB on the wire for two local subscriptions');
    await s1.close();
    expect(b.stats().subscriptions).toBe(1);
    await s2.close();
    await until(() => b.stats().subscriptions === 0, 'the UNSUB');
  });
});
