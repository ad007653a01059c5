/**
 * Spawning the built CLI (Node 20 cannot run .ts): `npm test` builds first;
 * `ensureBuilt()` builds when a test file runs alone.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'decnet.js');

export function ensureBuilt(): void {
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
}

export interface Spawned {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout match of `re`. */
  waitFor(re: RegExp, safetyMs?: number): Promise<RegExpMatchArray>;
}

export function spawnCli(args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const s: Spawned = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor: (re, safetyMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = s.stdout.match(re);
          if (m) {
            clearTimeout(timer);
            child.stdout?.off('data', check);
            resolve(m);
          }
          return Boolean(m);
        };
        const timer = setTimeout(() => reject(new Error(`no ${re} on stdout within the safety limit; stdout: ${s.stdout}\nstderr: ${s.stderr}`)), safetyMs);
        if (!check()) child.stdout?.on('data', check);
        void s.exited.then(() => {
          if (!check()) {
            clearTimeout(timer);
            reject(new Error(`exited before ${re}; stdout: ${s.stdout}\nstderr: ${s.stderr}`));
          }
        });
      }),
  };
  child.stdout?.on('data', (d: Buffer) => (s.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (s.stderr += d.toString()));
  return s;
}

/** What a CLI test leaves behind: processes, temp homes and database handles. */
export interface CliLeftovers {
  readonly running: Spawned[];
  readonly homes: string[];
  readonly dbs: { close(): Promise<void> }[];
}

/** Registers an `afterEach` that kills what is still running, closes handles and removes homes. */
export function cleanUpAfterEach(): CliLeftovers {
  const left: CliLeftovers = { running: [], homes: [], dbs: [] };
  afterEach(async () => {
    for (const s of left.running.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await s.exited;
    }
    for (const d of left.dbs.splice(0)) await d.close();
    for (const home of left.homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });
  return left;
}
