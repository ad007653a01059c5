/**
 * The main process's side of the workers: fork (the compiled worker.js beside this
 * file), typed requests with one reply each, notices, and cleanup. Every child and
 * every temporary directory is registered here, so an exit for any reason (end, error,
 * Ctrl-C) kills the children and removes the socket files.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Down, Notice, Op, Replies, RequestOf, Up } from './ipc.js';

const WORKER = new URL('./worker.js', import.meta.url);
/** A request that takes longer than this is a hung worker (ms). */
const CALL_TIMEOUT_MS = 30_000;

const live = new Set<Worker>();
const tempDirs = new Set<string>();
/** Other children (a private nats-server): killed when the bench exits. */
const others = new Set<ChildProcess>();

interface Pending {
  resolve(v: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Worker {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly noticeListeners = new Set<(n: Notice) => void>();
  private exitError: Error | undefined;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (msg: Up) => this.onMessage(msg));
    proc.on('exit', (code, signal) => {
      live.delete(this);
      this.exitError = new Error(`worker ${name} exited (${signal ?? `code ${code}`})`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(this.exitError);
      }
      this.pending.clear();
    });
  }

  /** Forks a worker (with extra Node flags, e.g. `--cpu-prof`) and waits for it to report in. */
  static spawn(name: string, execArgv: readonly string[] = []): Promise<Worker> {
    // the child's stdout goes to our stderr: our stdout carries only the JSON line
    const proc = fork(WORKER, [name], { serialization: 'advanced', stdio: ['ignore', 2, 2, 'ipc'], execArgv: [...process.execArgv, ...execArgv] });
    const w = new Worker(name, proc);
    live.add(w);
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error(`worker ${name} exited before it started`));
      proc.once('exit', onExit);
      proc.once('message', () => {
        proc.off('exit', onExit);
        resolve(w);
      });
    });
  }

  call<K extends Op>(req: RequestOf<K>): Promise<Replies[K]> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = ++this.nextId;
    return new Promise<Replies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.name}: ${req.op} got no answer within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ id, req });
    });
  }

  notify(notice: Notice): void {
    this.post({ notice });
  }

  onNotice(fn: (n: Notice) => void): () => void {
    this.noticeListeners.add(fn);
    return () => this.noticeListeners.delete(fn);
  }

  /** Asks the worker to exit (closing the IPC channel makes it release what it holds); kills it after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private post(msg: Down): void {
    if (this.proc.connected) this.proc.send(msg);
  }

  private onMessage(msg: Up): void {
    if ('notice' in msg) {
      for (const fn of this.noticeListeners) fn(msg.notice);
      return;
    }
    if (!('id' in msg)) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`worker ${this.name}: ${msg.error}`));
  }
}

/** Kills `proc` when the bench exits (unless it is gone by then). */
export function killOnExit(proc: ChildProcess): void {
  others.add(proc);
  proc.once('exit', () => others.delete(proc));
}

/** Removes `dir` (with its socket files) when the bench exits. */
export function removeOnExit(dir: string): void {
  tempDirs.add(dir);
}

/** Stops every worker still alive, gracefully first, and the other children. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.stop()));
  for (const p of others) p.kill('SIGTERM');
}

/** Last resort, synchronous (an `exit` handler can do nothing else): kill the children, remove the directories. */
function hardCleanup(): void {
  for (const w of live) w.proc.kill('SIGKILL');
  for (const p of others) p.kill('SIGTERM');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.on('exit', hardCleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`bus: ${sig}, cleaning up\n`);
    void stopAll().finally(() => process.exit(130));
  });
}
