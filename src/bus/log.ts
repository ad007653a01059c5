/**
 * The logger type every module takes (pino's). The application creates one
 * logger and hands children to its parts; tests pass `silentLogger`.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Logs at most once per `intervalMs` per key, and reports how many messages
 * were suppressed in between (so a flood of bad input never floods the log).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly intervalMs = 1000,
    private readonly maxKeys = 10_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (!seen && this.last.size >= this.maxKeys) this.last.clear(); // bounded memory under key floods
    this.log.warn({ ...fields, suppressed: seen?.suppressed ?? 0 }, msg);
    this.last.set(key, { at: t, suppressed: 0 });
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
