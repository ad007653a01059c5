/**
 * Connections that load the broker without measuring anything themselves:
 *
 * - `openRoutingHolder`: the `routing` scenario's subscriptions, N patterns spread over
 *   100 connections, of which only the first connection's first pattern matches the
 *   published topic; that connection parses what it receives into a tally (it is the
 *   scenario's one subscriber and the publisher's source of credit).
 * - `openIdleClients`: the memory test's 1,000 idle clients (HELLO, nothing else) and one
 *   stalled subscriber, which subscribes to the flood and then never reads again.
 */
import { nowMs, sleep } from './clock.js';
import { parsePayload, RawConn } from './raw-unix.js';
import type { Tally } from './tally.js';

/** Non-matching patterns of every shape the index knows: literals, `*`, `>`. */
export function decoyPattern(i: number): string {
  const shape = i % 3;
  if (shape === 0) return `decky.d${i}.state`;
  if (shape === 1) return `topology.t${i}.*`;
  return `canary.c${i}.>`;
}

/** Connects, retrying for a while on EAGAIN (the broker's listen backlog is full: it is busy accepting). */
async function openRetrying(socketPath: string, name: string): Promise<RawConn> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await RawConn.open(socketPath, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || attempt >= 50) throw err;
      await sleep(10);
    }
  }
}

/** Opens `count` connections, at most `parallel` connecting at once. */
async function openMany(socketPath: string, count: number, name: (i: number) => string, parallel = 32): Promise<RawConn[]> {
  const conns: RawConn[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        conns.push(await openRetrying(socketPath, name(i)));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EMFILE' || code === 'ENFILE') {
          throw new Error(`out of file descriptors after ${conns.length} of ${count} connections (${code}); raise \`ulimit -n\``, { cause: err });
        }
        throw err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  } catch (err) {
    for (const c of conns) c.socket.destroy();
    throw err;
  }
  return conns;
}

export async function openRoutingHolder(socketPath: string, topic: string, connections: number, subscriptions: number, tally: Tally): Promise<RawConn[]> {
  const conns = await openMany(socketPath, connections, (i) => `bench-routing-${i}`);
  const perConn: string[][] = conns.map(() => []);
  perConn[0]!.push(topic);
  for (let i = 1; i < subscriptions; i++) perConn[i % conns.length]!.push(decoyPattern(i));
  const matching = conns[0]!;
  matching.onEvt = (frame) => tally.record(parsePayload(frame.body), nowMs());
  conns.forEach((c, i) => c.subscribe(perConn[i]!));
  await Promise.all(conns.map((c, i) => c.subscribed(perConn[i]!.length)));
  return conns;
}

export async function openIdleClients(socketPath: string, clients: number, stallPattern: string): Promise<RawConn[]> {
  const idle = await openMany(socketPath, clients, (i) => `bench-idle-${i}`);
  const stalled = await openRetrying(socketPath, 'bench-stalled');
  stalled.subscribe([stallPattern]);
  await stalled.subscribed(1);
  stalled.socket.pause(); // never reads again: the broker's queue for it fills up and drops
  return [...idle, stalled];
}
