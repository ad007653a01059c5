/** GET /api/v1/health (eventplane.md §2). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';

let t: TestApi;
beforeEach(async () => {
  t = await startTestApi();
});
afterEach(async () => {
  await t.close();
});

describe('health', () => {
  it('answers {status} to anyone, also with a bad token', async () => {
    expect((await t.request('GET', '/api/v1/health')).body).toEqual({ status: 'healthy' });
    expect((await t.request('GET', '/api/v1/health', { token: 'garbage' })).body).toEqual({ status: 'healthy' });
  });

  it('adds the components for a viewer token', async () => {
    await t.user('eve', 'viewer');
    const token = await t.login('eve');
    const r = await t.request('GET', '/api/v1/health', { token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'healthy',
      components: { database: { status: 'ok', latency_ms: expect.any(Number) }, bus: { status: 'connected' }, workers: { ok: 0, stale: 0, unknown: 11 } },
    });
  });

  it('is degraded (200) when the bus is down', async () => {
    await t.bus.close();
    const r = await t.request('GET', '/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'degraded' });
  });

  it('is unhealthy (503) when the database is down', async () => {
    await t.db.close();
    t.clock.advance(2000); // past the 1 s probe cache
    const r = await t.request('GET', '/api/v1/health');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'unhealthy' });
  });
});
