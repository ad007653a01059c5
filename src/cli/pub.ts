/**
 * `decnet pub TOPIC [JSON|-]`: publish one event, or one per stdin line.
 * The envelope `type` comes from the catalogue; the command flushes before it
 * exits. A bad line of `-` is reported as `line N: …` and the rest still go.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { PayloadError, validateTopic, type Bus } from '../bus/index.js';
import { connectCliBus, usageOnTopicError } from './bus-client.js';
import { CliExit, EXIT_USAGE } from './exit.js';

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the payload must be a JSON object');
  return value as Record<string, unknown>;
}

async function publishStdin(bus: Bus, topic: string, type: string | undefined): Promise<{ sent: number; bad: number }> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  let sent = 0;
  let bad = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      await bus.publish(topic, parseObject(line), type === undefined ? undefined : { type });
      sent++;
    } catch (err) {
      bad++;
      process.stderr.write(`decnet pub: line ${lineNo}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return { sent, bad };
}

export function registerPub(program: Command): void {
  program
    .command('pub')
    .description('publish an event on the bus: a JSON object argument, `-` for one object per stdin line, or nothing for {}')
    .argument('<topic>', 'the topic, e.g. attacker.observed')
    .argument('[json]', 'the payload as a JSON object, or - to read one per line from stdin', '{}')
    .option('--socket <path>', 'broker socket (default: DECNET_BUS_SOCKET, then $DECNET_HOME/bus.sock)')
    .option('--type <type>', 'envelope type (default: the catalogue constant for the topic)')
    .action(async (topic: string, json: string, opts: { socket?: string; type?: string }) => {
      try {
        validateTopic(topic);
      } catch (err) {
        usageOnTopicError(err);
      }
      const single = json === '-' ? undefined : (() => {
        try {
          return parseObject(json);
        } catch (err) {
          throw new CliExit(EXIT_USAGE, `payload: ${(err as Error).message}`);
        }
      })();
      const bus = await connectCliBus({ socket: opts.socket, name: 'decnet-pub' });
      try {
        if (single) {
          await bus.publish(topic, single, opts.type === undefined ? undefined : { type: opts.type }).catch((err: unknown) => {
            if (err instanceof PayloadError) throw new CliExit(EXIT_USAGE, err.message);
            throw err;
          });
          return;
        }
        const { bad } = await publishStdin(bus, topic, opts.type);
        if (bad > 0) process.exitCode = EXIT_USAGE;
      } finally {
        await bus.close();
      }
    });
}
