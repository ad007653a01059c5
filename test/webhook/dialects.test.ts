/**
 * The outbox on both dialects (CORRECTIONS #5.13): the same worker run — journal rows to
 * outbox rows, a retried 500, a success, the circuit fields, replay, the API's reads —
 * against SQLite (prepared statements) and PostgreSQL (kysely, SKIP LOCKED), each on a
 * database of its own. PostgreSQL that cannot be reached fails the file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../src/bus/index.js';
import { ConflictError } from '../../src/db/index.js';
import { ROW_EXPIRY_MS } from '../../src/webhook/index.js';
import { postgresHarness, sqliteHarness, type DbHarness, type HarnessResult } from '../conformance/db/harness.js';
import { loopbackOnly, startHarness, startReceiver } from './support.js';

const targets: Array<[string, HarnessResult]> = [
  ['sqlite', await sqliteHarness()],
  ['postgres', await postgresHarness('webhook')],
];
const harnesses: DbHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.dispose();
});

for (const [name, result] of targets) {
  if ('fail' in result) throw new Error(result.fail);
  describe(`webhook outbox on ${name}`, () => {
    it('delivers, retries, records the circuit fields, replays and answers the API reads', async () => {
      const dbh = (result as { harness: DbHarness }).harness;
      harnesses.push(dbh);
      const h = await startHarness({ DECNET_WEBHOOK_FAST_RETRY_SECS: '1' }, undefined, async (clock) => (await dbh.fresh()).open({ clock }));
      const rx = await startReceiver();
      try {
        const { id, secret } = await h.subscribe({ url: `${rx.url}/in`, patterns: ['ttp.>'], name: 'siem' });
        await expect(h.subscribe({ url: rx.url, patterns: ['ttp.>'], name: 'siem' })).rejects.toThrow(ConflictError);
        const other = await h.subscribe({ url: rx.url, patterns: ['custom.>'], name: 'other' });
        await expect(h.db.repos.webhookSubscriptions.update(other.id, { name: 'siem' })).rejects.toThrow(ConflictError);
        rx.secrets = [secret];
        rx.respond = ({ count }) => ({ status: count === 1 ? 500 : 200 });
        await h.start({ connectHook: loopbackOnly().hook });
        const events = await h.journal(3);
        await h.untilRows(id, (r) => r.length === 3 && r.every((x) => x.state === 'succeeded' || (x.state === 'pending' && x.attempts === 1)), 'first attempts recorded');
        h.clock.advance(1000);
        const rows = await h.untilRows(id, (r) => r.length === 3 && r.every((x) => x.state === 'succeeded'), 'all delivered');
        expect(new Set(rows.map((r) => r.eventId))).toEqual(new Set(events));
        expect(rows.map((r) => r.attempts).sort()).toEqual([1, 1, 2]);
        expect(new Set(rx.received.map((r) => r.eventId))).toEqual(new Set(events));
        expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
        const sub = (await h.db.repos.webhookSubscriptions.findById(id))!;
        expect(sub).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0, lastError: 'http 500' });
        expect(sub.lastSuccessAt).not.toBeNull();
        expect((await h.db.repos.webhookDeliveries.countsBySubscription([id, other.id])).get(id)).toBeUndefined(); // nothing waiting

        const one = (await h.db.repos.webhookDeliveries.get(id, rows[0]!.id))!;
        expect(JSON.parse(one.body)).toMatchObject({ id: one.eventId, topic: 'ttp.rule.fired.T1110', v: 1 });
        const now = h.clock.now();
        expect(await h.db.repos.webhookDeliveries.replay(id, one.id, isoFromEpochMs(now), isoFromEpochMs(now + ROW_EXPIRY_MS))).toBe('replayed');
        expect(await h.db.repos.webhookDeliveries.replay(id, randomUUID(), isoFromEpochMs(now), isoFromEpochMs(now + ROW_EXPIRY_MS))).toBe('not_found');
        h.clock.advance(1000);
        await h.untilRows(id, (r) => r.every((x) => x.state === 'succeeded') && rx.received.length === 5, 'the replay delivered');
        const page = await h.db.repos.webhookDeliveries.list(id, { state: 'succeeded', limit: 2, offset: 0 });
        expect(page.total).toBe(3);
        expect(page.rows).toHaveLength(2);
        expect(await h.db.repos.webhookSubscriptions.delete(id)).toBe(true);
        expect((await h.db.repos.webhookDeliveries.list(id, { limit: 10, offset: 0 })).total).toBe(0); // cascade
      } finally {
        await h.close();
        await rx.close();
      }
    });
  });
}
