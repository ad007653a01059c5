/**
 * The circuit breaker (eventplane.md §4.6) against a real receiver, on the injected
 * clock: opens after N counted events, rows still created but not attempted, one probe
 * after the cool-down (failure reopens it, success closes it and makes `failed` rows
 * due), and an admin's `enabled: true` closes it at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../src/bus/index.js';
import { loopbackOnly, startHarness, startReceiver, type Harness, type Receiver } from './support.js';

let h: Harness;
let rx: Receiver;
afterEach(async () => {
  await h.close();
  await rx.close();
});

describe('circuit breaker', () => {
  it('opens, holds rows, probes after the cool-down, reopens, closes, and an admin can close it', async () => {
    // one fast retry, a far durable one: an event counts when its second attempt fails
    h = await startHarness({ DECNET_WEBHOOK_FAST_RETRY_SECS: '1', DECNET_WEBHOOK_DURABLE_RETRY_SECS: '3600', DECNET_WEBHOOK_CIRCUIT_THRESHOLD: '2', DECNET_WEBHOOK_CIRCUIT_COOLDOWN_SECS: '60' });
    rx = await startReceiver();
    const { id, secret } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    rx.secrets = [secret];
    rx.respond = () => ({ status: 500 });
    await h.start({ connectHook: loopbackOnly().hook, maintenanceMs: 1000 });
    const sub = async (): Promise<{ circuitState: string; consecutiveFailures: number; circuitOpenedAt: string | null }> => (await h.db.repos.webhookSubscriptions.findById(id))!;

    // event A: two failed attempts → failed, counted once
    const [a] = await h.journal(1);
    await h.untilRows(id, (r) => r.length === 1 && r[0]!.attempts === 1 && r[0]!.state === 'pending', 'A attempt 1 recorded');
    expect((await sub()).consecutiveFailures).toBe(0); // a fast-retry failure does not count
    h.clock.advance(1000);
    await h.untilRows(id, (r) => r[0]?.state === 'failed', 'A failed');
    expect(await sub()).toMatchObject({ circuitState: 'closed', consecutiveFailures: 1 });

    // event B: the second counted event opens the circuit
    await h.journal(1);
    await h.untilRows(id, (r) => r.length === 2 && r.every((x) => x.state !== 'delivering' && x.attempts >= 1) && r.some((x) => x.state === 'pending'), 'B attempt 1 recorded');
    h.clock.advance(1000);
    await h.untilRows(id, (r) => r.every((x) => x.state === 'failed'), 'B failed');
    const opened = await sub();
    expect(opened).toMatchObject({ circuitState: 'open', consecutiveFailures: 2, circuitOpenedAt: isoFromEpochMs(h.clock.now()) });
    const requestsWhenOpened = rx.received.length;

    // event C: its row is created but not attempted while open
    const [c] = await h.journal(1);
    const held = await h.untilRows(id, (r) => r.length === 3, 'C row created');
    h.clock.advance(5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(held.find((r) => r.eventId === c)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(rx.received.length).toBe(requestsWhenOpened);
    h.clock.advance(1000); // maintenance refreshes the heartbeat counters
    await new Promise((r) => setTimeout(r, 100));
    expect(h.stats.snapshot().circuits_open).toBe(1);

    // cool-down over: one probe (the oldest due row, C), which fails → reopened, fresh cool-down
    h.clock.advance(60_000);
    await h.untilRows(id, (r) => r.find((x) => x.eventId === c)?.attempts === 1 && r.find((x) => x.eventId === c)?.state === 'pending', 'probe made and recorded');
    await new Promise((r) => setTimeout(r, 50));
    const reopened = await sub();
    expect(reopened.circuitState).toBe('open');
    expect(Date.parse(reopened.circuitOpenedAt!)).toBeGreaterThan(Date.parse(opened.circuitOpenedAt!));
    expect(rx.received.length).toBe(requestsWhenOpened + 1);

    // next probe succeeds: closed, and the failed rows are due at once
    rx.respond = () => ({ status: 200 });
    h.clock.advance(60_000);
    const all = await h.untilRows(id, (r) => r.every((x) => x.state === 'succeeded'), 'everything delivered after the close');
    expect(all.map((r) => r.eventId).sort()).toEqual([a, c, all.find((r) => r.eventId !== a && r.eventId !== c)!.eventId].sort());
    expect(await sub()).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0 });

    // open it again, then the admin's PATCH {enabled: true} closes it without waiting
    rx.respond = () => ({ status: 500 });
    await h.journal(2);
    await h.untilRows(id, (r) => r.length === 5 && r.filter((x) => x.state !== 'succeeded').every((x) => x.attempts === 1 && x.state === 'pending'), 'two new rows tried and recorded');
    h.clock.advance(1000);
    await h.untilRows(id, (r) => r.filter((x) => x.state === 'failed').length === 2, 'two failed');
    expect((await sub()).circuitState).toBe('open');
    rx.respond = () => ({ status: 200 });
    await h.db.write(async (tx) => {
      await h.db.repos.webhookSubscriptions.update(id, { enabled: true, resetCircuit: true }, tx);
      await h.db.repos.webhookDeliveries.makeDue(tx, id, isoFromEpochMs(h.clock.now()), 'all');
    });
    h.clock.advance(1000);
    await h.untilRows(id, (r) => r.length === 5 && r.every((x) => x.state === 'succeeded'), 'delivered after the admin closed it');
    expect(await sub()).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0 });
  });
});
