/**
 * `decnet demo` (CORRECTIONS #7.8): replays the three example files through the running
 * stack so a new user sees events, an attacker list and a credential-reuse finding within
 * a minute. It needs a live `decnet up` on the same `DECNET_HOME` (`up.json`); without one
 * it says how to start it and exits 1. The lines' times are shifted to end now, written
 * to fresh files (so every run is a fresh ingest source), and ingested in steps over at
 * most 30 s through ingest's own `ingestFile`, on the bus `decnet up` runs (its
 * `system.log` and `credential.captured` wake `correlate`). Then it prints the URLs.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { getBus } from '../bus/index.js';
import { ingestFile } from '../ingest/index.js';
import { deltaToNow, shiftLine } from './demo-replay.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';
import { openCliRuntime, untilSignal, withConfigFlag } from './runtime-options.js';

/** examples/, from dist/src/cli/demo.js or src/cli/demo.ts. */
const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
const EXAMPLES_SRC = fileURLToPath(new URL('../../examples', import.meta.url));
/** The pacing limit of CORRECTIONS #7.8 (s). */
const MAX_PACE_SECS = 30;
const STEPS = 10;

interface UpFile {
  readonly pid: number;
  readonly api_url: string;
  readonly bus: string;
  readonly socket: string | null;
}

function readUpFile(home: string): UpFile | undefined {
  const path = join(home, 'up.json');
  if (!existsSync(path)) return undefined;
  try {
    const up = JSON.parse(readFileSync(path, 'utf8')) as UpFile;
    process.kill(up.pid, 0); // throws when the process is gone (a stale file)
    return up;
  } catch {
    return undefined;
  }
}

function exampleFiles(dir: string | undefined): string[] {
  const root = dir ?? (existsSync(EXAMPLES) ? EXAMPLES : EXAMPLES_SRC);
  if (!existsSync(root)) throw new CliExit(EXIT_USAGE, `no examples folder at ${root} (pass --examples DIR)`);
  const files = readdirSync(root).filter((f) => /\.(log|json|jsonl)$/.test(f)).sort();
  if (files.length === 0) throw new CliExit(EXIT_USAGE, `no example files (*.log, *.json) in ${root}`);
  return files.map((f) => join(root, f));
}

export function registerDemo(program: Command): void {
  withConfigFlag(program.command('demo').description('replay the example honeypot logs through the running `decnet up`, then print the URLs to visit'))
    .option('--pace <secs>', `spread the replay over this many seconds (0–${MAX_PACE_SECS})`, '20')
    .option('--examples <dir>', 'the folder of example files (default: the shipped examples/)')
    .action(async (opts: { config?: string; pace: string; examples?: string }) => {
      const pace = Number(opts.pace);
      if (!/^\d+(\.\d+)?$/.test(opts.pace) || pace > MAX_PACE_SECS) throw new CliExit(EXIT_USAGE, `--pace must be 0–${MAX_PACE_SECS} seconds, got ${JSON.stringify(opts.pace)}`);
      const files = exampleFiles(opts.examples);
      const runtime = await openCliRuntime(opts, undefined, 'decnet-demo');
      const signal = untilSignal();
      const print = (line: string): void => void process.stdout.write(`${line}\n`);
      try {
        const up = readUpFile(runtime.config.home);
        if (!up) throw new CliExit(EXIT_FAILURE, `no running \`decnet up\` on ${runtime.config.home}: start it first (in another terminal: decnet up), then run decnet demo again`);
        const busEnv = { ...process.env, DECNET_BUS_TYPE: up.bus === 'memory' ? 'null' : up.bus, ...(up.socket ? { DECNET_BUS_SOCKET: up.socket } : {}) };
        const bus = getBus({ name: 'decnet-demo', env: busEnv, clock: runtime.clock, log: runtime.log });
        const work = mkdtempSync(join(tmpdir(), 'decnet-demo-'));
        try {
          const contents = files.map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== ''));
          const delta = deltaToNow(contents, Math.round(runtime.clock.now() * 1000));
          const shifted = contents.map((lines) => lines.map((l) => shiftLine(l, delta)));
          const targets = files.map((f) => join(work, basename(f)));
          targets.forEach((t) => writeFileSync(t, ''));
          print(`replaying ${files.length} example files (${shifted.reduce((a, l) => a + l.length, 0)} lines) into ${up.api_url} over ${pace} s…`);
          const deps = { db: runtime.db, bus, config: runtime.config, log: runtime.log, clock: runtime.clock, signal };
          const totals = { lines: 0, parsed: 0, events: 0 };
          for (let step = 1; step <= STEPS && !signal.aborted; step++) {
            for (let i = 0; i < targets.length; i++) {
              const lines = shifted[i] as string[];
              const from = Math.floor(((step - 1) * lines.length) / STEPS);
              const to = Math.floor((step * lines.length) / STEPS);
              if (to === from) continue;
              appendFileSync(targets[i] as string, `${lines.slice(from, to).join('\n')}\n`);
              const s = await ingestFile(deps, { file: targets[i] as string, format: 'auto', follow: false, fromStart: false });
              totals.lines += s.lines;
              totals.parsed += s.parsed;
              totals.events += s.events;
            }
            if (step < STEPS && pace > 0) await runtime.clock.sleep((pace * 1000) / STEPS, signal).catch(() => undefined);
          }
          print(`ingested ${totals.lines} lines (${totals.parsed} parsed, ${totals.events} events); correlate folds them within seconds. Visit, with a viewer token:`);
          for (const path of ['/attackers', '/attackers/198.51.100.23', '/credential-reuse', '/logs?attacker_ip=198.51.100.23', '/ingest/status', '/stream?topics=attacker.>,credential.>&logs=1']) print(`  ${up.api_url}/api/v1${path}`);
        } finally {
          await bus.close();
          rmSync(work, { recursive: true, force: true });
        }
      } finally {
        await runtime.close();
      }
    });
}
