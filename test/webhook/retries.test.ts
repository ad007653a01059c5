/**
 * Retries, Retry-After, what is not retried, dead letters and replay, against a real
 * local receiver. Short schedules and the injected clock (jitter pinned to ×1.0):
 * assertions are on row state and `next_attempt_at`, never on elapsed time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../src/bus/index.js';
import { ROW_EXPIRY_MS } from '../../src/webhook/index.js';
import { until } from '../support/events.js';
import { loopbackOnly, startHarness, startReceiver, type Harness, type Receiver } from './support.js';

let h: Harness | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await h?.close();
  await rx?.close();
  h = undefined;
  rx = undefined;
});

/** fast 1 s, 2 s; durable 30 s: four attempts, then dead. */
const SHORT = { DECNET_WEBHOOK_FAST_RETRY_SECS: '1,2', DECNET_WEBHOOK_DURABLE_RETRY_SECS: '30' };

async function setup(env: Record<string, string> = {}): Promise<{ h: Harness; rx: Receiver; id: string }> {
  h = await startHarness({ ...SHORT, ...env });
  rx = await startReceiver();
  const { id, secret } = await h.subscribe({ url: `${rx.url}/in`, patterns: ['ttp.>'] });
  rx.secrets = [secret];
  await h.start({ connectHook: loopbackOnly().hook });
  return { h, rx, id };
}

describe('retries and dead letters', () => {
  it('retries a 500 after the fast delay and then succeeds', async () => {
    const { h, rx, id } = await setup();
    rx.respond = ({ count }) => ({ status: count === 1 ? 500 : 200 });
    await h.journal(1);
    const [first] = await h.untilRows(id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', 'first attempt recorded');
    expect(first).toMatchObject({ lastStatus: 500, lastError: 'http 500', nextAttemptAt: isoFromEpochMs(h.clock.now() + 1000) });
    h.clock.advance(1000);
    const [done] = await h.untilRows(id, (r) => r[0]?.state === 'succeeded', 'retried');
    expect(done).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(rx.received.map((r) => r.eventId)).toEqual([done!.eventId, done!.eventId]);
    expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
    // a retry is signed for its own time
    expect(Number(rx.received[1]!.headers['webhook-timestamp'])).toBe(Number(rx.received[0]!.headers['webhook-timestamp']) + 1);
  });

  it('walks the whole schedule (pending, pending, failed) to dead, and a replay delivers it', async () => {
    const { h, rx, id } = await setup();
    rx.respond = () => ({ status: 503 });
    await h.journal(1);
    let [row] = await h.untilRows(id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', 'attempt 1');
    expect(row!.nextAttemptAt).toBe(isoFromEpochMs(h.clock.now() + 1000));
    h.clock.advance(1000);
    [row] = await h.untilRows(id, (r) => r[0]?.attempts === 2 && r[0].state === 'pending', 'attempt 2');
    expect(row!.nextAttemptAt).toBe(isoFromEpochMs(h.clock.now() + 2000));
    h.clock.advance(2000);
    [row] = await h.untilRows(id, (r) => r[0]?.attempts === 3 && r[0].state === 'failed', 'attempt 3: fast retries spent');
    expect(row!.nextAttemptAt).toBe(isoFromEpochMs(h.clock.now() + 30_000));
    h.clock.advance(30_000);
    [row] = await h.untilRows(id, (r) => r[0]?.state === 'dead', 'attempt 4: dead');
    expect(row).toMatchObject({ attempts: 4, lastStatus: 503, lastError: 'http 503' });
    expect(rx.received).toHaveLength(4);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id'])).size).toBe(1);

    rx.respond = () => ({ status: 204 });
    expect(await h.db.repos.webhookDeliveries.replay(id, row!.id, isoFromEpochMs(h.clock.now()), isoFromEpochMs(h.clock.now() + ROW_EXPIRY_MS))).toBe('replayed');
    h.clock.advance(1000); // the dispatcher's poll
    const [replayed] = await h.untilRows(id, (r) => r[0]?.state === 'succeeded', 'replayed and delivered');
    expect(replayed).toMatchObject({ attempts: 1, lastStatus: 204, eventId: row!.eventId });
    expect(rx.received[4]!.body).toBe(rx.received[0]!.body);
  });

  it('honours Retry-After on 429 (seconds) and 503 (a date), capped, and ignores it on 500', async () => {
    const { h, rx, id } = await setup({ DECNET_WEBHOOK_RETRY_AFTER_MAX_SECS: '600' });
    const second = await h.subscribe({ url: `${rx.url}/b`, patterns: ['ttp.>'] });
    const third = await h.subscribe({ url: `${rx.url}/c`, patterns: ['ttp.>'] });
    const first = { id };
    const at = new Date(h.clock.now() + 90_000).toUTCString();
    rx.respond = ({ path }) => (path === '/in' ? { status: 429, headers: { 'retry-after': '120' } } : path === '/b' ? { status: 503, headers: { 'retry-after': at } } : { status: 500, headers: { 'retry-after': '120' } });
    await h.journal(1);
    const now = h.clock.now();
    const [a] = await h.untilRows(first.id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', '429 recorded');
    const [b] = await h.untilRows(second.id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', '503 recorded');
    const [c] = await h.untilRows(third.id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', '500 recorded');
    expect(a).toMatchObject({ lastStatus: 429, nextAttemptAt: isoFromEpochMs(now + 120_000) });
    expect(Date.parse(b!.nextAttemptAt)).toBeGreaterThanOrEqual(Math.floor(now / 1000) * 1000 + 89_000);
    expect(Date.parse(b!.nextAttemptAt)).toBeLessThanOrEqual(now + 90_000);
    expect(c).toMatchObject({ lastStatus: 500, nextAttemptAt: isoFromEpochMs(now + 1000) });

    // capped at DECNET_WEBHOOK_RETRY_AFTER_MAX_SECS
    rx.respond = () => ({ status: 429, headers: { 'retry-after': '86400' } });
    h.clock.advance(120_000);
    const [capped] = await h.untilRows(first.id, (r) => r[0]?.attempts === 2 && r[0].state === 'pending', '429 again, recorded');
    expect(capped!.nextAttemptAt).toBe(isoFromEpochMs(h.clock.now() + 600_000));
  });

  it('does not retry 3xx (no redirect followed) or other 4xx', async () => {
    const { h, rx, id } = await setup();
    const notFound = await h.subscribe({ url: `${rx.url}/gone`, patterns: ['ttp.>'] });
    rx.respond = ({ path }) => (path === '/in' ? { status: 302, headers: { location: `${rx!.url}/elsewhere` } } : path === '/gone' ? { status: 410 } : { status: 200 });
    await h.journal(1);
    const [moved] = await h.untilRows(id, (r) => r[0]?.state === 'dead', '302 dead');
    const [gone] = await h.untilRows(notFound.id, (r) => r[0]?.state === 'dead', '410 dead');
    expect(moved).toMatchObject({ attempts: 1, lastStatus: 302, lastError: 'http 302' });
    expect(gone).toMatchObject({ attempts: 1, lastStatus: 410 });
    h.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.received.map((r) => r.path).sort()).toEqual(['/gone', '/in']);
  });

  it('retries network errors and timeouts', async () => {
    const { h, rx, id } = await setup();
    rx.respond = () => 'hang';
    await h.journal(1);
    await until(() => rx.received.length === 1, 'the request arrives and hangs');
    h.clock.advance(10_000); // DECNET_WEBHOOK_TIMEOUT_SECS
    const [timedOut] = await h.untilRows(id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', 'timed out');
    expect(timedOut!.lastError).toMatch(/^TimeoutError: no response within 10 s/);
    expect(timedOut!.lastStatus).toBeNull();
    await rx.close();
    h.clock.advance(1000);
    // the kept-alive socket may be found closed first; a fresh connection is then refused
    const [closed] = await h.untilRows(id, (r) => r[0]?.attempts === 2 && r[0].state === 'pending', 'attempt 2');
    expect(closed!.lastError).toMatch(/SocketError|ECONNREFUSED/);
    h.clock.advance(2000);
    const [refused] = await h.untilRows(id, (r) => r[0]?.attempts === 3 && r[0].state === 'failed', 'attempt 3');
    expect(refused!.lastError).toMatch(/^PinnedConnectError: connect to 127\.0\.0\.1 failed: .*ECONNREFUSED/);
  });

  it('turns rows not final within 24 h (here: paused) into dead (expired), and a paused subscription gets no new rows', async () => {
    const { h, rx, id } = await setup();
    rx.respond = () => ({ status: 500 });
    await h.journal(1);
    await h.untilRows(id, (r) => r[0]?.attempts === 1 && r[0].state === 'pending', 'attempt 1');
    await h.db.repos.webhookSubscriptions.update(id, { enabled: false });
    h.clock.advance(ROW_EXPIRY_MS - 20_000);
    await new Promise((r) => setTimeout(r, 100));
    expect((await h.rows(id))[0]).toMatchObject({ state: 'pending', attempts: 1 });
    h.clock.advance(20_000);
    const [expired] = await h.untilRows(id, (r) => r[0]?.state === 'dead', 'expired by maintenance');
    expect(expired).toMatchObject({ attempts: 1, lastError: 'expired' });
    await h.journal(2);
    h.clock.advance(6000); // a journal pass
    await until(async () => (await h.db.repos.cursors.get('webhook', 'events')) === 3, 'the journal read past the new events');
    expect(await h.rows(id)).toHaveLength(1);
    expect(rx.received).toHaveLength(1);
  });
});
