/**
 * The Done-when: the worker (`decnet webhook`, the built CLI in a child process,
 * on the unix bus with a real broker started here) is killed with SIGKILL in the middle
 * of a 10,000-event burst on a journaled topic, then restarted; in the end every event
 * reaches the local receiver, every request's signatures verify, and each delivery is
 * recognisable by its id (`webhook-id` = the body's `id` = the journal id). Duplicates
 * (attempts in flight at the kill) are allowed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/bus/broker/index.js';
import { silentLogger, UnixBus } from '../../src/bus/index.js';
import { journalAndPublish, openDatabase, type Db } from '../../src/db/index.js';
import { deriveKey } from '../../src/secrets/index.js';
import { sealSecret } from '../../src/webhook/index.js';
import { ensureBuilt, spawnCli, type Spawned } from '../support/cli.js';
import { take, until } from '../support/events.js';
import { ruleFired, startReceiver, type Receiver } from './support.js';

const TOTAL = 10_000;
const BATCH = 50; // events per producer transaction
/** Deliveries seen before the kill: well inside both the production and the delivery of the burst. */
const KILL_AFTER = 300;

describe('webhook worker killed mid-burst', () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-whk-'));
  const socketPath = join(tmpdir(), `dn-whk-${randomBytes(4).toString('hex')}.sock`);
  const master = randomBytes(32);
  const env = {
    DECNET_HOME: home,
    DECNET_BUS_TYPE: 'unix',
    DECNET_BUS_SOCKET: socketPath,
    DECNET_SECRET_KEY: master.toString('hex'),
    DECNET_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    DECNET_LOG_LEVEL: 'warn',
    DECNET_HEARTBEAT_SECS: '1',
  };
  const children: Spawned[] = [];
  let broker: Broker;
  let db: Db;
  let bus: UnixBus;
  let rx: Receiver;

  beforeAll(async () => {
    ensureBuilt();
    broker = await startBroker({ socketPath, log: silentLogger, home });
    db = await openDatabase({ home, log: silentLogger });
    bus = new UnixBus({ name: 'kill-test-producer', socketPath, log: silentLogger });
    await bus.connect({ timeoutMs: 5000 });
    rx = await startReceiver();
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await bus?.close();
    await db?.close();
    await broker?.close();
    await rx?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const startWorker = (): Spawned => {
    const s = spawnCli(['webhook'], env);
    children.push(s);
    return s;
  };
  const unique = (): Set<string> => new Set(rx.received.map((r) => r.eventId));

  it('delivers every event after a kill -9 and a restart', async () => {
    const id = randomUUID();
    const secret = randomBytes(24).toString('base64url');
    await db.repos.webhookSubscriptions.create({ id, name: 'siem', url: `${rx.url}/siem`, secretEnc: sealSecret(deriveKey(master, 'webhook-secret'), id, 'secret_enc', secret), topicPatterns: ['ttp.rule.fired.*'], enabled: true });
    rx.secrets = [secret];

    const first = startWorker();
    // the cursor exists once the worker is up: events journaled from now on are its own
    await until(async () => (await db.repos.cursors.get('webhook', 'events')) !== undefined, 'the worker created its cursor', 30_000);

    const produced: string[] = [];
    let killedAt = -1;
    for (let i = 0; i < TOTAL; i += BATCH) {
      await db.write(async (tx) => {
        for (let j = i; j < Math.min(TOTAL, i + BATCH); j++) produced.push((await journalAndPublish(tx, bus, 'ttp.rule.fired.T1110', ruleFired('T1110', j))).id);
      });
      if (killedAt < 0 && unique().size >= KILL_AFTER) {
        first.child.kill('SIGKILL');
        killedAt = produced.length;
      }
      await new Promise((r) => setTimeout(r, 15)); // a burst paced at ~3,000 events/s, so the kill lands inside it
    }
    if (killedAt < 0) {
      // the producer outran the worker: kill it now, still mid-burst for the receiver
      await until(() => unique().size >= KILL_AFTER, 'deliveries under way', 60_000);
      first.child.kill('SIGKILL');
      killedAt = produced.length;
    }
    expect(await first.exited).toBe('SIGKILL');
    const beforeRestart = unique().size;
    expect(beforeRestart).toBeLessThan(TOTAL);

    const health = bus.subscribe('system.webhook.health');
    await health.ready;
    const second = startWorker();
    await until(() => unique().size >= TOTAL, `all ${TOTAL} events delivered (had ${beforeRestart} at the restart)`, 150_000);

    const received = unique();
    expect(received).toEqual(new Set(produced));
    expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
    expect(rx.received.every((r) => r.headers['webhook-id'] === r.eventId && r.headers['x-decnet-event-id'] === r.eventId)).toBe(true);
    const duplicates = rx.received.length - received.size;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    // one row per event, all delivered
    await until(async () => (await db.repos.webhookDeliveries.totals()).pending === 0, 'no row left pending', 30_000);
    const rows = await db.kysely.selectFrom('webhook_deliveries').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    expect(rows.map((r) => [r.state, Number(r.n)])).toEqual([['succeeded', TOTAL]]);
    process.stderr.write(`kill test: killed after ${killedAt} events produced, ${beforeRestart} delivered; ${duplicates} duplicate POSTs in all\n`);

    // it beats with its counters, and honours stop on system.webhook.control
    const [beat] = await take(health, 1);
    expect(beat!.payload).toMatchObject({ worker: 'webhook', pending: expect.any(Number), failed: 0, dead: 0, in_flight: expect.any(Number), circuits_open: 0 });
    await health.close();
    await bus.publish('system.webhook.control', { action: 'stop', requested_by: 'kill-test', ts: Date.now() / 1000 });
    expect(await second.exited).toBe(0);
  }, 240_000);
});
