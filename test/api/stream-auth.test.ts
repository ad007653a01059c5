/**
 * `GET /api/v1/stream` and `POST /api/v1/auth/sse-ticket` over real HTTP: auth by ticket
 * or header, the order of checks, the request rules, and the per-user cap
 * (eventplane.md §1.3, §3.2; CORRECTIONS #5.16).
 */
import { describe, expect, it } from 'vitest';
import { until } from '../support/events.js';
import { startTestApi } from '../support/api.js';
import { mintTicket, openRaw, streamFixture, type openStream, type SseClient } from './stream-client.js';

const fx = streamFixture();

async function status(query: string, opts: Parameters<typeof openRaw>[2] = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await openRaw(fx.t, query, opts);
  if ('client' in r) {
    fx.track(r.client);
    return { status: 200, body: {} };
  }
  return { status: r.status, body: r.body };
}

const live = (query: string, opts: Parameters<typeof openStream>[2] = {}): Promise<SseClient> => fx.live(query, { token: undefined, ...opts });

describe('the stream response', () => {
  it('sends the SSE headers, retry: 3000 and a keepalive comment first', async () => {
    const c = await live('topics=attacker.>', { token: fx.viewer });
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toBe('no-cache');
    expect(c.headers['x-accel-buffering']).toBe('no');
    expect(c.raw.startsWith('retry: 3000\n\n: keepalive\n\n')).toBe(true);
    expect(c.frames[2]).toEqual({ id: '0:0', comments: [] }); // the start cursor: the journal head
  });

  it('is in the OpenAPI document, and so is sse-ticket', async () => {
    const doc = (await fx.t.request('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
    expect(doc.paths['/api/v1/stream']?.get?.parameters?.map((p) => p.name)).toEqual(['topics', 'logs', 'decky', 'service', 'event_type', 'attacker_ip', 'ticket', 'last_event_id']);
    expect(doc.paths['/api/v1/auth/sse-ticket']?.post).toBeDefined();
  });
});

describe('tickets', () => {
  it('mints an opaque 32-byte ticket valid 60 s, Bearer only', async () => {
    const r = await fx.t.request('POST', '/api/v1/auth/sse-ticket', { token: fx.viewer });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 60 });
    expect((await fx.t.request('POST', '/api/v1/auth/sse-ticket')).status).toBe(401);
    const ticket = (r.body as { ticket: string }).ticket;
    // a ticket cannot mint a ticket
    expect((await fx.t.request('POST', `/api/v1/auth/sse-ticket?ticket=${ticket}`)).status).toBe(401);
    expect((await fx.t.request('POST', '/api/v1/auth/sse-ticket', { headers: { authorization: `Bearer ${ticket}` } })).status).toBe(401);
  });

  it('opens a stream once: a reused ticket is 401', async () => {
    const ticket = await mintTicket(fx.t, fx.viewer);
    await live(`topics=attacker.>&ticket=${ticket}`);
    const again = await status(`topics=attacker.>&ticket=${ticket}`);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('unauthorized');
  });

  it('expires after 60 s (and the expired one is gone for good)', async () => {
    const ticket = await mintTicket(fx.t, fx.viewer);
    fx.t.clock.advance(61_000);
    expect((await status(`topics=attacker.>&ticket=${ticket}`)).status).toBe(401);
    const fresh = await mintTicket(fx.t, fx.viewer);
    fx.t.clock.advance(59_000);
    expect((await status(`topics=attacker.>&ticket=${fresh}`)).status).toBe(200);
  });

  it('a ticket beats a header, either way', async () => {
    const ticket = await mintTicket(fx.t, fx.viewer);
    expect((await status(`topics=attacker.>&ticket=${ticket}`, { headers: { authorization: 'Bearer rubbish' } })).status).toBe(200);
    expect((await status('topics=attacker.>&ticket=unknown-ticket', { token: fx.viewer })).status).toBe(401);
  });

  it('the 21st ticket of a user evicts the oldest', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 21; i++) tickets.push(await mintTicket(fx.t, fx.viewer));
    expect((await status(`topics=attacker.>&ticket=${tickets[0]}`)).status).toBe(401);
    expect((await status(`topics=attacker.>&ticket=${tickets[1]}`)).status).toBe(200);
    expect((await status(`topics=attacker.>&ticket=${tickets[20]}`)).status).toBe(200);
  });

  it('401 after logout-all or once the user is deleted; a password change owed cannot mint', async () => {
    const before = await mintTicket(fx.t, fx.viewer);
    const other = await mintTicket(fx.t, fx.viewer);
    expect((await fx.t.request('POST', '/api/v1/auth/logout-all', { token: fx.viewer })).status).toBe(204);
    expect((await status(`topics=attacker.>&ticket=${before}`)).status).toBe(401);
    const after = await mintTicket(fx.t, await fx.t.login('eve'));
    expect((await status(`topics=attacker.>&ticket=${after}`)).status).toBe(200);
    const id = (await fx.t.db.repos.users.findByUsername('eve'))?.id as string;
    await fx.t.db.repos.users.delete(id);
    expect((await status(`topics=attacker.>&ticket=${other}`)).status).toBe(401);
    await fx.t.user('newbie', 'viewer', { mustChange: true });
    const r = await fx.t.request('POST', '/api/v1/auth/sse-ticket', { token: await fx.t.login('newbie') });
    expect(r.status).toBe(403);
    expect((r.body as { error: string }).error).toBe('password_change_required');
  });
});

describe('header and query auth', () => {
  it('a Bearer header works; none, a bad one or a query token is 401', async () => {
    expect((await status('topics=attacker.>', { token: fx.viewer })).status).toBe(200);
    expect((await status('topics=attacker.>')).status).toBe(401);
    expect((await status('topics=attacker.>', { token: 'not.a.jwt' })).status).toBe(401);
    expect((await status(`topics=attacker.>&token=${fx.viewer}`)).status).toBe(401);
    // even beside a good header
    const both = await status(`topics=attacker.>&token=${fx.viewer}`, { token: fx.viewer });
    expect(both.status).toBe(401);
    expect(both.body.message).toMatch(/query/);
    // a JWT passed as the ticket
    expect((await status(`topics=attacker.>&ticket=${fx.viewer}`)).status).toBe(401);
  });

  it('403 while a password change is owed', async () => {
    await fx.t.user('newbie', 'viewer', { mustChange: true });
    const r = await status('topics=attacker.>', { token: await fx.t.login('newbie') });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('password_change_required');
  });

  it('auth comes before the request checks: a bad pattern without a token is 401', async () => {
    expect((await status('topics=a..b')).status).toBe(401);
  });
});

describe('the request', () => {
  it('400 names a bad pattern', async () => {
    const r = await status(`topics=${encodeURIComponent('attacker.>,bad.>.x')}`, { token: fx.viewer });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('validation_error');
    expect(r.body.message).toContain('"bad.>.x"');
  });

  it('splits on commas: an empty pattern is 400', async () => {
    const r = await status(`topics=${encodeURIComponent('attacker.>,,credential.>')}`, { token: fx.viewer });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('""');
  });

  it('at most 16 patterns', async () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => `p${i}.>`).join(',');
    expect((await status(`topics=${encodeURIComponent(sixteen)}`, { token: fx.viewer })).status).toBe(200);
    const r = await status(`topics=${encodeURIComponent(`${sixteen},p16.>`)}`, { token: fx.viewer });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/at most 16 patterns, got 17/);
  });

  it('topics= or logs=1 is required', async () => {
    const none = await status('', { token: fx.viewer });
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/logs=1/);
    expect((await status('logs=1', { token: fx.viewer })).status).toBe(200);
    expect((await status('topics=attacker.>&logs=1', { token: fx.viewer })).status).toBe(200);
    expect((await status('topics=attacker.>&logs=yes', { token: fx.viewer })).status).toBe(400);
  });

  it('400 for a malformed cursor', async () => {
    expect((await status('topics=credential.>&last_event_id=abc', { token: fx.viewer })).status).toBe(400);
    expect((await status('topics=credential.>', { token: fx.viewer, headers: { 'last-event-id': '1:x' } })).status).toBe(400);
  });

  it('viewers: 403 for a pattern only forbidden topics match, not for one that overlaps them', async () => {
    for (const p of ['smtp.>', 'smtp.probe.pending', 'system.*.control', 'system.api.control']) {
      const r = await status(`topics=${encodeURIComponent(p)}`, { token: fx.viewer });
      expect(r.status, p).toBe(403);
      expect(r.body.error).toBe('forbidden');
    }
    for (const p of ['>', 'system.>', 'system.api.*', '*.>']) expect((await status(`topics=${encodeURIComponent(p)}`, { token: fx.viewer })).status, p).toBe(200);
    expect((await status('topics=smtp.>', { token: fx.admin })).status).toBe(200);
  });
});

describe('the per-user cap', () => {
  it('the 6th stream of a user is a JSON 429 that starts no stream; other users are unaffected', async () => {
    for (let i = 0; i < 5; i++) await live('topics=attacker.>', { token: fx.viewer });
    const r = await openRaw(fx.t, 'topics=attacker.>', { token: fx.viewer });
    expect(r.status).toBe(429);
    if ('client' in r) throw new Error('a stream started');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.body).toEqual({ error: 'too_many_streams', message: 'SSE connection limit (5) reached' });
    // a ticket counts against the same user
    expect((await status(`topics=attacker.>&ticket=${await mintTicket(fx.t, fx.viewer)}`)).status).toBe(429);
    await live('topics=attacker.>', { token: fx.admin });
  });

  it('a slot is freed when the client disconnects', async () => {
    const streams: SseClient[] = [];
    for (let i = 0; i < 5; i++) streams.push(await live('topics=attacker.>', { token: fx.viewer }));
    expect((await status('topics=attacker.>', { token: fx.viewer })).status).toBe(429);
    streams[0]?.close();
    await until(async () => (await status('topics=attacker.>', { token: fx.viewer })).status === 200, 'the slot to be freed');
    expect((await status('topics=attacker.>', { token: fx.viewer })).status).toBe(429);
  });

  it('follows DECNET_SSE_MAX_PER_USER', async () => {
    await fx.t.close();
    fx.t = await startTestApi({ env: { DECNET_SSE_MAX_PER_USER: '2' } });
    await fx.t.user('eve', 'viewer');
    fx.viewer = await fx.t.login('eve');
    await live('topics=a.>', { token: fx.viewer });
    await live('topics=a.>', { token: fx.viewer });
    const r = await status('topics=a.>', { token: fx.viewer });
    expect(r).toEqual({ status: 429, body: { error: 'too_many_streams', message: 'SSE connection limit (2) reached' } });
  });
});
