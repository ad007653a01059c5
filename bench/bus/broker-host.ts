/**
 * The broker under test, in a worker process of its own, so that its CPU time
 * (`process.cpuUsage`) and RSS (`process.memoryUsage().rss`) are the broker's alone.
 * The heartbeat is pushed out of the way (once an hour) so it adds nothing to a run.
 */
import { startBroker, type Broker } from '../../src/bus/broker/index.js';
import type { BrokerSample } from './ipc.js';

const BENCH_HEARTBEAT_MS = 3_600_000;

export class BrokerHost {
  private broker: Broker | undefined;

  async start(socketPath: string): Promise<void> {
    if (this.broker) throw new Error('this worker already runs a broker');
    this.broker = await startBroker({ socketPath, heartbeatMs: BENCH_HEARTBEAT_MS });
  }

  sample(): BrokerSample {
    const b = this.broker;
    if (!b) throw new Error('no broker in this worker');
    const cpu = process.cpuUsage();
    const s = b.stats();
    return {
      cpuUser: cpu.user,
      cpuSystem: cpu.system,
      rss: process.memoryUsage().rss,
      connections: s.connections,
      subscriptions: s.subscriptions,
      published: s.published,
      delivered: s.delivered,
      dropped: s.dropped,
      refused: s.refused,
    };
  }

  /** Shuts the broker down (it unlinks its socket). */
  async close(): Promise<void> {
    const b = this.broker;
    this.broker = undefined;
    await b?.close();
  }
}
