/**
 * The worker's in-memory view of the enabled subscriptions: URL, opened secrets and a
 * pattern index. Reloaded on `system.webhook.subscriptions_changed`, every 60 s, and
 * when the dispatcher sees a subscription whose `updated_at` moved. The database stays
 * the truth for circuit state and enablement (the dispatcher reads those each cycle);
 * this view only supplies what cannot be read per attempt cheaply: the plaintext
 * secrets.
 */
import { SubscriptionIndex, type Logger } from '../bus/index.js';
import type { Db, WebhookSubscription } from '../db/index.js';
import { openSubscriptionSecrets } from './secrets.js';
import type { SigningSecrets } from './signing.js';

export interface ActiveSubscription {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly patterns: readonly string[];
  readonly secrets: SigningSecrets;
  readonly updatedAt: string;
}

/** Which subscriptions a topic reaches; built from any list of (id, patterns). */
export class SubscriptionMatcher {
  private readonly index = new SubscriptionIndex<string>();

  constructor(subs: Iterable<{ readonly id: string; readonly topicPatterns?: readonly string[]; readonly patterns?: readonly string[] }>) {
    for (const s of subs) for (const p of s.patterns ?? s.topicPatterns ?? []) this.index.add(p, s.id);
  }

  /** Subscription ids, each once however many of its patterns match. */
  matching(topic: string): Set<string> {
    return this.index.matchSet(topic);
  }
}

export class SubscriptionSet {
  private byId = new Map<string, ActiveSubscription>();
  private matcher = new SubscriptionMatcher([]);
  /** Subscriptions whose secret did not open, with the `updated_at` seen (reported once per version). */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
    private readonly log: Logger,
  ) {}

  /** Re-reads the enabled subscriptions and opens their secrets. */
  async reload(): Promise<void> {
    const rows = await this.db.repos.webhookSubscriptions.listEnabled();
    const next = new Map<string, ActiveSubscription>();
    for (const row of rows) {
      const active = this.activate(row);
      if (active) next.set(row.id, active);
    }
    this.byId = next;
    this.matcher = new SubscriptionMatcher(next.values());
  }

  get(id: string): ActiveSubscription | undefined {
    return this.byId.get(id);
  }

  all(): ActiveSubscription[] {
    return [...this.byId.values()];
  }

  /** Distinct patterns of every subscription. */
  patterns(): string[] {
    return [...new Set(this.all().flatMap((s) => s.patterns))];
  }

  matching(topic: string): Set<string> {
    return this.matcher.matching(topic);
  }

  /** Was this version of the row (its `updated_at`) already found with an unreadable secret? (No reload helps it.) */
  unreadable(id: string, updatedAt: string): boolean {
    return this.reported.get(id) === updatedAt;
  }

  private activate(row: WebhookSubscription): ActiveSubscription | undefined {
    const opened = openSubscriptionSecrets(this.key, row);
    if (!opened.ok) {
      if (this.reported.get(row.id) !== row.updatedAt) {
        this.reported.set(row.id, row.updatedAt);
        this.log.error({ webhook: row.id, name: row.name, reason: opened.reason }, 'webhook secret unreadable (secret_unreadable); its deliveries wait until a new secret is set, then expire after 24 h');
      }
      return undefined;
    }
    this.reported.delete(row.id);
    return { id: row.id, name: row.name, url: row.url, patterns: row.topicPatterns, secrets: opened.secrets, updatedAt: row.updatedAt };
  }
}
