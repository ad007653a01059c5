/** The workers registry and control over real HTTP (eventplane.md §2). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus, type Subscription } from '../../src/bus/index.js';
import type { ManagedWorkerState, StartOutcome, SupervisorHandle, WorkerName } from '../../src/api/index.js';
import { take, until } from '../support/events.js';
import { startTestApi, type TestApi } from '../support/api.js';

let t: TestApi;
let admin: string;
let viewer: string;
let peer: MemoryBus;
beforeEach(async () => {
  t = await startTestApi();
  await t.user('root', 'admin');
  await t.user('eve', 'viewer');
  admin = await t.login('root');
  viewer = await t.login('eve');
  peer = new MemoryBus({ name: 'peer', hub: t.hub, strict: true });
});
afterEach(async () => {
  await peer.close();
  await t.close();
});

type Row = { name: string; status: string; last_heartbeat_ts: string | null; seconds_since: number | null; extra: Record<string, unknown>; managed: boolean };
async function workers(token = viewer): Promise<{ workers: Row[]; bus_connected: boolean; generated_at: string }> {
  const r = await t.request('GET', '/api/v1/workers', { token });
  expect(r.status).toBe(200);
  return r.body as { workers: Row[]; bus_connected: boolean; generated_at: string };
}

describe('GET /workers', () => {
  it('lists every known worker as unknown with null times before any beat', async () => {
    const r = await workers();
    expect(r.workers.map((w) => w.name)).toEqual(['api', 'bus', 'ingest', 'correlate', 'ttp', 'webhook', 'mutator', 'canary', 'intel', 'cluster', 'attribution']);
    for (const w of r.workers) expect(w).toMatchObject({ status: 'unknown', last_heartbeat_ts: null, seconds_since: null, managed: false });
    expect(r.bus_connected).toBe(true);
  });

  it('401 without a token', async () => {
    expect((await t.request('GET', '/api/v1/workers')).status).toBe(401);
  });

  it('turns a worker ok on its beat (receive time, extras) and stale when it stops beating', async () => {
    await peer.publish('system.ingest.health', { worker: 'ingest', ts: 1, lines: 42 });
    await until(async () => (await workers()).workers.find((w) => w.name === 'ingest')?.status === 'ok', 'the beat to register');
    const row = (await workers()).workers.find((w) => w.name === 'ingest') as Row;
    expect(row.extra).toEqual({ lines: 42 });
    expect(row.last_heartbeat_ts).toBe('2026-12-01T12:00:00.000000Z'); // the API's clock, not the sender's ts
    t.clock.advance(91_000);
    const later = (await workers()).workers.find((w) => w.name === 'ingest') as Row;
    expect(later.status).toBe('stale');
    expect(later.seconds_since).toBe(91);
  });

  it('ignores a beat whose payload names another worker, and an unknown worker', async () => {
    await peer.publish('system.ingest.health', { worker: 'ttp', ts: 1 });
    await peer.publish('system.nosuch.health', { worker: 'nosuch', ts: 1 });
    await peer.publish('system.ttp.health', { worker: 'ttp', ts: 1 }); // a marker that does count
    await until(async () => (await workers()).workers.find((w) => w.name === 'ttp')?.status === 'ok', 'the marker');
    expect((await workers()).workers.find((w) => w.name === 'ingest')?.status).toBe('unknown');
    expect(t.api.ctx.registry.ignored).toBe(2);
  });

  it('reports bus_connected false when the bus is down', async () => {
    await t.bus.close();
    expect((await workers()).bus_connected).toBe(false);
  });
});

describe('POST /workers/{name}/stop and start', () => {
  let control: Subscription;
  beforeEach(async () => {
    control = peer.subscribe('system.*.control');
    await control.ready;
  });

  it('202 with the exact body, and the control event names the admin', async () => {
    const r = await t.request('POST', '/api/v1/workers/ingest/stop', { token: admin });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: true, worker: 'ingest', action: 'stop' });
    const [ev] = await take(control, 1);
    expect(ev?.topic).toBe('system.ingest.control');
    expect(ev?.type).toBe('control');
    expect(ev?.payload).toEqual({ action: 'stop', requested_by: 'root', ts: expect.any(Number) });
  });

  it('403 for a viewer, 404 for an unknown worker, 503 when the bus is down and nothing manages it', async () => {
    expect((await t.request('POST', '/api/v1/workers/ingest/stop', { token: viewer })).status).toBe(403);
    const unknown = await t.request('POST', '/api/v1/workers/nosuch/stop', { token: admin });
    expect(unknown.status).toBe(404);
    await t.bus.close();
    const down = await t.request('POST', '/api/v1/workers/ingest/stop', { token: admin });
    expect(down.status).toBe(503);
    expect((down.body as { error: string }).error).toBe('bus_unavailable');
  });

  it('start answers 503 not_managed without a supervisor', async () => {
    const r = await t.request('POST', '/api/v1/workers/ingest/start', { token: admin });
    expect(r.status).toBe(503);
    expect((r.body as { error: string }).error).toBe('not_managed');
    expect((await t.request('POST', '/api/v1/workers/start-all', { token: admin })).status).toBe(503);
  });
});

describe('with a supervisor', () => {
  class FakeSupervisor implements SupervisorHandle {
    readonly states = new Map<WorkerName, ManagedWorkerState>([['api', { runState: 'running', restarts: 0, lastExit: null }], ['bus', { runState: 'backoff', restarts: 2, lastExit: 'exit 1' }]]);
    readonly calls: string[] = [];
    state(name: WorkerName): ManagedWorkerState | undefined {
      return this.states.get(name);
    }
    async start(name: WorkerName): Promise<StartOutcome> {
      this.calls.push(`start ${name}`);
      if (!this.states.has(name)) return 'not_installed';
      return this.states.get(name)?.runState === 'running' ? 'already_running' : 'started';
    }
    async stop(name: WorkerName): Promise<void> {
      this.calls.push(`stop ${name}`);
    }
  }

  it('shows run state, starts through the handle, 409 for a worker this build lacks, and start-all reports each', async () => {
    await t.close();
    const sup = new FakeSupervisor();
    t = await startTestApi({ supervisor: sup });
    await t.user('root', 'admin');
    admin = await t.login('root');
    const list = (await t.request('GET', '/api/v1/workers', { token: admin })).body as { workers: Array<Row & { run_state: string | null; restarts: number | null; last_exit: string | null }> };
    expect(list.workers.find((w) => w.name === 'bus')).toMatchObject({ managed: true, run_state: 'backoff', restarts: 2, last_exit: 'exit 1' });
    expect(list.workers.find((w) => w.name === 'ttp')).toMatchObject({ managed: false, run_state: null, restarts: null, last_exit: null });
    expect((await t.request('POST', '/api/v1/workers/bus/start', { token: admin })).status).toBe(202);
    const missing = await t.request('POST', '/api/v1/workers/ttp/start', { token: admin });
    expect(missing.status).toBe(409);
    expect((missing.body as { error: string }).error).toBe('not_installed');
    const all = await t.request('POST', '/api/v1/workers/start-all', { token: admin });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ started: ['bus'], already_running: ['api'] });
    expect((all.body as { failed: unknown[] }).failed).toHaveLength(9);
    await t.request('POST', '/api/v1/workers/api/stop', { token: admin });
    await until(() => sup.calls.includes('stop api'), 'the supervisor stop');
  });
});
