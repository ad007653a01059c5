/** Auth over real HTTP (eventplane.md §1.2): every negative case, and the good ones. */
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, TEST_PASSWORD, type TestApi } from '../support/api.js';

let t: TestApi;
beforeEach(async () => {
  t = await startTestApi({ env: { DECNET_LOGIN_RATE_PER_MIN: '5' } });
});
afterEach(async () => {
  await t.close();
});

const body = (r: { body: unknown }): Record<string, unknown> => r.body as Record<string, unknown>;

describe('login', () => {
  it('answers a bearer token with its lifetime', async () => {
    await t.user('alice', 'admin');
    const r = await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice', password: TEST_PASSWORD } });
    expect(r.status).toBe(200);
    expect(body(r)).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 28800, must_change_password: false });
    const me = await t.request('GET', '/api/v1/auth/me', { token: body(r).access_token as string });
    expect(body(me)).toEqual({ id: expect.any(String), username: 'alice', role: 'admin', must_change_password: false });
  });

  it('gives the same 401 for an unknown user and a wrong password', async () => {
    await t.user('alice', 'viewer');
    const wrong = await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice', password: 'not the password' } });
    const unknown = await t.request('POST', '/api/v1/auth/login', { body: { username: 'mallory', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(body(wrong)).toEqual(body(unknown));
  });

  it('rate-limits attempts per username and per address (429), successes included', async () => {
    await t.user('alice', 'viewer');
    for (let i = 0; i < 5; i++) await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice', password: i === 2 ? TEST_PASSWORD : 'wrong password!' } });
    const sixth = await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice', password: TEST_PASSWORD } });
    expect(sixth.status).toBe(429);
    expect(body(sixth).error).toBe('rate_limited');
    t.clock.advance(60_000);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice', password: TEST_PASSWORD } })).status).toBe(200);
  });

  it('refuses a malformed body with 422 and details, and bad JSON with 400', async () => {
    const r = await t.request('POST', '/api/v1/auth/login', { body: { username: 'alice' } });
    expect(r.status).toBe(422);
    expect(body(r).error).toBe('validation_error');
    expect(body(r).details).toEqual([expect.objectContaining({ path: 'password' })]);
    const bad = await t.request('POST', '/api/v1/auth/login', { body: '{"username":' });
    expect(bad.status).toBe(400);
    expect(body(bad).error).toBe('bad_request');
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const r = await t.request('POST', '/api/v1/auth/login', { body: { username: 'a', password: 'x'.repeat(1024 * 1024 + 10) } });
    expect(r.status).toBe(413);
    expect(body(r).error).toBe('payload_too_large');
  });
});

describe('tokens', () => {
  it('401 with WWW-Authenticate without a token or with a malformed one', async () => {
    const none = await t.request('GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(body(none).error).toBe('unauthorized');
    expect((await t.request('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/auth/me', { token: 'not.a.jwt' })).status).toBe(401);
  });

  it('401 for a token signed with another key, or with alg none', async () => {
    const id = await t.user('alice', 'admin');
    const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('decnet').setAudience('decnet-api').setSubject(id).setJti('a'.repeat(32)).setIssuedAt().setExpirationTime('1h').sign(new Uint8Array(32));
    expect((await t.request('GET', '/api/v1/auth/me', { token: forged })).status).toBe(401);
    const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    const claims = Buffer.from(JSON.stringify({ sub: id, role: 'admin', jti: 'b'.repeat(32), iss: 'decnet', aud: 'decnet-api', exp: 4102444800 })).toString('base64url');
    expect((await t.request('GET', '/api/v1/auth/me', { token: `${header}.${claims}.` })).status).toBe(401);
  });

  it('401 once expired (past the 30 s tolerance)', async () => {
    await t.user('alice', 'viewer');
    const token = await t.login('alice');
    t.clock.advance((28_800 + 20) * 1000);
    expect((await t.request('GET', '/api/v1/auth/me', { token })).status).toBe(200);
    t.clock.advance(20_000);
    const r = await t.request('GET', '/api/v1/auth/me', { token });
    expect(r.status).toBe(401);
    expect(body(r).message).toMatch(/expired/);
  });

  it('401 after logout (revoked jti); other tokens of the user still work', async () => {
    await t.user('alice', 'viewer');
    const a = await t.login('alice');
    const b = await t.login('alice');
    expect((await t.request('POST', '/api/v1/auth/logout', { token: a })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { token: a })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/auth/me', { token: b })).status).toBe(200);
  });

  it('logout-all revokes every token, and a login right after works', async () => {
    await t.user('alice', 'viewer');
    const a = await t.login('alice');
    expect((await t.request('POST', '/api/v1/auth/logout-all', { token: a })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { token: a })).status).toBe(401);
    const fresh = await t.login('alice');
    expect((await t.request('GET', '/api/v1/auth/me', { token: fresh })).status).toBe(200);
  });

  it('401 when the user was deleted', async () => {
    const id = await t.user('alice', 'viewer');
    const token = await t.login('alice');
    await t.db.repos.users.delete(id);
    expect((await t.request('GET', '/api/v1/auth/me', { token })).status).toBe(401);
  });
});

describe('roles and password changes', () => {
  it('403 Insufficient permissions for a viewer on an admin route', async () => {
    await t.user('victor', 'viewer');
    const token = await t.login('victor');
    const r = await t.request('POST', '/api/v1/workers/ingest/stop', { token });
    expect(r.status).toBe(403);
    expect(body(r)).toEqual({ error: 'forbidden', message: 'Insufficient permissions' });
    expect((await t.request('GET', '/api/v1/workers', { token })).status).toBe(200);
  });

  it('403 password_change_required everywhere but me, change-password and logout', async () => {
    await t.user('admin', 'admin', { mustChange: true });
    const token = await t.login('admin');
    const blocked = await t.request('GET', '/api/v1/workers', { token });
    expect(blocked.status).toBe(403);
    expect(body(blocked).error).toBe('password_change_required');
    expect(body(await t.request('GET', '/api/v1/auth/me', { token })).must_change_password).toBe(true);
    const changed = await t.request('POST', '/api/v1/auth/change-password', { token, body: { current_password: TEST_PASSWORD, new_password: 'a brand new passphrase' } });
    expect(changed.status).toBe(200);
    expect(body(changed).must_change_password).toBe(false);
    expect((await t.request('GET', '/api/v1/workers', { token })).status).toBe(401); // the old token is revoked
    expect((await t.request('GET', '/api/v1/workers', { token: body(changed).access_token as string })).status).toBe(200);
  });

  it('change-password refuses a wrong current password (401), the same one or a short one (400)', async () => {
    await t.user('alice', 'viewer');
    const token = await t.login('alice');
    expect((await t.request('POST', '/api/v1/auth/change-password', { token, body: { current_password: 'wrong password!', new_password: 'another long one' } })).status).toBe(401);
    const same = await t.request('POST', '/api/v1/auth/change-password', { token, body: { current_password: TEST_PASSWORD, new_password: TEST_PASSWORD } });
    expect(same.status).toBe(400);
    const short = await t.request('POST', '/api/v1/auth/change-password', { token, body: { current_password: TEST_PASSWORD, new_password: 'short' } });
    expect(short.status).toBe(400);
    expect(body(short).message).toMatch(/at least 12/);
  });
});

describe('the API surface', () => {
  it('answers unknown routes with the JSON error shape', async () => {
    const r = await t.request('GET', '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(body(r).error).toBe('not_found');
  });

  it('serves an OpenAPI document listing the routes, with no secret in any response schema', async () => {
    const r = await t.request('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    const doc = body(r) as { openapi: string; paths: Record<string, Record<string, { responses: unknown }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/auth/login', '/api/v1/workers', '/api/v1/workers/{name}/stop', '/api/v1/health']) expect(Object.keys(doc.paths)).toContain(p);
    // no response schema has a property holding a password or a secret; the webhook create answer, which carries
    // its secret once, is the exception (CORRECTIONS #6.9)
    const names: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'properties' && v && typeof v === 'object') names.push(...Object.keys(v));
          walk(v);
        }
      }
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) if (!(method === 'post' && path === '/api/v1/webhooks')) walk(op.responses);
    }
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => /^(password|password_hash|current_password|new_password|secret|previous_secret|secret_printable|secret_b64)$/.test(n))).toEqual([]);
  });
});
