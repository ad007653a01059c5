/**
 * bench:webhook — deliveries/s from the outbox to a local receiver (performance.md:
 * target ≥ 2,000/s on SQLite), end to end through the real worker: journal rows →
 * outbox rows (one transaction per 500 events) → claims and results in batched
 * transactions → signed POSTs (both schemes, canonical bodies) over undici keep-alive
 * pools pinned to 127.0.0.1. The receiver is another process (node:http) answering 200.
 *
 * Scenarios: one subscription at the default limits (16 in flight, 4 per subscription),
 * and four subscriptions on the same receiver (16 in flight). p50/p99 are per attempt
 * (request to response as the worker sees it). Progress on stderr, one JSON line on
 * stdout. Default < 60 s; `--quick` < 15 s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NullBus, newEventId, silentLogger, systemClock } from '../src/bus/index.js';
import { loadConfig } from '../src/config/index.js';
import { appendJournalEntry, openDatabase, type Db } from '../src/db/index.js';
import { deriveKey } from '../src/secrets/index.js';
import { runWebhook, sealSecret, JOURNAL_CURSOR } from '../src/webhook/index.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

if (process.argv.includes('--receiver')) {
  // the receiver process: 200 for everything, as fast as node:http goes
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.send?.({ port: typeof a === 'object' && a ? a.port : 0 });
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

interface Scenario {
  readonly name: string;
  readonly subscriptions: number;
  readonly events: number;
}

async function startReceiver(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--receiver'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return { child, url: `http://127.0.0.1:${port}/hook` };
}

async function fillJournal(db: Db, n: number): Promise<void> {
  const payload = { technique_id: 'T1110', sub_technique_ids: ['T1110.001'], tactic_ids: ['TA0006'], tag_uuids: [randomUUID()], rule_ids: ['R0001'], attacker_ip: '198.51.100.23', attacker_uuid: null, identity_uuid: null, session_id: null, max_confidence: 0.9 };
  for (let i = 0; i < n; i += 1000) {
    await db.write(async (tx) => {
      for (let j = i; j < Math.min(n, i + 1000); j++) await appendJournalEntry(tx, { topic: 'ttp.rule.fired.T1110', type: 'rule.fired', id: newEventId(), ts: Date.now() / 1000, payload: { ...payload, n: j } });
    });
  }
}

async function run(s: Scenario, receiverUrl: string): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(tmpdir(), 'dn-bench-wh-'));
  const config = loadConfig({ env: { DECNET_HOME: home, DECNET_BUS_TYPE: 'null', DECNET_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' } });
  const db = await openDatabase({ home, log: silentLogger, strictPayloads: false });
  const master = randomBytes(32);
  const key = deriveKey(master, 'webhook-secret');
  try {
    for (let i = 0; i < s.subscriptions; i++) {
      const id = randomUUID();
      await db.repos.webhookSubscriptions.create({ id, name: `bench-${i}`, url: receiverUrl, secretEnc: sealSecret(key, id, 'secret_enc', randomBytes(32).toString('base64url')), topicPatterns: ['ttp.>'], enabled: true });
    }
    await fillJournal(db, s.events);
    await db.write((tx) => db.repos.cursors.set(tx, JOURNAL_CURSOR.worker, JOURNAL_CURSOR.name, 0)); // read the whole journal
    const expected = s.events * s.subscriptions;
    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    const stop = new AbortController();
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const worker = runWebhook({
      bus: new NullBus({ name: 'bench' }),
      db,
      config,
      log: silentLogger,
      clock: systemClock,
      signal: stop.signal,
      masterKey: master,
      onAttempt: (result, ms) => {
        latencies.push(ms);
        if (result.outcome.kind === 'ok') ok++;
        else failed++;
        if (ok % 5000 === 0) progress(`webhook: ${s.name}: ${ok}/${expected} delivered`);
        if (ok >= expected) done();
      },
    });
    await Promise.race([finished, worker]);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    stop.abort();
    await worker;
    const succeeded = (await db.kysely.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'succeeded').executeTakeFirstOrThrow()).n;
    const row = {
      scenario: s.name,
      subscriptions: s.subscriptions,
      deliveries: ok,
      failed_attempts: failed,
      rows_succeeded: Number(succeeded),
      seconds: round(elapsed, 2),
      deliveries_per_s: Math.round(ok / elapsed),
      /** The worker process's CPU per delivery (user + system): what a free core would sustain is 1000 / this. */
      worker_cpu_ms_per_delivery: round((cpu.user + cpu.system) / 1000 / ok, 4),
      deliveries_per_worker_cpu_s: Math.round(ok / ((cpu.user + cpu.system) / 1e6)),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      target_per_s: 2000,
    };
    progress(`webhook: ${s.name}: ${row.deliveries_per_s} deliveries/s (${row.deliveries_per_worker_cpu_s} per worker CPU-second), p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms`);
    return row;
  } finally {
    await db.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const flags = readFlags();
  const events = flags.quick ? 4000 : 20_000;
  const scenarios: Scenario[] = [
    { name: '1-subscription', subscriptions: 1, events },
    { name: '4-subscriptions', subscriptions: 4, events: Math.round(events / 2) },
  ];
  const receiver = await startReceiver();
  try {
    const results = [];
    for (const s of scenarios) results.push(await run(s, receiver.url));
    report('webhook', results, { sqlite: true, signing: ['standard-webhooks', 'x-decnet'] });
  } finally {
    receiver.child.disconnect();
  }
}
