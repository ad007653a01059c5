/**
 * `decnet <worker>`: the one way a worker runs as a process. It opens the
 * runtime (config, logger, database) and the bus, beats `system.<name>.health`
 * with the worker's counters, honours `system.<name>.control` stop and
 * SIGINT/SIGTERM through one AbortSignal, and exits with its supervisor. A one-off
 * command sharing the worker's name (`def.runsAsWorker` false for its flags) gets the
 * same runtime and signal, without the heartbeat and control listener.
 */
import type { Command } from 'commander';
import { getBus, runControlListener, runHeartbeat } from '../bus/index.js';
import { exitWithSupervisor, releaseSupervisor, type WorkerDefinition } from '../supervisor/index.js';
import { openCliRuntime, untilSignal, withConfigFlag } from './runtime-options.js';

/** Registers `decnet <worker>` and returns its command (other commands may hang off it). */
export function registerWorkerCommand(program: Command, def: WorkerDefinition): Command {
  let cmd = withConfigFlag(program.command(def.name).description(def.description));
  if (def.options) cmd = def.options(cmd);
  cmd.action(async (opts: Record<string, unknown> & { config?: string }) => {
    const outer = untilSignal();
    const stop = new AbortController();
    outer.addEventListener('abort', () => stop.abort(outer.reason), { once: true });
    exitWithSupervisor(() => stop.abort(new Error('supervisor gone')));
    const runtime = await openCliRuntime(opts, undefined, `decnet-${def.name}`);
    const { config, clock } = runtime;
    const log = runtime.log.child({ worker: def.name });
    const bus = getBus({ name: `decnet-${def.name}`, env: { ...process.env, DECNET_BUS_SOCKET: config.bus.socketPath, DECNET_BUS_TYPE: config.bus.transport }, clock, log });
    try {
      const asWorker = def.runsAsWorker?.(opts) ?? true;
      const beat = asWorker ? runHeartbeat(bus, def.name, { signal: stop.signal, clock, log, intervalMs: config.workers.heartbeatSecs * 1000, ...(def.counters ? { extra: def.counters } : {}) }) : Promise.resolve();
      const control = asWorker ? runControlListener(bus, def.name, stop, { log }) : Promise.resolve();
      await def.run({ bus, db: runtime.db, config, log, clock, signal: stop.signal, masterKey: runtime.masterKey }, opts);
      stop.abort();
      await Promise.all([beat, control]);
    } finally {
      await bus.close();
      await runtime.close();
      releaseSupervisor();
    }
  });
  return cmd;
}
