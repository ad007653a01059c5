/**
 * bench:match — routing one topic through the subscription index at 10, 1k
 * and 100k subscriptions, one of which matches (performance.md `routing`:
 * the cost at 100k stays within 2× of 10).
 */
import { SubscriptionIndex } from '../src/bus/index.js';
import { percentile, progress, readFlags, report, round } from './harness.js';

const flags = readFlags();
const sizes = [10, 1_000, 100_000];
const batch = 1000;
const batches = flags.quick ? 200 : 2000;

function build(n: number): SubscriptionIndex<number> {
  const index = new SubscriptionIndex<number>();
  index.add('attacker.session.ended', 0);
  // unrelated subscriptions of every shape: literals, `*`, `>`
  for (let i = 1; i < n; i++) {
    const shape = i % 3;
    if (shape === 0) index.add(`decky.d${i}.state`, i);
    else if (shape === 1) index.add(`topology.t${i}.*`, i);
    else index.add(`canary.c${i}.>`, i);
  }
  return index;
}

const results = [];
for (const n of sizes) {
  const index = build(n);
  let hits = 0;
  const count = (): void => {
    hits++;
  };
  for (let i = 0; i < 10_000; i++) index.forEachMatch('attacker.session.ended', count); // warm-up
  const perBatch: number[] = [];
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const s = performance.now();
    for (let i = 0; i < batch; i++) index.forEachMatch('attacker.session.ended', count);
    perBatch.push((performance.now() - s) / batch);
  }
  const elapsed = performance.now() - t0;
  const routes = batches * batch;
  if (hits !== routes + 10_000) throw new Error(`expected one match per route, got ${hits}`);
  const row = {
    subscriptions: n,
    routes_per_s: Math.round(routes / (elapsed / 1000)),
    ns_per_route: round((elapsed * 1e6) / routes, 1),
    nodes_visited: index.lastVisited,
    p50_ms: round(percentile(perBatch, 50), 6),
    p99_ms: round(percentile(perBatch, 99), 6),
  };
  progress(`match: ${n} subscriptions → ${row.routes_per_s} routes/s (${row.ns_per_route} ns)`);
  results.push(row);
}
const first = results[0];
const last = results[results.length - 1];
const ratio = first && last ? round(last.ns_per_route / first.ns_per_route, 2) : 0;
report('match', results, { routing: { ratio_100k_vs_10: ratio, target_max_ratio: 2, pass: ratio <= 2 } });
