/**
 * The Done-when for durable topics: a consumer (a child process running the
 * built dist/ code) is killed with SIGKILL mid-stream and restarted; every event is
 * processed, and none is processed again once its ack was confirmed. The ack wait is
 * 1 s so the events in hand at the kill come back quickly. Own stream, root, durable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerName } from '../../../src/bus/durable/index.js';
import { NatsBus } from '../../../src/bus/index.js';
import { until } from '../../support/events.js';
import { deleteStreams, ensureDist, NATS_URL, requireNats, rawClient, REPO, testStream, uniq } from '../../support/nats.js';

const DIST_INDEX = join(REPO, 'dist/src/bus/index.js');

/** The consumer: processes (writes `P`), then acks (writes `A` once confirmed). Synchronous appends survive SIGKILL. */
const CHILD = `
import { appendFileSync } from 'node:fs';
const { NatsBus } = await import(process.env.DIST_INDEX);
const [url, stream, name, pattern, out, workMs] = process.argv.slice(2);
const bus = new NatsBus({ name: 'kill-test-consumer', servers: url, stream: JSON.parse(stream) });
const d = bus.durable(name, pattern, { batch: 8 });
await d.ready;
appendFileSync(out, 'READY ' + process.pid + '\\n');
for await (const m of d) {
  appendFileSync(out, 'P ' + m.event.payload.i + '\\n');
  await new Promise((r) => setTimeout(r, Number(workMs)));
  await m.ack();
  appendFileSync(out, 'A ' + m.event.payload.i + '\\n');
}
`;

await requireNats();

describe('durable consumer killed mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'decnet-kill-'));
  const root = uniq('kill');
  const stream = testStream(root, 1000);
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureDist(['dist/src/bus/index.js', 'dist/src/bus/durable/jetstream.js', 'dist/src/bus/transports/nats.js']);
    writeFileSync(join(dir, 'consumer.mjs'), CHILD);
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteStreams(stream.name);
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (out: string): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);

  const stderrOf = new Map<ChildProcess, () => string>();
  /** Fails the wait at once, with the child's stderr, when the consumer died on its own. */
  const alive = (child: ChildProcess): void => {
    if (child.exitCode !== null) throw new Error(`consumer exited (${child.exitCode}): ${stderrOf.get(child)?.() ?? ''}`);
  };

  const startConsumer = async (name: string, out: string, workMs: number): Promise<ChildProcess> => {
    const before = lines(out).filter((l) => l.startsWith('READY')).length;
    const child = spawn(process.execPath, [join(dir, 'consumer.mjs'), NATS_URL, JSON.stringify(stream), name, `${root}.>`, out, String(workMs)], {
      env: { ...process.env, DIST_INDEX },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    stderrOf.set(child, () => stderr);
    await until(() => {
      alive(child);
      return lines(out).filter((l) => l.startsWith('READY')).length > before;
    }, 'consumer ready', 15_000);
    return child;
  };

  it('processes every event, and none twice after its ack', async () => {
    const n = 300;
    const name = uniq('killee');
    const out = join(dir, 'processed.log');
    const first = await startConsumer(name, out, 3);

    const pub = new NatsBus({ name: 'kill-test-publisher', servers: NATS_URL, stream });
    try {
      await pub.connect();
      for (let i = 0; i < n; i++) await pub.publish(`${root}.e`, { i });
      // kill it mid-stream: some acked, most not yet seen
      await until(() => {
        alive(first);
        return lines(out).filter((l) => l.startsWith('A ')).length >= 40;
      }, 'first consumer acks some', 15_000);
      first.kill('SIGKILL');
      await new Promise<void>((r) => (first.exitCode !== null || first.signalCode !== null ? r() : first.once('exit', () => r())));
      const ackedBeforeKill = new Set(lines(out).filter((l) => l.startsWith('A ')).map((l) => l.slice(2)));
      expect(ackedBeforeKill.size).toBeLessThan(n);

      const second = await startConsumer(name, out, 0);
      // done when every event was processed and the server holds nothing unacked. (An event
      // can be acked on the server and the kill land before its `A` line: it counts as done.)
      const nc = await rawClient();
      try {
        const jsm = await jetstreamManager(nc);
        await until(async () => {
          alive(second);
          if (new Set(lines(out).filter((l) => l.startsWith('P ')).map((l) => l.slice(2))).size < n) return false;
          const info = await jsm.consumers.info(stream.name, consumerName(name, `${root}.>`));
          return info.num_pending === 0 && info.num_ack_pending === 0;
        }, `every event processed and acked (${stream.name})`, 30_000);
      } finally {
        await nc.close();
      }
    } finally {
      await pub.close();
    }

    // every event processed; none processed again after its ack was confirmed
    const log = lines(out);
    const ackedAt = new Map<string, number>();
    const reprocessedAfterAck: string[] = [];
    const processed = new Map<string, number>();
    log.forEach((l, at) => {
      const [kind, i] = l.split(' ') as [string, string];
      if (kind === 'P') {
        processed.set(i, (processed.get(i) ?? 0) + 1);
        if (ackedAt.has(i)) reprocessedAfterAck.push(i);
      } else if (kind === 'A' && !ackedAt.has(i)) {
        ackedAt.set(i, at);
      }
    });
    expect(processed.size).toBe(n);
    expect([...processed.keys()].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(reprocessedAfterAck).toEqual([]);
    // only the event being worked on at the kill (processed, not yet acked) may come twice
    const twice = [...processed.values()].filter((c) => c > 1).length;
    expect(twice).toBeLessThanOrEqual(1);
  }, 90_000);
});
