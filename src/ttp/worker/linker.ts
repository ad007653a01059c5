/**
 * Linking (ttp.md §1.6): tags written before their attacker existed get its id — at once
 * on `attacker.observed`, and by a sweep of up to 500 unlinked addresses (every 60 s) for
 * what the event missed. It writes no tag and publishes nothing.
 */
import type { BusEvent, Logger } from '../../bus/index.js';
import type { Db } from '../../db/index.js';
import type { AttackerLookup } from './attacker-lookup.js';

const SWEEP_LIMIT = 500;

export class Linker {
  private chain = Promise.resolve();
  /** Tags linked so far. */
  linked = 0;

  constructor(
    private readonly db: Db,
    private readonly lookup: AttackerLookup,
    private readonly log: Logger,
  ) {}

  /** `attacker.observed`: links in the background, one event after the other. */
  readonly onObserved = (event: BusEvent): void => {
    const { attacker_ip: ip, attacker_uuid: uuid } = event.payload as { attacker_ip?: unknown; attacker_uuid?: unknown };
    if (typeof ip !== 'string' || typeof uuid !== 'string') return;
    this.chain = this.chain.then(() => this.link(ip, uuid)).catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ttp linking failed; the sweep retries'));
  };

  async sweep(): Promise<void> {
    for (const ip of await this.db.repos.ttpTags.unlinkedIps(SWEEP_LIMIT)) {
      const uuid = await this.lookup.idOf(ip);
      if (uuid !== null) await this.link(ip, uuid);
    }
  }

  /** Resolves when the links started so far are done. */
  drained(): Promise<void> {
    return this.chain;
  }

  private async link(ip: string, uuid: string): Promise<void> {
    this.lookup.learn(ip, uuid);
    this.linked += await this.db.repos.ttpTags.linkAttacker(ip, uuid);
  }
}
