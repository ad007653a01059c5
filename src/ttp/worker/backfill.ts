/**
 * `decnet ttp backfill` (ttp.md §9.5): re-evaluate stored `logs` rows and journal events
 * between two times through a fresh engine, each source in its own order, with the same
 * `ON CONFLICT DO NOTHING` inserts and linking as the worker — so it is idempotent (a
 * second run finds `tags_new 0`). The worker's cursors do not move; events are journaled
 * and published only with `publish` (and then for new tags only).
 */
import type { Bus, Clock } from '../../bus/index.js';
import { findAttackerByIp } from '../../correlate/index.js';
import type { Db } from '../../db/index.js';
import { TtpEngine } from '../engine/engine.js';
import type { RuleIndex } from '../engine/rule-index.js';
import type { Input } from '../inputs/index.js';
import { AttackerLookup } from './attacker-lookup.js';
import { nextJournalBatch, nextLogBatch, type ProjectionOptions } from './sources.js';
import { tagInputs } from './tagger.js';
import { writeBatch } from './tag-writer.js';

export type BackfillSource = 'logs' | 'journal' | 'all';

export interface BackfillOptions extends ProjectionOptions {
  /** Epoch ms, inclusive. */
  readonly since: number;
  readonly until: number;
  readonly source: BackfillSource;
  readonly index: RuleIndex;
  readonly batch: number;
  readonly dryRun: boolean;
  readonly publish: boolean;
  readonly clock: Clock;
  /** Called after each batch with the totals so far (progress lines). */
  readonly progress?: (r: BackfillResult) => void;
}

export interface BackfillResult {
  inputs: number;
  tags_new: number;
  tags_existing: number;
  linked: number;
  elapsed_s: number;
}

export async function runBackfill(db: Db, bus: Bus | null, opts: BackfillOptions): Promise<BackfillResult> {
  const started = opts.clock.now();
  const engine = new TtpEngine(opts.index, { clock: opts.clock });
  const lookup = new AttackerLookup(async (ip) => (await findAttackerByIp(db, ip))?.id, opts.clock);
  const r: BackfillResult = { inputs: 0, tags_new: 0, tags_existing: 0, linked: 0, elapsed_s: 0 };
  const inWindow = (i: Input): boolean => i.ts >= opts.since && i.ts <= opts.until;
  const linkedIps = new Set<string>();
  const sources = opts.source === 'all' ? (['logs', 'journal'] as const) : ([opts.source] as const);
  for (const source of sources) {
    const read = source === 'logs' ? nextLogBatch : nextJournalBatch;
    let at = 0;
    for (;;) {
      const batch = await read(db, at, opts.batch, opts);
      if (batch === null) break;
      at = batch.position;
      const inputs = batch.inputs.filter(inWindow);
      r.inputs += inputs.length;
      const tags = await tagInputs(engine, inputs, lookup);
      if (opts.dryRun) {
        const existing = await Promise.all(tags.map((t) => db.repos.ttpTags.get(t.id)));
        const known = existing.filter((t) => t !== undefined).length;
        r.tags_existing += known;
        r.tags_new += tags.length - known;
      } else if (tags.length > 0 || batch.sessionLinks.length > 0) {
        const w = await writeBatch(db, opts.publish ? bus : null, { tags, sessionLinks: batch.sessionLinks }, { announce: opts.publish });
        r.tags_new += w.newTags.length;
        r.tags_existing += tags.length - w.newTags.length;
        r.linked += w.sessionTagsLinked;
        // tags stored before their attacker existed get its id, as the worker's sweep does
        for (const t of tags) if (t.attacker_uuid !== null && t.attacker_ip !== null && !linkedIps.has(t.attacker_ip)) {
          linkedIps.add(t.attacker_ip);
          r.linked += await db.repos.ttpTags.linkAttacker(t.attacker_ip, t.attacker_uuid);
        }
      }
      r.elapsed_s = Math.round((opts.clock.now() - started) / 10) / 100;
      opts.progress?.({ ...r });
    }
  }
  r.elapsed_s = Math.round((opts.clock.now() - started) / 10) / 100;
  return r;
}
