/**
 * bench:bus — the bus benchmark of performance.md (issue #3 item 6, CORRECTIONS #3.7,
 * #3.8, #3.11):
 *
 * - 1→1, 1→10, 10→1 at 128 B and 1 KiB payloads, each with a saturated phase and two
 *   paced latency phases (10k events/s and half the saturated rate), over the unix
 *   broker through our client (`decnet`) and raw (codec frames), nats-server through the
 *   official client (raw), and the in-process memory transport, side by side in one run;
 * - `routing`: broker CPU per event with 10 / 1,000 / 100,000 subscriptions, one matching;
 * - the memory test: broker RSS with 1,000 idle clients and a stalled subscriber under a
 *   flood, and the broker's dropped counter.
 *
 * Publishers, subscribers and the broker run in separate worker processes (worker.ts);
 * main only orchestrates and relays flow-control credit. Progress goes to stderr; the
 * last stdout line is one JSON object: {"bench":"bus", summary…, "results":[…]}.
 *
 * Flags: --quick (under 15 s); --only=TEXT runs only the throughput rows whose label
 * (`unix/raw 1->1 1024`) contains TEXT, for a closer look at one of them (routing and the
 * memory test are then skipped); --profile runs the broker under `--cpu-prof` and names
 * its .cpuprofile and hottest functions in the JSON (`broker_profile`), to see where a
 * miss comes from. Environment: BENCH_NATS_URL (default nats://127.0.0.1:4222; when nothing
 * answers there and `nats-server` is installed, a private one is started).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progress, readFlags, report } from '../harness.js';
import { budget as budgetFor, FDS_NEEDED, PAYLOAD_SIZES, POOL_SIZE, SCENARIOS } from './config.js';
import { requireOpenFiles } from './fds.js';
import { summariseProfile, type ProfileSummary } from './profile.js';
import type { Endpoint } from './ipc.js';
import { runMemoryCombo } from './memory.js';
import { removeOnExit, stopAll, Worker } from './pool.js';
import { findNatsServer } from './nats-server.js';
import { runRouting, routingRatio, type RoutingRow } from './routing.js';
import { describe, type ThroughputRow } from './rows.js';
import { runMemoryTest, type MemoryTest } from './rss.js';
import { runCombo } from './scenarios.js';
import { targets, unixVsNats } from './targets.js';

const MAX_SOCKET_PATH_BYTES = 107;

interface Skipped {
  readonly transport: 'nats';
  readonly client: 'raw';
  readonly skipped: string;
}

function socketPaths(): { main: string; rss: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dnbus-'));
  removeOnExit(dir);
  const paths = { main: join(dir, 'bus.sock'), rss: join(dir, 'rss.sock') };
  for (const p of Object.values(paths)) {
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH_BYTES) throw new Error(`socket path ${p} is over ${MAX_SOCKET_PATH_BYTES} bytes; set TMPDIR to a shorter directory`);
  }
  return paths;
}

/** What the run gathered so far: a failure halfway still reports it. */
interface Gathered {
  readonly results: Array<ThroughputRow | RoutingRow | Skipped>;
  readonly throughput: ThroughputRow[];
  routing: RoutingRow[];
  memoryTest: MemoryTest | undefined;
  profile: ProfileSummary | null;
}

interface RunOptions {
  readonly quick: boolean;
  /** Only the throughput rows whose label contains this. */
  readonly only: string | undefined;
  /** Where the broker writes its CPU profile (--profile). */
  readonly profileDir: string | undefined;
}

const benchStart = performance.now();

/** A progress line on stderr, stamped with the seconds since start. */
function note(msg: string): void {
  progress(`bus: [${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${msg}`);
}

async function run({ quick, only, profileDir }: RunOptions, out: Gathered): Promise<void> {
  const budget = budgetFor(quick);
  const wanted = (label: string): boolean => only === undefined || label.includes(only);

  requireOpenFiles(FDS_NEEDED);
  const sockets = socketPaths();
  const nats = await findNatsServer(process.env.BENCH_NATS_URL);
  if (nats.url === null) {
    note(`${nats.reason} (${process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222'}, and none could be started); skipping NATS`);
    out.results.push({ transport: 'nats', client: 'raw', skipped: nats.reason });
  } else if (nats.started) {
    note(`started a private nats-server at ${nats.url}`);
  }
  const natsUp = nats.url !== null;
  const natsServer = nats.url ?? '';
  note(`${quick ? 'quick' : 'full'} run; broker on ${sockets.main}; starting ${POOL_SIZE} workers`);
  const broker = await Worker.spawn('broker', profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  await broker.call({ op: 'broker.start', socketPath: sockets.main });
  const pool = await Promise.all(Array.from({ length: POOL_SIZE }, (_, i) => Worker.spawn(`w${i}`)));

  const endpoints: Endpoint[] = [
    { transport: 'unix', client: 'decnet', socketPath: sockets.main, natsServer },
    { transport: 'unix', client: 'raw', socketPath: sockets.main, natsServer },
    ...(natsUp ? [{ transport: 'nats' as const, client: 'raw' as const, socketPath: '', natsServer }] : []),
    // NATS through our own transport too, beside unix through our client (not in --quick)
    ...(natsUp && !quick ? [{ transport: 'nats' as const, client: 'decnet' as const, socketPath: '', natsServer }] : []),
  ];
  let n = 0;
  const topic = (): string => `bench.bus.c${String(++n).padStart(3, '0')}`;
  const keep = (row: ThroughputRow): void => {
    note(describe(row));
    out.throughput.push(row);
    out.results.push(row);
  };
  // interleaved, so that drift on a shared machine hits every transport alike
  for (const scenario of SCENARIOS) {
    for (const payloadBytes of PAYLOAD_SIZES) {
      for (const endpoint of endpoints) {
        // NATS through our transport: 1->1 only (the time budget)
        if (endpoint.transport === 'nats' && endpoint.client === 'decnet' && scenario.name !== '1->1') continue;
        if (!wanted(`${endpoint.transport}/${endpoint.client} ${scenario.name} ${payloadBytes}`)) continue;
        keep(await runCombo({ endpoint, scenario, payloadBytes, topic: topic(), budget, pool, ...(endpoint.transport === 'unix' ? { broker } : {}) }));
      }
      if (wanted(`memory/decnet ${scenario.name} ${payloadBytes}`)) keep(await runMemoryCombo(scenario, payloadBytes, topic(), budget));
    }
  }
  if (only === undefined) {
    out.routing = await runRouting(broker, pool[0]!, pool[1]!, sockets.main, budget, note);
    out.results.push(...out.routing);
  }
  await broker.stop(); // writes its profile, if any
  if (profileDir !== undefined) out.profile = summariseProfile(profileDir);
  if (only !== undefined) return;

  note('memory test (1,000 idle clients, a stalled subscriber, a flood)');
  const mt = await runMemoryTest(sockets.rss, pool[0]!, pool[1]!, budget);
  out.memoryTest = mt;
  const m = mt.broker_rss_mib;
  note(`broker RSS ${m.fresh} → ${m.with_clients} (clients) → peak ${m.peak} → ${m.after} MiB; dropped ${mt.broker_dropped}`);
}

async function main(): Promise<void> {
  const flags = readFlags();
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const profileDir = process.argv.includes('--profile') ? mkdtempSync(join(tmpdir(), 'decnet-bus-profile-')) : undefined;
  const out: Gathered = { results: [], throughput: [], routing: [], memoryTest: undefined, profile: null };
  let failure: string | undefined;
  try {
    await run({ quick: flags.quick, only, profileDir }, out);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    note(`FAILED: ${failure}`);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
  const ratio = routingRatio(out.routing);
  report('bus', out.results, {
    quick: flags.quick,
    ...(failure === undefined ? {} : { error: failure }),
    ...(profileDir === undefined ? {} : { broker_profile: out.profile ?? { dir: profileDir } }),
    elapsed_s: Math.round((performance.now() - benchStart) / 100) / 10,
    ratio_unix_vs_nats_1to1: unixVsNats(out.throughput, 'raw'),
    ratio_unix_vs_nats_decnet_1to1: unixVsNats(out.throughput, 'decnet'),
    routing: { ratio_100k_vs_10: ratio, target_max_ratio: 2 },
    memory_test: out.memoryTest ?? null,
    targets: targets(out.throughput, out.routing, ratio, out.memoryTest),
  });
}

await main();
