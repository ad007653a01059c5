/**
 * The disabled bus (DECNET_BUS_ENABLED=false): validates exactly like the real
 * transports, so a caller bug still surfaces, then drops every event.
 */
import { BaseBus } from '../base-bus.js';
import type { PreparedEvent } from '../prepare.js';

export class NullBus extends BaseBus {
  readonly transport = 'null' as const;

  protected start(): void {
    this.setState('connected');
  }

  protected send(_event: PreparedEvent): void {
    // disabled: nothing leaves, nothing arrives
  }

  protected route(_pattern: string): Promise<void> {
    return Promise.resolve();
  }

  protected unroute(_pattern: string): void {}

  protected async shutdown(): Promise<void> {}
}
