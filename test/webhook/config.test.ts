/** Webhook settings (eventplane.md §9): defaults, and bad values refused naming the variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const load = (env: Record<string, string>): ReturnType<typeof loadConfig> => loadConfig({ env: { DECNET_HOME: '/nonexistent-decnet-home', ...env } });

describe('webhook settings', () => {
  it('has the spec defaults', () => {
    expect(load({}).webhook).toEqual({
      fastRetrySecs: [1, 2, 4],
      durableRetrySecs: [30, 300, 1800, 7200, 21_600],
      retryAfterMaxSecs: 3600,
      timeoutSecs: 10,
      concurrency: 16,
      perSubscription: 4,
      circuitThreshold: 5,
      circuitCooldownSecs: 600,
      allowPrivate: false,
      allowCidrs: [],
      dnsCacheSecs: 30,
      createRatePerMin: 20,
      retention: { succeededDays: 7, deadDays: 30 },
    });
  });

  it('reads lists, CIDRs and the two retention figures', () => {
    const w = load({ DECNET_WEBHOOK_FAST_RETRY_SECS: '0.5, 1', DECNET_WEBHOOK_ALLOW_CIDRS: '10.20.0.0/16, fd12::/64,192.0.2.7', DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS: '3', DECNET_WEBHOOK_ALLOW_PRIVATE: 'yes' }).webhook;
    expect(w.fastRetrySecs).toEqual([0.5, 1]);
    expect(w.allowCidrs).toEqual(['10.20.0.0/16', 'fd12::/64', '192.0.2.7']);
    expect(w.retention).toEqual({ succeededDays: 3, deadDays: 30 });
    expect(w.allowPrivate).toBe(true);
    expect(load({ DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS: '1,2' }).webhook.retention).toEqual({ succeededDays: 1, deadDays: 2 });
  });

  it.each([
    ['DECNET_WEBHOOK_FAST_RETRY_SECS', '1,,2'],
    ['DECNET_WEBHOOK_DURABLE_RETRY_SECS', 'soon'],
    ['DECNET_WEBHOOK_ALLOW_CIDRS', '10.0.0.0/33'],
    ['DECNET_WEBHOOK_ALLOW_CIDRS', 'intranet'],
    ['DECNET_WEBHOOK_CIRCUIT_THRESHOLD', '0'],
    ['DECNET_WEBHOOK_CONCURRENCY', 'many'],
    ['DECNET_WEBHOOK_ALLOW_PRIVATE', 'maybe'],
    ['DECNET_WEBHOOK_DELIVERY_RETENTION_DAYS', '0'],
    ['DECNET_WEBHOOK_CREATE_RATE_PER_MIN', '0'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => load({ [name]: value })).toThrow(ConfigError);
    expect(() => load({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
