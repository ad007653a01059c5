/**
 * The `decnet` command. Each subcommand lives in its own file under src/cli/
 * and registers itself on the program; `main` maps failures to exit codes and
 * one-line reasons.
 */
import { Command, CommanderError } from 'commander';
import { registerBus } from './bus.js';
import { registerDemo } from './demo.js';
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from './exit.js';
import { registerApi } from './api.js';
import { registerPub } from './pub.js';
import { registerUp } from './up.js';
import { registerUser } from './user.js';
import { registerSub } from './sub.js';
import { registerTopics } from './topics.js';
import { addTtpTools } from './ttp.js';
import { addBackfillCommand } from './ttp-backfill.js';
import { registerWorkerCommand } from './worker-command.js';
import { WORKERS } from '../supervisor/index.js';

import { VERSION } from './version.js';

export { VERSION };

/** One-off commands that hang off a worker's command (`decnet ttp lint`). */
const WORKER_SUBCOMMANDS: Partial<Record<string, (cmd: Command) => void>> = {
  ttp: (cmd) => {
    addTtpTools(cmd);
    addBackfillCommand(cmd);
  },
};

export function buildProgram(): Command {
  const program = new Command('decnet')
    .description('DECNET event plane: the service bus and the services on it')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of [registerUp, registerApi, registerBus, registerUser, registerTopics, registerPub, registerSub, registerDemo]) register(program);
  for (const def of WORKERS) {
    const cmd = registerWorkerCommand(program, def);
    WORKER_SUBCOMMANDS[def.name]?.(cmd);
  }
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (err instanceof CliExit) {
      if (err.message) process.stderr.write(`decnet: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`decnet: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
