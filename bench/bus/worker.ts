/**
 * A bench worker process (forked by main.ts). It waits for requests over its IPC
 * channel and plays whatever role it is given for one scenario at a time: the broker,
 * a subscriber, a publisher, the routing scenario's subscriptions, or the memory test's
 * idle clients. It exits when main goes away, closing what it holds.
 */
import type { BrokerHost } from './broker-host.js';
import type { Down, Notice, Op, Replies, Request, RequestOf, SubscriberSpec, PublisherSpec, Up } from './ipc.js';
import { openIdleClients, openRoutingHolder } from './loadgen.js';
import { openBusSink, openBusSubscriber } from './decnet-client.js';
import { RawUnixSink, rawUnixSubscriber } from './raw-unix.js';
import { runPublisher, type Credit, type PubSink } from './publisher.js';
import { Tally } from './tally.js';

/** How often a subscriber reports progress when fewer than `reportEvery` events came (ms). */
const PROGRESS_FLUSH_MS = 10;

function send(msg: Up): void {
  process.send?.(msg);
}

/** Credit fed by `credit` notices from main. */
class IpcCredit implements Credit {
  private readonly seenBy = new Map<number, number>();
  private wake: (() => void) | undefined;

  seen(phase: number): number {
    return this.seenBy.get(phase) ?? 0;
  }

  update(phase: number, seen: number): void {
    if (seen > this.seen(phase)) this.seenBy.set(phase, seen);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

/** What this worker holds for the current scenario. */
class Role {
  broker: BrokerHost | undefined;
  tally: Tally | undefined;
  sink: PubSink | undefined;
  /** Fresh for every publisher: phase numbers repeat from one scenario to the next. */
  credit = new IpcCredit();
  private timer: NodeJS.Timeout | undefined;
  private readonly closers: Array<() => Promise<void>> = [];

  newTally(spec: SubscriberSpec): Tally {
    if (this.tally) throw new Error('this worker already holds a subscriber');
    const tally = new Tally({
      publishers: spec.publishers,
      reservoir: spec.reservoir,
      reportEvery: spec.reportEvery,
      onProgress: (phase, seen) => send({ notice: { kind: 'progress', phase, seen } }),
    });
    this.tally = tally;
    this.timer = setInterval(() => tally.flush(), PROGRESS_FLUSH_MS);
    return tally;
  }

  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<number> {
    clearInterval(this.timer);
    this.timer = undefined;
    const fns = this.closers.splice(0);
    const n = fns.length + (this.broker ? 1 : 0) + (this.sink ? 1 : 0);
    await Promise.allSettled([...fns.map((f) => f()), this.sink?.close(), this.broker?.close()]);
    this.tally = undefined;
    this.sink = undefined;
    this.broker = undefined;
    return n;
  }
}

const role = new Role();

async function openSubscriber(spec: SubscriberSpec): Promise<void> {
  const tally = role.newTally(spec);
  const { endpoint, topic } = spec;
  if (endpoint.client === 'decnet') {
    role.onClose(await openBusSubscriber(endpoint, topic, spec.queue, tally));
  } else if (endpoint.transport === 'nats') {
    const { natsRawSubscriber } = await import('./raw-nats.js'); // the NATS client loads only where it is used
    const nc = await natsRawSubscriber(endpoint.natsServer, topic, tally);
    role.onClose(() => nc.close());
  } else {
    const conn = await rawUnixSubscriber(endpoint.socketPath, topic, tally);
    role.onClose(() => conn.close());
  }
}

async function openPublisher(spec: PublisherSpec): Promise<PubSink> {
  const { endpoint, topic, index, payloadBytes } = spec;
  if (endpoint.client === 'decnet') return openBusSink(endpoint, topic, index, payloadBytes);
  if (endpoint.transport === 'nats') {
    const { NatsRawSink } = await import('./raw-nats.js');
    return NatsRawSink.open(endpoint.natsServer, topic, index, payloadBytes);
  }
  return RawUnixSink.open(endpoint.socketPath, topic, index, payloadBytes);
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`this worker holds no ${what}`);
  return v;
}

const handlers: { [K in Op]: (req: RequestOf<K>) => Promise<Replies[K]> } = {
  'broker.start': async (req) => {
    const { BrokerHost } = await import('./broker-host.js'); // only the broker's worker loads the broker
    const host = new BrokerHost();
    await host.start(req.socketPath);
    role.broker = host;
    return { pid: process.pid };
  },
  'broker.sample': async () => must(role.broker, 'broker').sample(),
  'sub.open': async (req) => {
    await openSubscriber(req.spec);
    return { pid: process.pid };
  },
  'sub.count': async (req) => ({ count: must(role.tally, 'subscriber').count(req.phase) }),
  'sub.summary': async (req) => must(role.tally, 'subscriber').summary(req.phase),
  'pub.open': async (req) => {
    if (role.sink) throw new Error('this worker already holds a publisher');
    role.credit = new IpcCredit();
    role.sink = await openPublisher(req.spec);
    return { pid: process.pid };
  },
  'pub.run': async (req) => runPublisher(must(role.sink, 'publisher'), req.plan, role.credit),
  'routing.open': async (req) => {
    const tally = role.newTally(req.spec);
    const conns = await openRoutingHolder(req.spec.endpoint.socketPath, req.spec.topic, req.connections, req.subscriptions, tally);
    role.onClose(async () => void (await Promise.all(conns.map((c) => c.close()))));
    return { patterns: req.subscriptions };
  },
  'idle.open': async (req) => {
    const conns = await openIdleClients(req.socketPath, req.clients, req.stallPattern);
    role.onClose(async () => {
      for (const c of conns) c.socket.destroy();
    });
    return { connected: conns.length };
  },
  close: async () => ({ closed: await role.close() }),
};

async function dispatch(id: number, req: Request): Promise<void> {
  try {
    const handler = handlers[req.op] as (r: Request) => Promise<unknown>;
    send({ id, ok: true, result: await handler(req) });
  } catch (err) {
    send({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

function onNotice(n: Notice): void {
  if (n.kind === 'credit') role.credit.update(n.phase, n.seen);
}

process.on('message', (msg: Down) => {
  if ('notice' in msg) onNotice(msg.notice);
  else void dispatch(msg.id, msg.req);
});

// main is gone (normal end or a crash): release what we hold and leave
process.on('disconnect', () => {
  const cap = setTimeout(() => process.exit(0), 1500);
  cap.unref();
  void role.close().finally(() => process.exit(0));
});

send({ started: process.pid });
