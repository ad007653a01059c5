/**
 * The worker against a REAL local receiver: every delivery's signatures verified (the
 * `standardwebhooks` library as oracle, plus the X-DECNET check), headers, body bytes,
 * one POST per event however many patterns match, non-matching events not sent, secret
 * rotation, and the hot-add of a subscription. Connections are loopback only (the
 * connect hook refuses anything else), and time is the injected FakeClock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isoFromEpochMs, publishSafely, topics } from '../../src/bus/index.js';
import { deriveKey } from '../../src/secrets/index.js';
import { canonicalJson, isoMicros, rotateSecret } from '../../src/webhook/index.js';
import { until } from '../support/events.js';
import { loopbackOnly, startHarness, startReceiver, type Harness, type Receiver } from './support.js';

let h: Harness;
let rx: Receiver;
let hook: ReturnType<typeof loopbackOnly>;

beforeEach(async () => {
  h = await startHarness();
  rx = await startReceiver();
  hook = loopbackOnly();
});
afterEach(async () => {
  await h.close();
  await rx.close();
});

describe('webhook delivery to a real receiver', () => {
  it('delivers a journaled event once, signed in both schemes, with the event headers and a canonical body', async () => {
    const { id, secret } = await h.subscribe({ url: `${rx.url}/hook?x=1`, patterns: ['ttp.>', 'ttp.rule.fired.*', 'ttp.rule.fired.T1110'] });
    rx.secrets = [secret];
    await h.start({ connectHook: hook.hook });
    const [eventId] = await h.journal(1);
    await until(() => rx.received.length === 1, 'one POST');
    await h.untilRows(id, (rows) => rows[0]?.state === 'succeeded', 'row succeeded');

    const got = rx.received[0]!;
    expect(got.path).toBe('/hook?x=1');
    expect(got.verifiedWith).toEqual([secret]);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('decnet-webhook/1.0');
    expect(got.headers['webhook-id']).toBe(eventId);
    expect(got.headers['x-decnet-event-id']).toBe(eventId);
    expect(got.headers['x-decnet-event-topic']).toBe('ttp.rule.fired.T1110');
    expect(got.headers['x-decnet-timestamp']).toBe(got.headers['webhook-timestamp']);
    expect(Number(got.headers['webhook-timestamp'])).toBe(Math.floor(h.clock.now() / 1000));
    expect(got.headers.host).toBe(`127.0.0.1:${rx.port}`);
    expect((got.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);

    // the body: canonical JSON of the journal row, ts with six digits
    const stored = (await h.db.repos.journal.readAfter(0, { limit: 10 }))[0]!;
    expect(got.body).toBe(canonicalJson({ id: stored.id, payload: stored.payload, topic: stored.topic, ts: isoMicros(stored.ts), type: 'rule.fired', v: 1 }));
    expect(got.body.startsWith('{"id":')).toBe(true);
    expect(JSON.parse(got.body).ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const row = (await h.rows(id))[0]!;
    expect(row).toMatchObject({ eventId, attempts: 1, lastStatus: 200, deliveredAt: isoFromEpochMs(h.clock.now()) });
    expect((await h.db.repos.webhookDeliveries.get(id, row.id))?.body).toBe(got.body);
    expect(hook.seen.every((t) => t.address === '127.0.0.1')).toBe(true);
  });

  it('sends nothing for an event no pattern matches, and live (non-journaled) events while running', async () => {
    const { id, secret } = await h.subscribe({ url: rx.url, patterns: ['ttp.rule.fired.T1059', 'custom.>'] });
    rx.secrets = [secret];
    await h.start({ connectHook: hook.hook });
    await h.journal(3, 'T1110'); // not matching
    await h.bus.publish('custom.thing.happened', { n: 1 });
    h.clock.advance(50); // the live batch's wait
    await until(() => rx.received.length === 1, 'the live event');
    await h.journal(1, 'T1059');
    await until(() => rx.received.length === 2, 'the matching journaled event');
    expect(rx.received.map((r) => r.topic)).toEqual(['custom.thing.happened', 'ttp.rule.fired.T1059']);
    expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
    expect(await h.rows(id)).toHaveLength(2);
  });

  it('signs with both secrets during a rotation, and with the new one alone after 24 h', async () => {
    const { id, secret: old } = await h.subscribe({ url: rx.url, patterns: ['ttp.>'] });
    const key = deriveKey(h.masterKey, 'webhook-secret');
    const sub = (await h.db.repos.webhookSubscriptions.findById(id))!;
    const fresh = 'a brand new secret of the webhook';
    await h.db.repos.webhookSubscriptions.update(id, rotateSecret(key, sub, fresh, h.clock.now()));
    rx.secrets = [fresh, old];
    await h.start({ connectHook: hook.hook });
    await h.journal(1);
    await until(() => rx.received.length === 1, 'a POST during the overlap');
    await h.untilRows(id, (rows) => rows[0]?.state === 'succeeded', 'recorded before time moves');
    const during = rx.received[0]!;
    expect(during.verifiedWith).toEqual([fresh, old]);
    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect((during.headers['x-decnet-signature'] as string).split(', ')).toHaveLength(2);

    h.clock.advance(24 * 3_600_000 + 1000);
    await h.journal(1);
    await until(() => rx.received.length === 2, 'a POST after the overlap');
    const after = rx.received[1]!;
    expect(after.verifiedWith).toEqual([fresh]);
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
  });

  it('hot-adds a subscription on system.webhook.subscriptions_changed', async () => {
    await h.start({ connectHook: hook.hook });
    const { secret } = await h.subscribe({ url: rx.url, patterns: ['custom.>', 'ttp.>'] });
    rx.secrets = [secret];
    await publishSafely(h.bus, topics.WEBHOOK_SUBSCRIPTIONS_CHANGED, {});
    // live: only the reload on the signal subscribes the pattern (the 60 s fallback is far on the FakeClock)
    await until(async () => {
      await h.bus.publish('custom.ping', { at: Date.now() });
      h.clock.advance(50);
      await new Promise((r) => setTimeout(r, 20));
      return rx.received.some((r) => r.topic === 'custom.ping');
    }, 'a live event after the reload');
    // journaled: each pass re-reads the subscriptions
    await h.journal(1);
    await until(() => rx.received.some((r) => r.topic.startsWith('ttp.')), 'the journaled event');
    expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
  });
});
