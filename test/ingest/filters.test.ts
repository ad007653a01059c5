/** The filters of eventplane.md §8.5: the drop list and the noise limiter. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DROP_APPS, DEFAULT_RL_EVENT_TYPES, LineFilter } from '../../src/ingest/filters.js';
import type { LogRecord } from '../../src/ingest/index.js';

function rec(over: Partial<LogRecord>): LogRecord {
  return { timestamp: '2026-05-01T12:00:00.000000Z', receivedAt: '2026-05-01T12:00:00.000000Z', decky: 'decky-01', service: 'ssh', eventType: 'connect', attackerIp: '192.0.2.1', severity: 6, facility: 16, procid: null, fields: {}, sd: null, msg: null, rawLine: '', source: 's', flags: [], format: 'rfc5424', ...over };
}
const at = (s: number): string => new Date(Date.UTC(2026, 4, 1, 12) + s * 1000).toISOString().replace('Z', '000Z');

describe('LineFilter', () => {
  const filter = (windowSec = 1, maxKeys?: number): LineFilter => new LineFilter({ dropApps: DEFAULT_DROP_APPS, rlEventTypes: DEFAULT_RL_EVENT_TYPES, rlWindowSec: windowSec, ...(maxKeys ? { maxKeys } : {}) });

  it('drops the listed APP-NAMEs, exactly', () => {
    const f = filter();
    for (const app of ['sshd', 'CRON', 'cron', 'dbus-daemon']) expect(f.verdict(rec({ service: app, eventType: 'x' }))).toBe('dropped_app');
    expect(f.verdict(rec({ service: 'ssh', eventType: 'x' }))).toBe('keep');
    expect(f.verdict(rec({ service: 'Cron', eventType: 'x' }))).toBe('keep');
  });

  it('keeps one noisy line per key per window, by the lines’ own time', () => {
    const f = filter();
    expect(f.verdict(rec({ timestamp: at(0) }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(0.5) }))).toBe('rate_limited');
    expect(f.verdict(rec({ timestamp: at(0.5), attackerIp: '192.0.2.2' }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(0.5), decky: 'decky-02' }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(0.5), eventType: 'close' }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(0.5), eventType: 'login_attempt' }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(0.5), eventType: 'login_attempt' }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(1.0) }))).toBe('keep');
    expect(f.verdict(rec({ timestamp: at(1.9) }))).toBe('rate_limited');
  });

  it('a window of 0 disables the limiter', () => {
    const f = filter(0);
    for (let i = 0; i < 5; i++) expect(f.verdict(rec({}))).toBe('keep');
  });

  it('holds at most maxKeys keys', () => {
    const f = filter(1, 100);
    for (let i = 0; i < 1000; i++) f.verdict(rec({ attackerIp: `10.0.${i >> 8}.${i & 255}` }));
    expect(f.keys).toBeLessThanOrEqual(100);
  });
});
