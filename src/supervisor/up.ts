/**
 * `decnet up`: one supervisor for the whole event plane on one host — the bus
 * (the host-local broker by default, reused when one already answers; the
 * in-process bus with `--bus memory`; nothing with `--bus nats`), the API, and
 * every worker of this build. Writes `$DECNET_HOME/up.json` for other commands.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeSocket, startBroker } from '../bus/broker/index.js';
import { getBus, processHub, publishSafely, runHeartbeat, topics, type Bus } from '../bus/index.js';
import { runApi } from '../api/index.js';
import type { Runtime } from '../runtime/index.js';
import { Supervisor } from './supervisor.js';
import { WORKERS } from './worker-table.js';

/** bin/decnet.js, from dist/src/supervisor/up.js. */
const DECNET_BIN = fileURLToPath(new URL('../../../bin/decnet.js', import.meta.url));

export type UpBusMode = 'unix' | 'memory' | 'nats';

export interface UpOptions {
  readonly runtime: Runtime;
  readonly busMode: UpBusMode;
  readonly host: string;
  readonly port: number;
  readonly signal: AbortSignal;
  /** Status lines for the terminal (not the log). */
  readonly print: (line: string) => void;
  readonly version: string;
  /** Called once the API listens, with its URL. */
  readonly onReady?: (apiUrl: string) => void;
}

export interface UpState {
  readonly pid: number;
  readonly api_url: string;
  readonly bus: UpBusMode;
  readonly socket: string | null;
  readonly started_at: string;
}

/** Under `--bus memory` the supervisor beats `system.bus.health` for the in-process bus. */
async function beatMemoryBus(bus: Bus, runtime: Runtime, signal: AbortSignal): Promise<void> {
  const started = runtime.clock.now();
  while (!signal.aborted) {
    const s = bus.stats();
    await publishSafely(bus, topics.systemHealth('bus'), {
      worker: 'bus',
      pid: process.pid,
      uptime_sec: Math.round((runtime.clock.now() - started) / 1000),
      ts: runtime.clock.now() / 1000,
      connections: 0,
      subscriptions: 0,
      published: processHub.routed,
      delivered: s.delivered,
      dropped: s.dropped_slow,
      refused: 0,
    });
    await runtime.clock.sleep(runtime.config.workers.busHeartbeatSecs * 1000, signal).catch(() => undefined);
  }
}

export async function runUp(opts: UpOptions): Promise<void> {
  const { runtime, print } = opts;
  const { config, log, clock } = runtime;
  const env = { ...process.env, DECNET_BUS_TYPE: opts.busMode, DECNET_BUS_SOCKET: config.bus.socketPath };
  const bus = getBus({ name: 'decnet-up', env, clock, log: log.child({ part: 'bus-client' }) });
  const supervisor = new Supervisor({ clock, log, stopGraceMs: config.workers.stopGraceSecs * 1000 });

  let socket: string | null = null;
  if (opts.busMode === 'unix') {
    socket = config.bus.socketPath;
    if ((await probeSocket(socket).catch(() => 'gone')) === 'live') {
      print(`bus: reusing the broker already running at ${socket}`);
    } else {
      supervisor.add({
        name: 'bus',
        run: async (signal) => {
          const broker = await startBroker({
            socketPath: config.bus.socketPath,
            ...(config.bus.group ? { group: config.bus.group } : {}),
            maxPendingBytes: config.bus.maxPendingBytes,
            maxPendingFrames: config.bus.maxPendingFrames,
            slowConsumerMs: config.bus.slowConsumerSecs * 1000,
            heartbeatMs: config.workers.busHeartbeatSecs * 1000,
            clock,
            log: log.child({ worker: 'bus' }),
            signal,
            home: config.home,
            version: opts.version,
          });
          await broker.closed;
        },
      });
    }
  } else if (opts.busMode === 'memory') {
    supervisor.add({ name: 'bus', run: (signal) => beatMemoryBus(bus, runtime, signal) });
  }

  let apiUrl = '';
  const listening = new Promise<void>((resolve) => {
    supervisor.add({
      name: 'api',
      run: (signal) =>
        runApi({
          config,
          db: runtime.db,
          bus,
          clock,
          log: log.child({ worker: 'api' }),
          jwtKey: runtime.jwtKey,
          supervisor,
          signal,
          host: opts.host,
          port: opts.port,
          listenForStop: false,
          onListening: (url) => {
            apiUrl = url;
            resolve();
          },
        }),
    });
  });

  for (const def of WORKERS) {
    if (opts.busMode !== 'memory') {
      supervisor.add({ name: def.name, command: [DECNET_BIN, def.name] });
      continue;
    }
    // one process: the worker shares this bus; the supervisor honours its stop
    supervisor.add({
      name: def.name,
      run: async (signal) => {
        const wlog = log.child({ worker: def.name });
        const beat = runHeartbeat(bus, def.name, { signal, clock, log: wlog, intervalMs: config.workers.heartbeatSecs * 1000, ...(def.counters ? { extra: def.counters } : {}) });
        await def.run({ bus, db: runtime.db, config, log: wlog, clock, signal, masterKey: runtime.masterKey }, {});
        await beat;
      },
    });
  }

  supervisor.listen(bus);
  await supervisor.startAll();
  await Promise.race([listening, new Promise((r) => opts.signal.addEventListener('abort', r, { once: true }))]);
  const upFile = join(config.home, 'up.json');
  if (!opts.signal.aborted) {
    const state: UpState = { pid: process.pid, api_url: apiUrl, bus: opts.busMode, socket, started_at: clock.isoNow() };
    writeFileSync(upFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    print(`DECNET is up: API ${apiUrl}/api/v1 (health: ${apiUrl}/api/v1/health), bus ${opts.busMode}${socket ? ` at ${socket}` : ''}. Ctrl-C stops it.`);
    opts.onReady?.(apiUrl);
  }
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  print('stopping…');
  await supervisor.shutdown();
  await bus.close();
  rmSync(upFile, { force: true });
}
