/**
 * The in-process transport: buses created on one hub share it like clients of
 * one broker, so several workers in one process (`decnet up --bus memory`)
 * talk without a socket. Delivery is synchronous, so one publisher's events
 * arrive in order; every subscriber gets its own JSON round-trip copy.
 */
import { BaseBus, type BusOptions } from '../base-bus.js';
import type { PreparedEvent } from '../prepare.js';
import { SubscriptionIndex } from '../subscription-index.js';

/** The in-process broker that memory buses attach to. */
export class MemoryHub {
  private readonly index = new SubscriptionIndex<MemoryBus>();
  /** Events routed through this hub. */
  routed = 0;

  attach(pattern: string, bus: MemoryBus): void {
    this.index.add(pattern, bus);
  }

  detach(pattern: string, bus: MemoryBus): void {
    this.index.remove(pattern, bus);
  }

  route(event: PreparedEvent): void {
    this.routed++;
    for (const bus of this.index.matchSet(event.topic)) bus.receive(event);
  }
}

/** The hub `getBus()` hands to every memory bus of the process. */
export const processHub = new MemoryHub();

export interface MemoryBusOptions extends BusOptions {
  readonly hub?: MemoryHub;
}

export class MemoryBus extends BaseBus {
  readonly transport = 'memory' as const;
  private readonly hub: MemoryHub;

  constructor(opts: MemoryBusOptions) {
    super(opts);
    this.hub = opts.hub ?? processHub;
  }

  protected start(): void {
    this.setState('connected');
  }

  protected send(event: PreparedEvent): void {
    this.hub.route(event);
  }

  /** Called by the hub for an event one of this bus's patterns matches. */
  receive(event: PreparedEvent): void {
    this.deliverLocal(event.topic, event.envelopeJson);
  }

  protected route(pattern: string): Promise<void> {
    this.hub.attach(pattern, this);
    return Promise.resolve();
  }

  protected unroute(pattern: string): void {
    this.hub.detach(pattern, this);
  }

  protected async shutdown(): Promise<void> {
    for (const pattern of this.routedPatterns()) this.hub.detach(pattern, this);
  }
}
