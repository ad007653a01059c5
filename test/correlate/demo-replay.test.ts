/** `decnet demo`'s time shift (CORRECTIONS #7.8): every format's times move by one delta, in their own form. */
import { describe, expect, it } from 'vitest';
import { deltaToNow, fromMicros, lineTimes, shiftLine, toMicros } from '../../src/cli/demo-replay.js';

const H = 3_600_000_000; // µs

describe('demo replay', () => {
  it('shifts an RFC 5424 TIMESTAMP, keeping the rest byte for byte', () => {
    const line = '<134>1 2026-05-01T12:19:59.902113Z decky-03 http - request [relay@55555 src_ip="203.0.113.7"] GET /';
    expect(shiftLine(line, H)).toBe('<134>1 2026-05-01T13:19:59.902113Z decky-03 http - request [relay@55555 src_ip="203.0.113.7"] GET /');
    expect(shiftLine('<134>1 - host app - - -', H)).toBe('<134>1 - host app - - -');
  });

  it('shifts Cowrie and OpenCanary JSON times in their own forms', () => {
    expect(JSON.parse(shiftLine('{"eventid":"cowrie.session.connect","timestamp":"2026-05-01T12:00:00.101234Z"}', H))).toEqual({ eventid: 'cowrie.session.connect', timestamp: '2026-05-01T13:00:00.101234Z' });
    const oc = JSON.parse(shiftLine('{"utc_time":"2026-05-01 23:59:00.000412","local_time":"2026-05-01 23:59:00.000412","logtype":4002}', H)) as Record<string, unknown>;
    expect(oc).toEqual({ utc_time: '2026-05-02 00:59:00.000412', local_time: '2026-05-02 00:59:00.000412', logtype: 4002 });
    expect(shiftLine('not a line we know', H)).toBe('not a line we know');
  });

  it('moves the latest time of all files to now', () => {
    const files = [['<134>1 2026-05-01T12:00:00.000001Z d s - e -'], ['{"timestamp":"2026-05-01T12:30:00.000002Z"}']];
    const now = toMicros('2026-06-01T00:00:00Z') as number;
    const delta = deltaToNow(files, now);
    expect(fromMicros((lineTimes(files[1]?.[0] as string)[0] as number) + delta)).toBe('2026-06-01T00:00:00.000000Z');
  });
});
