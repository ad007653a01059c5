/**
 * `/api/v1/webhooks` (eventplane.md §4.2): admin only, the secret returned once, pattern
 * rules, warnings, the change signal, PATCH semantics, the create rate limit, and the
 * URL guard at write time (with an injected resolver: no test touches real DNS).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics, type Subscription } from '../../src/bus/index.js';
import { take } from '../support/events.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { loopbackOnly, scriptedResolver } from '../webhook/support.js';

let t: TestApi;
let admin: string;
let viewer: string;
const resolver = scriptedResolver({ 'siem.example.test': [['93.184.216.34']], 'internal.example.test': [['10.0.0.7']], 'chat.example.test': [['2606:2800:220:1::1']] });

beforeEach(async () => {
  t = await startTestApi({ env: { DECNET_WEBHOOK_CREATE_RATE_PER_MIN: '50' }, webhook: { resolver, connectHook: loopbackOnly().hook } });
  await t.user('root', 'admin');
  await t.user('eve', 'viewer');
  admin = await t.login('root');
  viewer = await t.login('eve');
});
afterEach(async () => t.close());

type Hook = Record<string, unknown> & { id: string; warnings: string[]; topic_patterns: string[]; secret?: string; updated_at: string };

async function create(body: Record<string, unknown>, token = admin): Promise<{ status: number; body: Hook }> {
  const r = await t.request('POST', '/api/v1/webhooks', { token, body });
  return { status: r.status, body: r.body as Hook };
}

describe('webhooks API: access', () => {
  it('answers 401 without a token and 403 to a viewer on every route', async () => {
    const { body: hook } = await create({ name: 'siem', url: 'https://siem.example.test/in', topic_patterns: ['ttp.>'] });
    const d = '00000000-0000-4000-8000-000000000000';
    const routes: Array<[string, string]> = [
      ['POST', '/api/v1/webhooks'],
      ['GET', '/api/v1/webhooks'],
      ['GET', `/api/v1/webhooks/${hook.id}`],
      ['PATCH', `/api/v1/webhooks/${hook.id}`],
      ['DELETE', `/api/v1/webhooks/${hook.id}`],
      ['POST', `/api/v1/webhooks/${hook.id}/test`],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries`],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries/${d}`],
      ['POST', `/api/v1/webhooks/${hook.id}/deliveries/${d}/replay`],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' || method === 'PATCH' ? {} : undefined;
      expect((await t.request(method, path, { body })).status, `${method} ${path} without token`).toBe(401);
      const v = await t.request(method, path, { token: viewer, body });
      expect(v.status, `${method} ${path} as viewer`).toBe(403);
      expect((v.body as { error: string }).error).toBe('forbidden');
    }
  });
});

describe('webhooks API: create, read, list', () => {
  it('returns the secret once (generated when not given), never again', async () => {
    const made = await create({ name: 'siem', url: 'https://siem.example.test/in', simple_events: ['AttackerDetail'], topic_patterns: ['ttp.>'] });
    expect(made.status).toBe(201);
    expect(made.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.body).toMatchObject({ name: 'siem', url: 'https://siem.example.test/in', topic_patterns: ['attacker.>', 'ttp.>'], enabled: true, circuit_state: 'closed', consecutive_failures: 0, deliveries: { pending: 0, failed: 0, dead: 0 }, previous_secret_expires_at: null });
    t.clock.advance(1);
    const chosen = await create({ name: 'chat', url: 'https://chat.example.test/', secret: 'sixteen-bytes-ok', topic_patterns: ['credential.>'] });
    expect(chosen.body.secret).toBe('sixteen-bytes-ok');

    const one = await t.request('GET', `/api/v1/webhooks/${made.body.id}`, { token: admin });
    expect(one.status).toBe(200);
    const list = await t.request('GET', '/api/v1/webhooks', { token: admin });
    expect(list.body).toMatchObject({ total: 2 });
    const { webhooks } = list.body as { webhooks: Hook[] };
    expect(webhooks.map((w) => w.name)).toEqual(['siem', 'chat']);
    for (const body of [one.body, ...webhooks]) {
      expect(body).not.toHaveProperty('secret');
      expect(JSON.stringify(body)).not.toContain(made.body.secret as string);
      expect(JSON.stringify(body)).not.toContain('sixteen-bytes-ok');
    }
    expect((await t.request('GET', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000', { token: admin })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/webhooks/not-a-uuid', { token: admin })).status).toBe(404);
  });

  it('counts the secret in UTF-8 bytes (16–256) and refuses a bad one with 422', async () => {
    expect((await create({ name: 'a', url: 'https://siem.example.test/', secret: 'fifteen-bytes!!', topic_patterns: ['ttp.>'] })).status).toBe(422);
    expect((await create({ name: 'b', url: 'https://siem.example.test/', secret: 'éééééééé', topic_patterns: ['ttp.>'] })).status).toBe(201); // 8 characters, 16 bytes
    expect((await create({ name: 'c', url: 'https://siem.example.test/', secret: '☃'.repeat(86), topic_patterns: ['ttp.>'] })).status).toBe(422); // 258 bytes
    expect((await create({ name: 'd', url: 'https://siem.example.test/', secret: 'x'.repeat(256), topic_patterns: ['ttp.>'] })).status).toBe(201);
  });

  it('warns about http:// and about patterns outside the journaled set', async () => {
    const { body } = await create({ name: 'plain', url: 'http://siem.example.test/in', simple_events: ['DeckyStatus'], topic_patterns: ['credential.>', 'attacker.session.ended', 'custom.*'] });
    expect(body.warnings).toEqual([expect.stringMatching(/^insecure_url: /), 'not_durable: decky.*.state, decky.*.traffic, custom.*']);
    const durable = await create({ name: 'durable', url: 'https://siem.example.test/in', topic_patterns: ['credential.>', 'ttp.rule.fired.*', 'canary.*.triggered'] });
    expect(durable.body.warnings).toEqual([]);
  });

  it('checks patterns: unknown simple events, bad patterns, more than 32, none at all', async () => {
    const url = 'https://siem.example.test/';
    const bad = async (body: Record<string, unknown>): Promise<string> => {
      const r = await create({ name: 'x', url, ...body });
      expect(r.status).toBe(400);
      return (r.body as unknown as { message: string }).message;
    };
    expect(await bad({ simple_events: ['Everything'] })).toMatch(/unknown simple event "Everything"/);
    expect(await bad({ topic_patterns: ['ttp.>', 'a.>.b'] })).toMatch(/invalid topic pattern "a\.>\.b"/);
    expect(await bad({ topic_patterns: ['bad pattern'] })).toMatch(/"bad pattern"/);
    expect(await bad({ topic_patterns: Array.from({ length: 33 }, (_, i) => `custom.p${i}`) })).toMatch(/at most 32/);
    expect(await bad({})).toMatch(/no topic patterns/);
    expect(await bad({ topic_patterns: ['', ''] })).toMatch(/no topic patterns/);
    // 32 advanced plus expansions is fine; duplicates and empty strings are dropped
    const ok = await create({ name: 'ok', url, simple_events: ['SystemStatus'], topic_patterns: [...Array.from({ length: 31 }, (_, i) => `custom.p${i}`), 'custom.p0', '', 'system.>'] });
    expect(ok.status).toBe(201);
    expect(ok.body.topic_patterns).toHaveLength(32);
    expect(ok.body.topic_patterns[0]).toBe('system.>');
  });

  it('answers 409 for a taken name and 422 for a refused URL, before any connection', async () => {
    await create({ name: 'siem', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] });
    expect((await create({ name: 'siem', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] })).status).toBe(409);
    for (const url of ['http://[::1]/', 'http://169.254.169.254/latest/meta-data/', 'http://2130706433/', 'file:///etc/passwd', 'http://user:pw@siem.example.test/', 'https://internal.example.test/hook', 'https://nxdomain.example.test/']) {
      const r = await create({ name: `u${Math.random()}`, url, topic_patterns: ['ttp.>'] });
      expect(r.status, url).toBe(422);
      expect((r.body as unknown as { error: string }).error).toBe('url_refused');
    }
    const internal = await create({ name: 'internal', url: 'https://internal.example.test/hook', topic_patterns: ['ttp.>'] });
    expect((internal.body as unknown as { message: string; details: unknown }).message).toBe('URL refused: address: internal.example.test resolves to 10.0.0.7 is in 10.0.0.0/8');
    expect((internal.body as unknown as { details: unknown }).details).toEqual({ reason: 'address' });
    expect(((await t.request('GET', '/api/v1/webhooks', { token: admin })).body as { total: number }).total).toBe(1);
  });

  it('limits creates per user per minute (429), on the clock', async () => {
    const limited = await startTestApi({ env: { DECNET_WEBHOOK_CREATE_RATE_PER_MIN: '2' }, webhook: { resolver } });
    try {
      await limited.user('root', 'admin');
      const token = await limited.login('root');
      const post = (name: string): Promise<{ status: number }> => limited.request('POST', '/api/v1/webhooks', { token, body: { name, url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] } });
      expect((await post('a')).status).toBe(201);
      expect((await post('b')).status).toBe(201);
      const third = await post('c');
      expect(third.status).toBe(429);
      limited.clock.advance(60_000);
      expect((await post('c')).status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('publishes system.webhook.subscriptions_changed after create, update and delete', async () => {
    const sub: Subscription = t.bus.subscribe(topics.WEBHOOK_SUBSCRIPTIONS_CHANGED);
    await sub.ready;
    const { body } = await create({ name: 'siem', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] });
    await t.request('PATCH', `/api/v1/webhooks/${body.id}`, { token: admin, body: { enabled: false } });
    await t.request('DELETE', `/api/v1/webhooks/${body.id}`, { token: admin });
    const events = await take(sub, 3);
    expect(events.map((e) => [e.topic, e.type, e.payload])).toEqual(Array.from({ length: 3 }, () => [topics.WEBHOOK_SUBSCRIPTIONS_CHANGED, 'subscriptions_changed', {}]));
    await sub.close();
  });
});

describe('webhooks API: patch and delete', () => {
  it('applies only supplied fields, rebuilds patterns from the supplied fields alone, and stamps updated_at', async () => {
    const { body: hook } = await create({ name: 'siem', url: 'https://siem.example.test/', simple_events: ['AttackerDetail'], topic_patterns: ['ttp.>'] });
    t.clock.advance(1000);
    const noop = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: {} });
    expect(noop.status).toBe(200);
    expect((noop.body as Hook).updated_at > hook.updated_at).toBe(true);
    expect((noop.body as Hook).topic_patterns).toEqual(['attacker.>', 'ttp.>']);

    const custom = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { topic_patterns: ['custom.>'] } });
    expect((custom.body as Hook).topic_patterns).toEqual(['custom.>']);
    const simple = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { simple_events: ['DeckyStatus'] } });
    expect((simple.body as Hook).topic_patterns).toEqual(['decky.*.state', 'decky.*.traffic']);
    const cleared = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { topic_patterns: [] } });
    expect(cleared.status).toBe(400);
    expect((cleared.body as { message: string }).message).toBe('Cannot clear all patterns; disable the webhook instead.');

    const renamed = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { name: 'siem-2', url: 'https://chat.example.test/x' } });
    expect(renamed.body).toMatchObject({ name: 'siem-2', url: 'https://chat.example.test/x' });
    expect((await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { name: 'siem-2' } })).status).toBe(200); // unchanged name: not checked
    await create({ name: 'other', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] });
    expect((await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { name: 'other' } })).status).toBe(409);
    expect((await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { url: 'http://127.0.0.1/' } })).status).toBe(422);
    expect((await t.request('PATCH', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000', { token: admin, body: {} })).status).toBe(404);
  });

  it('rotates the secret without echoing it (the old one valid 24 h), and enabled:true closes the circuit', async () => {
    const { body: hook } = await create({ name: 'siem', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] });
    const rotated = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { secret: 'the replacement secret' } });
    expect(rotated.status).toBe(200);
    expect(rotated.body).not.toHaveProperty('secret');
    expect(JSON.stringify(rotated.body)).not.toContain('the replacement secret');
    expect((rotated.body as Hook).previous_secret_expires_at).toBe(new Date(t.clock.now() + 24 * 3_600_000).toISOString().replace('Z', '000Z'));

    await t.db.write((tx) => t.db.repos.webhookSubscriptions.recordHealth(tx, hook.id, { circuitState: 'open', circuitOpenedAt: t.clock.isoNow(), consecutiveFailures: 7, lastError: 'http 500' }));
    const closed = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { enabled: true } });
    expect(closed.body).toMatchObject({ enabled: true, circuit_state: 'closed', circuit_opened_at: null, consecutive_failures: 0, last_error: null });
    const paused = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin, body: { enabled: false } });
    expect(paused.body).toMatchObject({ enabled: false });
  });

  it('deletes once (200 with the message), then 404', async () => {
    const { body: hook } = await create({ name: 'siem', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] });
    const del = await t.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: admin });
    expect(del).toMatchObject({ status: 200, body: { message: 'Webhook deleted' } });
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: admin })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: admin })).status).toBe(404);
  });

  it('reports a secret that no longer opens as secret_unreadable, never guessing', async () => {
    const a = (await create({ name: 'a', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] })).body;
    const b = (await create({ name: 'b', url: 'https://siem.example.test/', topic_patterns: ['ttp.>'] })).body;
    const sealedB = (await t.db.repos.webhookSubscriptions.findById(b.id))!.secretEnc;
    await t.db.kysely.updateTable('webhook_subscriptions').set({ secret_enc: sealedB }).where('id', '=', a.id).execute();
    const got = await t.request('GET', `/api/v1/webhooks/${a.id}`, { token: admin });
    expect((got.body as Hook).warnings).toEqual([expect.stringMatching(/^secret_unreadable: authentication failed/)]);
    const ping = await t.request('POST', `/api/v1/webhooks/${a.id}/test`, { token: admin });
    expect(ping.body).toMatchObject({ delivered: false, error: expect.stringMatching(/^secret_unreadable/) });
  });
});
