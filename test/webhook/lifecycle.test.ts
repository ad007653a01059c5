/**
 * The worker's life: it returns rows leased by a dead earlier instance on start (and
 * leaves a live holder's alone), stops on its signal while letting an attempt in flight
 * finish and be recorded, and starts its journal cursor at the head on first start.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../src/bus/index.js';
import { isGoneLocalHolder, leaseHolder } from '../../src/webhook/index.js';
import { until } from '../support/events.js';
import { loopbackOnly, startHarness, startReceiver, type Harness, type Receiver } from './support.js';

let h: Harness;
let rx: Receiver;
afterEach(async () => {
  await h.close();
  await rx.close();
});

describe('webhook worker lifecycle', () => {
  it('starts its cursor at the journal head: history is not replayed', async () => {
    h = await startHarness();
    rx = await startReceiver();
    const { id } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    await h.journal(3); // before the first start
    await h.start({ connectHook: loopbackOnly().hook });
    expect(await h.db.repos.cursors.get('webhook', 'events')).toBe(3);
    await h.journal(1);
    await h.untilRows(id, (r) => r.length === 1 && r[0]!.state === 'succeeded', 'only the new event');
    expect(rx.received).toHaveLength(1);
  });

  it('returns rows held by a gone instance on this host, not those of a live one', async () => {
    h = await startHarness();
    rx = await startReceiver();
    const { id } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    await h.start({ connectHook: loopbackOnly().hook });
    await h.stop();
    rx.respond = () => ({ status: 500 }); // nothing gets delivered meanwhile
    const eventIds = await h.journal(2);
    // a pass by hand creates the rows; then fake two leases: a dead pid and this (live) process
    await h.start({ connectHook: loopbackOnly().hook, pollMs: 3_600_000 });
    await h.untilRows(id, (r) => r.length === 2 && r.every((x) => x.state !== 'delivering'), 'rows created and tried once');
    await h.stop();
    const rows = await h.rows(id);
    const gone = `${hostname()}:999999999:1`;
    const live = `${hostname()}:1:1`; // pid 1 exists: a live holder on this host
    const lease = isoFromEpochMs(h.clock.now() + 30_000);
    await h.db.kysely.updateTable('webhook_deliveries').set({ state: 'delivering', locked_by: gone, locked_until: lease }).where('id', '=', rows[0]!.id).execute();
    await h.db.kysely.updateTable('webhook_deliveries').set({ state: 'delivering', locked_by: live, locked_until: lease }).where('id', '=', rows[1]!.id).execute();
    expect(isGoneLocalHolder(gone, leaseHolder(h.clock))).toBe(true);
    expect(isGoneLocalHolder(live, leaseHolder(h.clock))).toBe(false);
    expect(isGoneLocalHolder(`other-host:999999999:1`, leaseHolder(h.clock))).toBe(false);

    rx.respond = () => ({ status: 200 });
    await h.start({ connectHook: loopbackOnly().hook });
    await h.untilRows(id, (r) => r.find((x) => x.id === rows[0]!.id)?.state === 'succeeded', 'the orphan delivered');
    expect((await h.rows(id)).find((x) => x.id === rows[1]!.id)?.state).toBe('delivering');
    // the live holder's lease runs out: maintenance returns the row and it is delivered
    h.clock.advance(31_000);
    await h.untilRows(id, (r) => r.every((x) => x.state === 'succeeded'), 'the expired lease returned and delivered');
    expect(new Set(rx.received.filter((r) => r.headers['webhook-id']).map((r) => r.eventId))).toEqual(new Set(eventIds));
  });

  it('on stop claims nothing new and lets the attempt in flight finish and be recorded', async () => {
    h = await startHarness();
    rx = await startReceiver();
    const { id } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    rx.respond = () => 'hang';
    await h.start({ connectHook: loopbackOnly().hook });
    await h.journal(1);
    await until(() => rx.received.length === 1, 'an attempt in flight');
    const stopping = h.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await h.journal(1); // arrives while stopping: stays pending
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false); // waiting for the attempt
    h.clock.advance(10_000); // the exchange timeout ends it
    await stopping;
    const rows = await h.rows(id);
    expect(rows.find((r) => r.attempts === 1)).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/^TimeoutError/) });
    expect(rx.received).toHaveLength(1);
  });

  it('keeps succeeded rows 7 days and dead rows 30 (DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS), pruning at start and hourly', async () => {
    h = await startHarness();
    rx = await startReceiver();
    const { id } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    const day = 86_400_000;
    const now = h.clock.now();
    const ages: Array<[string, 'succeeded' | 'dead', number]> = [
      ['a'.repeat(32), 'succeeded', 8 * day],
      ['b'.repeat(32), 'succeeded', 6 * day],
      ['c'.repeat(32), 'dead', 31 * day],
      ['d'.repeat(32), 'dead', 20 * day],
    ];
    await h.db.write((tx) => h.db.repos.webhookDeliveries.insertMany(tx, ages.map(([eventId]) => ({ id: randomUUID(), subscriptionId: id, eventId, topic: 'ttp.tagged', body: '{}' })), isoFromEpochMs(now), isoFromEpochMs(now + day)));
    for (const [eventId, state, age] of ages) await h.db.kysely.updateTable('webhook_deliveries').set({ state, next_attempt_at: isoFromEpochMs(now - age) }).where('event_id', '=', eventId).execute();
    await h.start({ connectHook: loopbackOnly().hook });
    await h.untilRows(id, (r) => r.length === 2, 'old rows pruned');
    expect((await h.rows(id)).map((r) => r.eventId).sort()).toEqual(['b'.repeat(32), 'd'.repeat(32)]);
    h.clock.advance(2 * day); // the 6-day-old succeeded row passes 7 days; the next hourly pass removes it
    await until(async () => {
      h.clock.advance(10_000); // maintenance runs every 10 s of the clock
      return (await h.rows(id)).length === 1;
    }, 'the next pass');
    expect((await h.rows(id))[0]?.eventId).toBe('d'.repeat(32));
  });
});
