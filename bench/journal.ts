/**
 * bench:journal — what producing one journaled event costs (eventplane.md §1.5): every
 * `credential.captured` ingest writes, every `credential.reuse.detected` of the reuse
 * correlator, every `attacker.session.ended`, `ttp.tagged`… goes through
 * `journalAndPublish` inside its producer's transaction, then out on the bus after the
 * commit. Two payloads: `captured` (≈ 150 B, one per credential line) and `reuse`
 * (≈ 3.5 KB, a finding with 40 attackers over 20 targets), 100 events per transaction
 * into a SQLite file, with a subscriber on the memory bus receiving every live copy.
 *
 * Per event: `journal_us` (checks, serialisation and the row, inside the transaction) and
 * `commit_publish_us` (its share of the COMMIT and of the live publishes after it), then
 * events/s. No target of its own: it is the part of ingest and correlate batches that
 * events cost. Progress on stderr, one JSON line on stdout; default < 60 s, `--quick` < 15 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus, MemoryHub, silentLogger, systemClock, topics } from '../src/bus/index.js';
import { journalAndPublish, openDatabase } from '../src/db/index.js';
import { progress, readFlags, report, round } from './harness.js';

const flags = readFlags();
const ROUNDS = flags.quick ? 150 : 600;
const WARMUP = 50;
const PER_TX = 100;

const uuid = (k: number): string => `0190a0b0-0000-7000-8000-${String(k).padStart(12, '0')}`;

const SHAPES = {
  captured: {
    topic: topics.credential(topics.CREDENTIAL_CAPTURED),
    payload: (i: number) => ({ secret_sha256: 'a'.repeat(64), secret_kind: 'plaintext', attacker_ip: `203.0.113.${i & 255}`, decky: 'decky-01', service: 'ssh' }),
  },
  reuse: {
    topic: topics.credential(topics.CREDENTIAL_REUSE_DETECTED),
    payload: (i: number) => ({
      id: uuid(i),
      secret_sha256: 'b'.repeat(64),
      secret_kind: 'plaintext',
      principal: 'root',
      target_count: 20,
      attempt_count: 60,
      attacker_uuids: Array.from({ length: 40 }, (_, k) => uuid(k)),
      attacker_ips: Array.from({ length: 40 }, (_, k) => `203.0.113.${k}`),
      deckies: Array.from({ length: 20 }, (_, k) => `decky-${String(k).padStart(2, '0')}`),
      services: ['ftp', 'http', 'ssh'],
      targets: Array.from({ length: 20 }, (_, k) => ({ decky: `decky-${String(k).padStart(2, '0')}`, service: 'ssh' })),
      first_seen: '2026-05-01T12:00:00.000000Z',
      last_seen: '2026-05-01T12:00:09.000000Z',
      reason: 'new_attackers' as const,
      truncated: false,
    }),
  },
};

async function scenario(home: string, shape: keyof typeof SHAPES): Promise<Record<string, unknown>> {
  const { topic, payload } = SHAPES[shape];
  const db = await openDatabase({ url: `sqlite:${join(home, `${shape}.db`)}`, home, log: silentLogger });
  const hub = new MemoryHub();
  const bus = new MemoryBus({ name: 'bench-producer', hub, clock: systemClock });
  const watcher = new MemoryBus({ name: 'bench-watch', hub, clock: systemClock });
  const sub = watcher.subscribe(topic, { queue: 1_000_000 });
  await sub.ready;
  let received = 0;
  const receiving = (async () => {
    for await (const _ of sub) received++;
  })();
  let journalMs = 0;
  let afterMs = 0;
  let events = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    let t1 = t0;
    await db.write(
      async (tx) => {
        for (let i = 0; i < PER_TX; i++) await journalAndPublish(tx, bus, topic, payload(r * PER_TX + i));
        t1 = performance.now();
      },
      { locks: ['events'] },
    );
    const t2 = performance.now();
    if (r < WARMUP) continue;
    journalMs += t1 - t0;
    afterMs += t2 - t1;
    events += PER_TX;
  }
  const used = process.cpuUsage(c0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (received !== ROUNDS * PER_TX) throw new Error(`the subscriber received ${received} of ${ROUNDS * PER_TX} live copies`);
  await sub.close();
  await receiving;
  await Promise.all([bus.close(), watcher.close()]);
  await db.close();
  const perEvent = (ms: number): number => round((ms * 1000) / events, 1);
  const row = { scenario: shape, topic, payload_bytes: JSON.stringify(payload(0)).length, events, journal_us: perEvent(journalMs), commit_publish_us: perEvent(afterMs), events_per_s: Math.round(events / ((journalMs + afterMs) / 1000)), cpu_events_per_s: Math.round((ROUNDS * PER_TX) / ((used.user + used.system) / 1e6)) };
  progress(`${shape.padEnd(9)} ${String(row.payload_bytes).padStart(5)} B  journal ${row.journal_us} µs + commit/publish ${row.commit_publish_us} µs per event  ${row.events_per_s.toLocaleString('en-US')} events/s`);
  return row;
}

const home = mkdtempSync(join(tmpdir(), 'decnet-bench-journal-'));
try {
  const results = [await scenario(home, 'captured'), await scenario(home, 'reuse')];
  report('journal', results, { quick: flags.quick, per_transaction: PER_TX });
} finally {
  rmSync(home, { recursive: true, force: true });
}
