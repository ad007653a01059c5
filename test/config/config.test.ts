import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const homes: string[] = [];
function home(toml?: string): string {
  const h = mkdtempSync(join(tmpdir(), 'dn-cfg-'));
  homes.push(h);
  if (toml !== undefined) writeFileSync(join(h, 'decnet.toml'), toml);
  return h;
}
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('has embedded defaults: 127.0.0.1:8787, SQLite in home, unix bus in home', () => {
    const h = home();
    const c = loadConfig({ env: { DECNET_HOME: h } });
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 8787, jwtTtlSecs: 28800, sseMaxPerUser: 5, sseMaxTotal: 1000 });
    expect(c.database.url).toBeUndefined();
    expect(c.bus.transport).toBe('unix');
    expect(c.bus.socketPath).toBe(join(h, 'bus.sock'));
    expect(c.journal.durableTopics).toEqual(['credential.>', 'ttp.>', 'canary.*.triggered', 'attacker.session.ended', 'email.received']);
    expect(c.file).toBeUndefined();
  });

  it('reads decnet.toml by variable name, with or without the prefix, and in tables', () => {
    const h = home('api_port = 9000\nDECNET_BUS_TYPE = "memory"\ndurable_topics = ["ttp.>", "credential.>"]\n[jwt]\nttl_secs = 600\n');
    const c = loadConfig({ env: { DECNET_HOME: h } });
    expect(c.api.port).toBe(9000);
    expect(c.bus.transport).toBe('memory');
    expect(c.api.jwtTtlSecs).toBe(600);
    expect(c.journal.durableTopics).toEqual(['ttp.>', 'credential.>']);
    expect(c.file).toBe(join(h, 'decnet.toml'));
  });

  it('lets the environment win over the file', () => {
    const h = home('api_port = 9000\n');
    expect(loadConfig({ env: { DECNET_HOME: h, DECNET_API_PORT: '9100' } }).api.port).toBe(9100);
  });

  it('names the variable and what it accepts on a bad value', () => {
    const h = home();
    expect(() => loadConfig({ env: { DECNET_HOME: h, DECNET_API_PORT: '70000' } })).toThrow('DECNET_API_PORT: expected an integer between 0 and 65535, got 70000');
    expect(() => loadConfig({ env: { DECNET_HOME: h, DECNET_BUS_TYPE: 'kafka' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { DECNET_HOME: h, DECNET_ADMIN_PASSWORD: 'short' } })).toThrow('DECNET_ADMIN_PASSWORD: must be 12–1024 characters, got 5');
    expect(() => loadConfig({ env: { DECNET_HOME: h, DECNET_DURABLE_TOPICS: 'ttp.>,a..b' } })).toThrow(/DECNET_DURABLE_TOPICS: expected comma-separated topic patterns/);
    expect(() => loadConfig({ env: { DECNET_HOME: h, DECNET_LOG_LEVEL: 'loud' } })).toThrow(/DECNET_LOG_LEVEL: expected one of fatal, error/);
  });

  it('reports a broken settings file with its line', () => {
    const h = home('api_port = = 3\n');
    expect(() => loadConfig({ env: { DECNET_HOME: h } })).toThrow(/decnet\.toml: not valid TOML at line 1/);
  });

  it('fails when an explicit --config file is missing, not when the default one is', () => {
    const h = home();
    expect(() => loadConfig({ env: { DECNET_HOME: h }, file: join(h, 'nope.toml') })).toThrow(/cannot read the settings file/);
    expect(() => loadConfig({ env: { DECNET_HOME: h } })).not.toThrow();
  });
});
