/**
 * `getBus()`: the one place a transport is chosen, from the environment
 * (spec/bus.md §4.5). Tests and the supervisor inject `env`, `clock` and `log`.
 */
import type { Clock } from './clock.js';
import { readBusEnv, type Env } from './env.js';
import { streamSettingsFrom } from './durable/settings.js';
import type { Logger } from './log.js';
import { MemoryBus, type MemoryHub } from './transports/memory.js';
import { NatsBus } from './transports/nats.js';
import { NullBus } from './transports/null.js';
import { UnixBus } from './transports/unix.js';
import type { Bus } from './types.js';

export interface GetBusOptions {
  /** Client name: shows in the broker's stats and logs. */
  readonly name: string;
  readonly env?: Env;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Memory transport only: the hub to attach to (default: the process hub). */
  readonly hub?: MemoryHub;
}

export function getBus(opts: GetBusOptions): Bus {
  const settings = readBusEnv(opts.env ?? process.env);
  const common = { name: opts.name, clock: opts.clock, log: opts.log, strict: settings.strict };
  switch (settings.transport) {
    case 'memory':
      return new MemoryBus({ ...common, hub: opts.hub });
    case 'null':
      return new NullBus(common);
    case 'unix':
      return new UnixBus({ ...common, socketPath: settings.socketPath, helloTimeoutMs: settings.helloTimeoutMs, offlineBuffer: settings.offlineBuffer });
    case 'nats':
      return new NatsBus({
        ...common,
        servers: settings.natsUrl,
        token: settings.natsToken,
        credsFile: settings.natsCreds,
        offlineBuffer: settings.offlineBuffer,
        stream: streamSettingsFrom(settings),
      });
  }
}
