/**
 * `decnet sub PATTERN...`: print events as they arrive, one line each — a
 * readable line in a terminal, JSON lines otherwise (or with --json). An event
 * matching several patterns prints once. Rides out a broker restart.
 */
import type { Command } from 'commander';
import { validatePattern, type Bus, type BusEvent } from '../bus/index.js';
import { connectCliBus, usageOnTopicError } from './bus-client.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';

interface SubOptions {
  socket?: string;
  json?: boolean;
  count?: string;
  timeout?: string;
}

function positiveNumber(raw: string | undefined, flag: string, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliExit(EXIT_USAGE, `${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** `12:34:56.789 attacker.observed observed {"attacker_ip":"…"}` */
export function humanLine(ev: BusEvent): string {
  const time = new Date(ev.ts * 1000).toISOString().slice(11, 23);
  return `${time} ${ev.topic} ${ev.type || '-'} ${JSON.stringify(ev.payload)}`;
}

/** Remembers the last `size` ids, to print an event once however many patterns match it. */
class RecentIds {
  private readonly seen = new Set<string>();
  constructor(private readonly size: number) {}
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.size) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

async function stream(bus: Bus, patterns: string[], emit: (ev: BusEvent) => boolean, stop: AbortSignal): Promise<void> {
  const subs = patterns.map((p) => bus.subscribe(p, { queue: 10_000 }));
  stop.addEventListener('abort', () => void Promise.all(subs.map((s) => s.close())), { once: true });
  const recent = new RecentIds(10_000);
  const controller = new AbortController();
  await Promise.all(
    subs.map(async (sub) => {
      for await (const ev of sub) {
        if (controller.signal.aborted) break;
        if (recent.firstTime(ev.id) && !emit(ev)) {
          controller.abort();
          await Promise.all(subs.map((s) => s.close()));
        }
      }
    }),
  );
}

export function registerSub(program: Command): void {
  program
    .command('sub')
    .description('print events matching the patterns as they arrive (`*` one token, `>` the rest)')
    .argument('<pattern...>', "patterns, e.g. 'attacker.>' 'system.*.health'")
    .option('--socket <path>', 'broker socket (default: DECNET_BUS_SOCKET, then $DECNET_HOME/bus.sock)')
    .option('--json', 'one JSON envelope per line (the default when stdout is not a terminal)')
    .option('--count <n>', 'exit 0 after N events')
    .option('--timeout <secs>', 'stop after S seconds (exit 1 if --count was not reached)')
    .action(async (patterns: string[], opts: SubOptions) => {
      try {
        for (const p of patterns) validatePattern(p);
      } catch (err) {
        usageOnTopicError(err);
      }
      const count = positiveNumber(opts.count, '--count', true);
      const timeoutS = positiveNumber(opts.timeout, '--timeout', false);
      const asJson = opts.json === true || !process.stdout.isTTY;
      const bus = await connectCliBus({ socket: opts.socket, name: 'decnet-sub' });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let printed = 0;
      let timedOut = false;
      const timer = timeoutS === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, timeoutS * 1000);
      try {
        await stream(bus, patterns, (ev) => {
          process.stdout.write(`${asJson ? JSON.stringify(ev) : humanLine(ev)}\n`);
          printed++;
          return count === undefined || printed < count;
        }, stop.signal);
      } finally {
        clearTimeout(timer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await bus.close();
      }
      if (timedOut && count !== undefined && printed < count) {
        throw new CliExit(EXIT_FAILURE, `--timeout ${timeoutS}s reached after ${printed} of ${count} events`);
      }
    });
}
