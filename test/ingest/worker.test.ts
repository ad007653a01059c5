/**
 * The `ingest` worker: the configured sources (a followed file, UDP, TCP on port 0) into
 * one pipeline until the signal; a source that cannot start (a port in use) does not take
 * the others down; the heartbeat counters.
 */
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/bus/index.js';
import { ingestCounters, runIngest } from '../../src/ingest/index.js';
import { until } from '../support/events.js';
import { harness, type Harness } from './support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LINE = (n: number): string => `<134>1 2026-05-01T12:00:00.000000Z decky-01 ssh - probe [relay@55555 src_ip="192.0.2.9" n="${n}"]`;

describe('runIngest', () => {
  it('runs the configured file, UDP and TCP sources until stopped', async () => {
    h = await harness();
    const file = join(h.home, 'decky.log');
    writeFileSync(file, `${LINE(1)}\n`);
    const config = h.config({ DECNET_INGEST_FILES: `rfc5424:${file}`, DECNET_INGEST_UDP: '127.0.0.1:0', DECNET_INGEST_TCP: '127.0.0.1:0', DECNET_BATCH_MAX_WAIT_MS: '10' });
    const ports: Record<string, number> = {};
    const stop = new AbortController();
    const done = runIngest({ db: h.db, bus: h.bus, config, log: silentLogger, clock: systemClock, signal: stop.signal, onListening: (kind, a) => (ports[kind] = a.port) });
    await until(() => ports.udp !== undefined && ports.tcp !== undefined, 'both listeners');
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(LINE(2), ports.udp as number, '127.0.0.1', () => r()));
    udp.close();
    const tcp = connect(ports.tcp as number, '127.0.0.1');
    tcp.end(`${LINE(3)}\n`);
    appendFileSync(file, `${LINE(4)}\n`);
    const count = async (): Promise<number> => (await h!.db.repos.logs.readAfter(0, 100)).length;
    await until(async () => (await count()) === 4, 'four rows');
    const counters = ingestCounters() as { lines: number; sources: Array<{ id: string; lines: number }> };
    expect(counters.lines).toBe(4);
    expect(counters.sources.map((s) => s.id)).toEqual([`file:${file}`, `udp:127.0.0.1:0`, `tcp:127.0.0.1:0`]);
    stop.abort();
    await done;
    expect(((await h.db.repos.logs.readAfter(0, 100)).map((r) => r.source)).sort()).toEqual([`file:${file}`, `file:${file}`, 'tcp:127.0.0.1', 'udp:127.0.0.1']);
    expect((ingestCounters() as { sources: unknown[] }).sources).toEqual([]);
  });

  it('a port in use is recorded as the source’s last error; the other sources run', async () => {
    h = await harness();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const config = h.config({ DECNET_INGEST_UDP: '127.0.0.1:0', DECNET_INGEST_TCP: `127.0.0.1:${taken}` });
      const ports: Record<string, number> = {};
      const stop = new AbortController();
      const done = runIngest({ db: h.db, bus: h.bus, config, log: silentLogger, clock: systemClock, signal: stop.signal, onListening: (kind, a) => (ports[kind] = a.port) });
      await until(async () => (await h!.db.repos.ingestSources.get(`tcp:127.0.0.1:${taken}`))?.lastError?.includes('EADDRINUSE') === true, 'the bind failure recorded');
      await until(() => ports.udp !== undefined, 'the UDP listener');
      const udp = createSocket('udp4');
      await new Promise<void>((r) => udp.send(LINE(1), ports.udp as number, '127.0.0.1', () => r()));
      udp.close();
      await until(async () => (await h!.db.repos.logs.readAfter(0, 10)).length === 1, 'the UDP row');
      stop.abort();
      await done;
    } finally {
      blocker.close();
    }
  });
});
