/**
 * `decnet up` as a user runs it: a child process on a fresh home, probed over
 * HTTP; `decnet sub '>'` sees the heartbeats; Ctrl-C stops it cleanly.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/events.js';
import { cleanUpAfterEach, ensureBuilt, spawnCli } from '../support/cli.js';

beforeAll(() => ensureBuilt());

const { running, homes } = cleanUpAfterEach();

function freshEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'dn-up-'));
  homes.push(home);
  return { DECNET_HOME: home, DECNET_BUS_SOCKET: join(home, 'bus.sock'), DECNET_HEARTBEAT_SECS: '1', DECNET_BUS_HEARTBEAT_SECS: '1', DECNET_LOG_LEVEL: 'warn', ...extra };
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('decnet up', () => {
  it('serves /api/v1/health, shows api and bus ok, and decnet sub sees their heartbeats', async () => {
    const env = freshEnv({ DECNET_ADMIN_PASSWORD: 'a long admin passphrase' });
    const up = spawnCli(['up', '--port', '0'], env);
    running.push(up);
    const [, base] = await up.waitFor(/DECNET is up: API (http:\/\/[^/\s]+)\/api\/v1/);
    expect(up.stdout).toMatch(/created user "admin" with the password from DECNET_ADMIN_PASSWORD/);
    await up.waitFor(/Log in: curl -s -X POST http:/);
    expect((await json(`${base}/api/v1/health`)).body.status).toMatch(/healthy|degraded/);

    const login = await json(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'a long admin passphrase' }) });
    expect(login.status).toBe(200);
    expect(login.body.must_change_password).toBe(false);
    const auth = { authorization: `Bearer ${login.body.access_token as string}` };
    await until(async () => {
      const w = (await json(`${base}/api/v1/workers`, { headers: auth })).body as { workers: Array<{ name: string; status: string; managed: boolean; run_state: string }> };
      const by = Object.fromEntries(w.workers.map((x) => [x.name, x]));
      return by.api?.status === 'ok' && by.bus?.status === 'ok' && by.api.run_state === 'running' && by.bus.run_state === 'running';
    }, 'api and bus ok in the workers panel');
    expect((await json(`${base}/api/v1/health`)).body.status).toBe('healthy');

    const sub = spawnCli(['sub', '>', '--json', '--count', '2'], env);
    running.push(sub);
    expect(await sub.exited).toBe(0);
    const topics = sub.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { topic: string }).topic);
    // every worker of the build beats too (ingest, correlate, …): only heartbeats flow on an idle
    // stack — and, on a first start, the ttp worker's announcements of the rules it loaded
    expect(topics.every((t) => /^system\.[a-z]+\.health$/.test(t) || /^ttp\.rule\.reloaded\.[A-Za-z0-9_-]+$/.test(t))).toBe(true);

    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(existsSync(join(env.DECNET_HOME as string, 'up.json'))).toBe(false);
    expect(existsSync(env.DECNET_BUS_SOCKET as string)).toBe(false);
  });

  it('on a first start without DECNET_ADMIN_PASSWORD prints a generated password that must be changed', async () => {
    const env = freshEnv();
    const up = spawnCli(['up', '--port', '0', '--bus', 'memory'], env);
    running.push(up);
    const [, password] = await up.waitFor(/created user "admin" with password (\S+)/);
    const [, base] = await up.waitFor(/DECNET is up: API (http:\/\/[^/\s]+)\/api\/v1/);
    const login = await json(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    expect(login.status).toBe(200);
    expect(login.body.must_change_password).toBe(true);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    // a second start finds the user and prints no password
    const again = spawnCli(['up', '--port', '0', '--bus', 'memory'], env);
    running.push(again);
    await again.waitFor(/DECNET is up/);
    expect(again.stdout).not.toMatch(/created user/);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('fails at start with the variable name for a bad setting (exit 2)', async () => {
    const up = spawnCli(['up'], freshEnv({ DECNET_API_PORT: 'eighty' }));
    running.push(up);
    expect(await up.exited).toBe(2);
    expect(up.stderr).toMatch(/DECNET_API_PORT: expected an integer/);
  });
});
