/**
 * `/api/v1/webhooks`: the test ping against a real loopback receiver (signatures
 * verified; no row written), the deliveries list, one delivery with its body, replay,
 * and the two secrecy rules: no response schema but create's has a secret, and no log
 * line carries one.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isoFromEpochMs } from '../../src/bus/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { loopbackOnly, nearNowClock, scriptedResolver, startReceiver, type Receiver } from '../webhook/support.js';

let t: TestApi | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await t?.close();
  await rx?.close();
  t = undefined;
  rx = undefined;
});

function capture(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
  return { log, text: () => lines.join('') };
}

async function setup(logger?: pino.Logger): Promise<{ t: TestApi; rx: Receiver; token: string }> {
  rx = await startReceiver();
  t = await startTestApi({ env: { DECNET_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' }, clock: nearNowClock(), webhook: { resolver: scriptedResolver({}), connectHook: loopbackOnly().hook }, ...(logger ? { log: logger } : {}) });
  await t.user('root', 'admin');
  return { t, rx, token: await t.login('root') };
}

describe('webhooks API: test ping', () => {
  it('sends one signed test.ping to the receiver and writes no row', async () => {
    const { t, rx, token } = await setup();
    const made = await t.request('POST', '/api/v1/webhooks', { token, body: { name: 'local', url: `${rx.url}/ping`, topic_patterns: ['ttp.>'], enabled: false } });
    const { id, secret } = made.body as { id: string; secret: string };
    rx.secrets = [secret];
    const ping = await t.request('POST', `/api/v1/webhooks/${id}/test`, { token });
    expect(ping).toMatchObject({ status: 200, body: { delivered: true, status_code: 200 } });
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    expect(got.verifiedWith).toEqual([secret]);
    expect(got.topic).toBe('test.ping');
    expect(JSON.parse(got.body)).toMatchObject({ type: 'test', v: 1, payload: { message: 'Synthetic test event from DECNET', triggered_by: 'root' } });
    expect(got.headers['x-decnet-event-topic']).toBe('test.ping');
    expect((await t.db.repos.webhookDeliveries.list(id, { limit: 10, offset: 0 })).total).toBe(0);

    rx.respond = () => ({ status: 500 });
    expect((await t.request('POST', `/api/v1/webhooks/${id}/test`, { token })).body).toEqual({ delivered: false, status_code: 500, error: 'http 500' });
    expect(rx.received).toHaveLength(2); // one attempt, no retry
    expect((await t.request('POST', `/api/v1/webhooks/${randomUUID()}/test`, { token })).status).toBe(404);
  });
});

describe('webhooks API: deliveries', () => {
  it('lists newest first without body, filters by state, shows one with its body, and replays final rows', async () => {
    const { t, token } = await setup();
    const { id } = (await t.request('POST', '/api/v1/webhooks', { token, body: { name: 'local', url: 'https://93.184.216.34/', topic_patterns: ['ttp.>'] } })).body as { id: string };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const row = { id: randomUUID(), subscriptionId: id, eventId: `${i}`.repeat(32), topic: 'ttp.tagged', body: `{"n":${i}}` };
      ids.push(row.id);
      const now = t.clock.now();
      await t.db.write((tx) => t.db.repos.webhookDeliveries.insertMany(tx, [row], isoFromEpochMs(now), isoFromEpochMs(now + 86_400_000)));
      t.clock.advance(1000);
    }
    await t.db.kysely.updateTable('webhook_deliveries').set({ state: 'dead', attempts: 9, last_status: 500, last_error: 'http 500' }).where('id', '=', ids[0]!).execute();
    await t.db.kysely.updateTable('webhook_deliveries').set({ state: 'delivering' }).where('id', '=', ids[1]!).execute();
    await t.db.kysely.updateTable('webhook_deliveries').set({ state: 'succeeded' }).where('id', '=', ids[2]!).execute();

    const all = await t.request('GET', `/api/v1/webhooks/${id}/deliveries`, { token });
    const body = all.body as { deliveries: Array<Record<string, unknown>>; total: number };
    expect(body.total).toBe(4);
    expect(body.deliveries.map((d) => d.id)).toEqual([...ids].reverse());
    expect(body.deliveries.every((d) => !('body' in d))).toBe(true);
    const page = (await t.request('GET', `/api/v1/webhooks/${id}/deliveries?limit=2&offset=1`, { token })).body as typeof body;
    expect(page.deliveries.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    const pending = (await t.request('GET', `/api/v1/webhooks/${id}/deliveries?state=pending`, { token })).body as typeof body;
    expect(pending.deliveries.map((d) => d.id)).toEqual([ids[3], ids[1]]); // delivering counts as pending
    const dead = (await t.request('GET', `/api/v1/webhooks/${id}/deliveries?state=dead`, { token })).body as typeof body;
    expect(dead.deliveries).toEqual([expect.objectContaining({ id: ids[0], state: 'dead', attempts: 9, last_status: 500, last_error: 'http 500', event_id: '0'.repeat(32) })]);
    expect((await t.request('GET', `/api/v1/webhooks/${id}/deliveries?state=bogus`, { token })).status).toBe(400);
    expect((await t.request('GET', `/api/v1/webhooks/${id}/deliveries?limit=501`, { token })).status).toBe(400);
    expect((await t.request('GET', `/api/v1/webhooks/${randomUUID()}/deliveries`, { token })).status).toBe(404);
    expect(((await t.request('GET', `/api/v1/webhooks/${id}`, { token })).body as { deliveries: unknown }).deliveries).toEqual({ pending: 2, failed: 0, dead: 1 });

    const one = await t.request('GET', `/api/v1/webhooks/${id}/deliveries/${ids[0]}`, { token });
    expect(one.body).toMatchObject({ id: ids[0], body: '{"n":0}' });
    expect((await t.request('GET', `/api/v1/webhooks/${id}/deliveries/${randomUUID()}`, { token })).status).toBe(404);

    const replay = await t.request('POST', `/api/v1/webhooks/${id}/deliveries/${ids[0]}/replay`, { token });
    expect(replay).toMatchObject({ status: 202, body: { id: ids[0], state: 'pending' } });
    const after = (await t.request('GET', `/api/v1/webhooks/${id}/deliveries/${ids[0]}`, { token })).body;
    expect(after).toMatchObject({ state: 'pending', attempts: 0, next_attempt_at: isoFromEpochMs(t.clock.now()), event_id: '0'.repeat(32), body: '{"n":0}' });
    expect((await t.request('POST', `/api/v1/webhooks/${id}/deliveries/${ids[2]}/replay`, { token })).status).toBe(202); // succeeded is final too
    for (const busy of [ids[0], ids[1], ids[3]]) expect((await t.request('POST', `/api/v1/webhooks/${id}/deliveries/${busy}/replay`, { token })).status).toBe(409);
    expect((await t.request('POST', `/api/v1/webhooks/${id}/deliveries/${randomUUID()}/replay`, { token })).status).toBe(404);
  });
});

describe('webhooks API: secrecy', () => {
  it('puts a secret in no webhook OpenAPI response schema except the create answer', async () => {
    const { t } = await setup();
    const doc = (await t.request('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const holdsSecret = (node: unknown): boolean => {
      if (Array.isArray(node)) return node.some(holdsSecret);
      if (node === null || typeof node !== 'object') return false;
      const o = node as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object' && Object.keys(o.properties).some((k) => /secret/i.test(k) && k !== 'previous_secret_expires_at')) return true;
      return Object.values(o).some(holdsSecret);
    };
    const offenders: string[] = [];
    const webhookPaths = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/v1/webhooks'));
    expect(webhookPaths.length).toBeGreaterThanOrEqual(5);
    for (const [path, methods] of webhookPaths) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (holdsSecret(response) && !(path === '/api/v1/webhooks' && method === 'post' && status === '201')) offenders.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(offenders, JSON.stringify(offenders)).toEqual([]);
    expect(holdsSecret(doc.paths['/api/v1/webhooks']?.post?.responses['201'])).toBe(true);
  });

  it('writes no secret to any log line (create, rotate, ping)', async () => {
    const logs = capture();
    const { t, rx, token } = await setup(logs.log);
    const first = 'the-first-secret-of-this-test';
    const second = 'the-second-secret-of-this-test';
    const made = await t.request('POST', '/api/v1/webhooks', { token, body: { name: 'local', url: rx.url, secret: first, topic_patterns: ['ttp.>'] } });
    const { id } = made.body as { id: string };
    await t.request('PATCH', `/api/v1/webhooks/${id}`, { token, body: { secret: second } });
    await t.request('POST', `/api/v1/webhooks/${id}/test`, { token });
    const generated = (await t.request('POST', '/api/v1/webhooks', { token, body: { name: 'gen', url: rx.url, topic_patterns: ['ttp.>'] } })).body as { secret: string };
    const text = logs.text();
    expect(text).toContain('webhook created');
    expect(text).toContain('webhook updated');
    for (const s of [first, second, generated.secret]) expect(text).not.toContain(s);
  });
});
