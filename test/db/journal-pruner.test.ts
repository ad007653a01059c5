/** The hourly journal pruner, on the injected clock. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../../src/bus/index.js';
import { JournalPruner, journalAndPublish, openDatabase, pruneJournal, type Db } from '../../src/db/index.js';

let home: string;
let db: Db;
const clock = new FakeClock();

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'decnet-pruner-'));
  db = await openDatabase({ home, clock });
});
afterEach(async () => {
  await db.close();
  await rm(home, { recursive: true, force: true });
});

const journalOne = (): Promise<unknown> => db.write((tx) => journalAndPublish(tx, null, 'ttp.tagged.custom', { n: 1 }, { strict: false }));

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`condition not met: ${String(cond)}`);
}

it('pruneJournal removes rows older than the retention', async () => {
  await journalOne();
  clock.advance(169 * 3_600_000);
  await journalOne();
  expect(await pruneJournal(db, 168)).toBe(1);
  expect(await db.repos.journal.countAfter(0)).toBe(1);
});

it('JournalPruner prunes at start and then every interval until stopped', async () => {
  await journalOne(); // A
  clock.advance(30 * 60_000);
  await journalOne(); // B, 30 min younger
  clock.advance(3_600_000);
  const pruner = new JournalPruner(db, { retentionHours: 1, log: silentLogger });
  pruner.start(); // A is 1 h 30 old, B exactly 1 h: only A goes
  await until(async () => (await db.repos.journal.countAfter(0)) === 1);
  clock.advance(3_600_000 - 1);
  expect(await db.repos.journal.countAfter(0)).toBe(1); // the next pass is not due yet
  clock.advance(1);
  await until(async () => (await db.repos.journal.countAfter(0)) === 0); // the timer fired
  await pruner.stop();
  await journalOne();
  clock.advance(10 * 3_600_000);
  expect(await db.repos.journal.countAfter(0)).toBe(1); // stopped: no more passes
  expect(clock.pending).toBe(0);
});
