/**
 * `decnet demo` as a user runs it (CORRECTIONS #7.8): without `decnet up` it says how to
 * start it and exits 1; beside a running `decnet up` it replays the examples, and the
 * API soon shows the attackers and the credential-reuse finding of 198.51.100.23.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/events.js';
import { cleanUpAfterEach, ensureBuilt, spawnCli } from '../support/cli.js';

beforeAll(() => ensureBuilt());

const { running, homes } = cleanUpAfterEach();

function freshEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'dn-demo-'));
  homes.push(home);
  return { DECNET_HOME: home, DECNET_BUS_SOCKET: join(home, 'bus.sock'), DECNET_ADMIN_PASSWORD: 'a long admin passphrase', DECNET_LOG_LEVEL: 'warn', DECNET_INGEST_UDP: 'off', DECNET_INGEST_TCP: 'off' };
}

describe('decnet demo', () => {
  it('without decnet up: says how to start it and exits 1', async () => {
    const demo = spawnCli(['demo', '--pace', '0'], freshEnv());
    running.push(demo);
    expect(await demo.exited).toBe(1);
    expect(demo.stderr).toMatch(/decnet up/);
  });

  it('beside decnet up: replays the examples, then the API shows the finding', async () => {
    const env = freshEnv();
    const up = spawnCli(['up', '--port', '0'], env);
    running.push(up);
    const [, base] = await up.waitFor(/DECNET is up: API (http:\/\/[^/\s]+)\/api\/v1/, 30_000);
    const demo = spawnCli(['demo', '--pace', '0'], env);
    running.push(demo);
    expect(await demo.exited).toBe(0);
    expect(demo.stdout).toMatch(/ingested \d+ lines/);
    expect(demo.stdout).toContain(`${base}/api/v1/credential-reuse`);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'a long admin passphrase' }) });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const get = async (path: string): Promise<Record<string, unknown>> => (await (await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    await until(async () => ((await get('/credential-reuse')).total as number) === 1, 'the credential-reuse finding');
    expect(await get('/attackers/198.51.100.23')).toMatchObject({ is_traversal: true, traversal_path: 'decky-01 → decky-02' });
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });
});
