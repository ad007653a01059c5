/**
 * Running one worker as a child process: `node <command…>` with an IPC channel.
 * The child is detached (its own process group: Ctrl-C reaches the supervisor
 * only, which stops children in order) and exits when the channel closes, so
 * a killed supervisor leaves no orphans (CORRECTIONS #5.17).
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ChildRun {
  readonly child: ChildProcess;
  /** Resolves with how the child ended, e.g. `exit 0`, `signal SIGKILL`. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(command: readonly string[], env: NodeJS.ProcessEnv): ChildRun {
  const [script, ...args] = command;
  if (!script) throw new Error('empty worker command');
  const child = fork(script, args, { env: { ...env, DECNET_SUPERVISED: '1' }, detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { child, ended };
}

/** Asks a child to stop (SIGTERM), then kills it after `graceMs`. */
export async function stopChild(run: ChildRun, graceMs: number): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), graceMs);
  timer.unref();
  await run.ended;
  clearTimeout(timer);
}

/**
 * In a supervised child: exit when the supervisor's IPC channel closes. Call
 * once at the start of a worker command.
 */
export function exitWithSupervisor(onGone: () => void): void {
  if (process.env.DECNET_SUPERVISED !== '1' || !process.connected) return;
  process.on('disconnect', onGone);
}

/**
 * In a supervised child whose work is done: let go of the IPC channel, which would
 * otherwise keep the process alive after a stop until the supervisor's SIGKILL.
 */
export function releaseSupervisor(): void {
  process.channel?.unref();
}
