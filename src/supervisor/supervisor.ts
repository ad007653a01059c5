/**
 * `decnet up`'s supervisor (eventplane.md §2): runs the worker table in order,
 * in process or as children, restarts a worker that ended without a stop
 * (RestartPolicy), holds it `failed` after too many crashes, honours
 * `system.*.control` stop/start, and stops everything in reverse order.
 */
import type { Bus, Clock, Logger, Subscription, TimerHandle } from '../bus/index.js';
import type { ManagedWorkerState, RunState, StartOutcome, SupervisorHandle } from '../api/index.js';
import { isKnownWorker, type WorkerName } from '../api/index.js';
import { startChild, stopChild, type ChildRun } from './child.js';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import type { WorkerSpec } from './types.js';

interface Slot {
  readonly spec: WorkerSpec;
  readonly policy: RestartPolicy;
  runState: RunState;
  restarts: number;
  lastExit: string | null;
  startedMs: number;
  controller: AbortController | undefined;
  child: ChildRun | undefined;
  ended: Promise<void> | undefined;
  retryTimer: TimerHandle | undefined;
  /** A stop was asked for: the end is not a crash. */
  stopping: boolean;
}

export interface SupervisorOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly stopGraceMs?: number;
  readonly restart?: RestartPolicyOptions;
}

export class Supervisor implements SupervisorHandle {
  private readonly slots = new Map<WorkerName, Slot>();
  private readonly order: WorkerName[] = [];
  private controlSub: Subscription | undefined;
  private shuttingDown = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Adds a worker to the table (in start order). */
  add(spec: WorkerSpec): void {
    if (!spec.run === !spec.command) throw new Error(`worker ${spec.name} needs exactly one of run or command`);
    this.order.push(spec.name);
    this.slots.set(spec.name, { spec, policy: new RestartPolicy(this.opts.restart), runState: 'stopped', restarts: 0, lastExit: null, startedMs: 0, controller: undefined, child: undefined, ended: undefined, retryTimer: undefined, stopping: false });
  }

  /** Starts every worker of the table in order. */
  async startAll(): Promise<void> {
    for (const name of this.order) await this.start(name);
  }

  /** Listens for `system.*.control` on the bus (stop marks a worker stopped on purpose; start starts it). */
  listen(bus: Bus): void {
    const sub = bus.subscribe('system.*.control');
    this.controlSub = sub;
    void (async () => {
      for await (const ev of sub) {
        const name = ev.topic.split('.')[1] ?? '';
        const action = (ev.payload as { action?: unknown }).action;
        if (!isKnownWorker(name) || !this.slots.has(name)) continue;
        if (action === 'stop') await this.stop(name);
        else if (action === 'start') await this.start(name);
      }
    })();
  }

  state(name: WorkerName): ManagedWorkerState | undefined {
    const s = this.slots.get(name);
    return s ? { runState: s.runState, restarts: s.restarts, lastExit: s.lastExit } : undefined;
  }

  async start(name: WorkerName): Promise<StartOutcome> {
    const slot = this.slots.get(name);
    if (!slot) return 'not_installed';
    if (slot.runState === 'running' || slot.runState === 'starting') return 'already_running';
    if (this.shuttingDown) return 'already_running';
    this.opts.clock.clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    slot.policy.reset();
    this.launch(slot);
    return 'started';
  }

  private launch(slot: Slot): void {
    const { log, clock } = this.opts;
    slot.stopping = false;
    slot.runState = 'starting';
    slot.startedMs = clock.now();
    const name = slot.spec.name;
    let ended: Promise<string>;
    if (slot.spec.run) {
      const controller = new AbortController();
      slot.controller = controller;
      slot.runState = 'running';
      ended = slot.spec.run(controller.signal).then(
        () => (controller.signal.aborted ? 'stopped' : 'returned'),
        (err: unknown) => `crashed: ${err instanceof Error ? err.message : String(err)}`,
      );
    } else {
      const child = startChild(slot.spec.command as readonly string[], this.opts.env ?? process.env);
      slot.child = child;
      slot.runState = 'running';
      ended = child.ended.then(({ code, signal }) => (signal ? `signal ${signal}` : `exit ${code ?? '?'}`));
    }
    log.info({ worker: name }, 'worker started');
    slot.ended = ended.then((how) => this.onEnded(slot, how));
  }

  private onEnded(slot: Slot, how: string): void {
    const { log, clock } = this.opts;
    const name = slot.spec.name;
    slot.controller = undefined;
    slot.child = undefined;
    slot.lastExit = how;
    if (slot.stopping || this.shuttingDown) {
      slot.runState = 'stopped';
      log.info({ worker: name, how }, 'worker stopped');
      return;
    }
    const delay = slot.policy.onCrash(clock.now(), slot.startedMs);
    if (delay === undefined) {
      slot.runState = 'failed';
      log.error({ worker: name, how }, 'worker crashed too often; held failed until started');
      return;
    }
    slot.runState = 'backoff';
    log.warn({ worker: name, how, retry_in_ms: delay }, 'worker ended unexpectedly; restarting');
    slot.retryTimer = clock.setTimeout(() => {
      slot.retryTimer = undefined;
      if (slot.runState !== 'backoff' || this.shuttingDown) return;
      slot.restarts++;
      this.launch(slot);
    }, delay);
  }

  async stop(name: WorkerName): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.stopping = true;
    this.opts.clock.clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    if (slot.runState === 'backoff' || slot.runState === 'failed') slot.runState = 'stopped';
    slot.controller?.abort(new Error('stop requested'));
    if (slot.child) await stopChild(slot.child, this.opts.stopGraceMs ?? 10_000);
    await slot.ended;
  }

  /** Stops every worker in reverse start order. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await this.controlSub?.close();
    for (const name of [...this.order].reverse()) await this.stop(name);
  }
}
