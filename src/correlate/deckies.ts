/**
 * An attacker's deckies in first-contact order (a decky's earliest target, then its
 * name) and its distinct services, as its `attacker_targets` give them (analysis.md
 * §1.1, §1.5).
 *
 * Reading every target of every touched attacker each batch costs more as its history
 * grows. A batch whose targets all start after the attacker's stored `last_seen` can
 * only append: every stored target began by then, so the stored deckies keep their
 * first contacts and order, and the new ones follow them. Those layouts come from the
 * stored row (the deckies from `traversal_path`, kept as text: a path is appended to,
 * never taken apart) and, on SQLite, a probe per service; refreshDerived reads the
 * targets of the other attackers.
 */
import type { WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import type { AttackerState } from './attacker-state.js';

/** Separates deckies in `traversal_path`. */
export const TRAVERSAL_SEPARATOR = ' → ';

export interface TargetRow {
  readonly decky: string;
  readonly service: string;
  readonly firstSeen: string;
}

/** An attacker's deckies (first-contact order) and how many distinct services it touched. */
export interface TargetLayout {
  readonly deckyCount: number;
  /** The deckies joined by TRAVERSAL_SEPARATOR (`''` for none). */
  readonly path: string;
  readonly services: number;
}

/** Deckies in first-contact order (earliest target, then name). */
export function firstContactOrder(targets: readonly TargetRow[]): string[] {
  const first = new Map<string, string>();
  for (const t of targets) {
    const seen = first.get(t.decky);
    if (seen === undefined || t.firstSeen < seen) first.set(t.decky, t.firstSeen);
  }
  return [...first.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([d]) => d);
}

/** The layout of all of an attacker's targets. */
export function layoutOf(targets: readonly TargetRow[]): TargetLayout {
  const deckies = firstContactOrder(targets);
  return { deckyCount: deckies.length, path: deckies.join(TRAVERSAL_SEPARATOR), services: new Set(targets.map((t) => t.service).filter((x) => x !== '')).size };
}

/** How many deckies a non-empty path names. */
function namesIn(path: string): number {
  let n = 1;
  for (let at = path.indexOf(TRAVERSAL_SEPARATOR); at !== -1; at = path.indexOf(TRAVERSAL_SEPARATOR, at + TRAVERSAL_SEPARATOR.length)) n++;
  return n;
}

/** Whether a path names `decky`. */
function pathHas(path: string, decky: string): boolean {
  const sep = TRAVERSAL_SEPARATOR;
  return path === decky || path.startsWith(decky + sep) || path.endsWith(sep + decky) || path.includes(sep + decky + sep);
}

/**
 * The layout the row stored before the batch, when it names the deckies: none yet, or a
 * traversal path with one name per counted decky (no name holds the separator).
 */
function storedLayout(s: AttackerState, minDeckies: number): TargetLayout | undefined {
  if (s.deckyCount === 0) return s.serviceCount === 0 && !s.isTraversal ? { deckyCount: 0, path: '', services: 0 } : undefined;
  if (!s.isTraversal || s.traversalPath === null || s.deckyCount < minDeckies) return undefined;
  return namesIn(s.traversalPath) === s.deckyCount ? { deckyCount: s.deckyCount, path: s.traversalPath, services: s.serviceCount } : undefined;
}

const HAS_SERVICE = 'select 1 from attacker_targets where attacker_id = ? and service = ? limit 1';

/** The batch's services the attacker had no target of; undefined when that needs a probe PostgreSQL does not get. */
function newServices(tx: WriteTx, s: AttackerState, added: readonly TargetRow[]): Set<string> | undefined {
  const services = new Set(added.map((t) => t.service).filter((x) => x !== ''));
  if (s.serviceCount === 0 || services.size === 0) return services;
  const probe = sqlitePreparedIn(tx, HAS_SERVICE);
  if (!probe) return undefined;
  for (const service of services) if (probe.get(s.id, service) !== undefined) services.delete(service);
  return services;
}

/**
 * The layouts of `states` after the batch whose targets per IP (one per decky and
 * service, with its earliest row's time, as the fold upserts them) are `batchTargets`,
 * for those where the batch only appends (see above). Runs before the batch is folded
 * into the states and its targets are upserted: it reads them as stored.
 */
export function appendedLayouts(tx: WriteTx, states: readonly AttackerState[], batchTargets: ReadonlyMap<string, readonly TargetRow[]>, minDeckies: number): Map<string, TargetLayout> {
  const out = new Map<string, TargetLayout>();
  for (const s of states) {
    const before = storedLayout(s, minDeckies);
    const added = batchTargets.get(s.ip) ?? [];
    const last = s.lastSeen;
    if (!before || (last !== null && added.some((t) => t.firstSeen <= last))) continue;
    const services = newServices(tx, s, added);
    if (!services) continue;
    const appended = firstContactOrder(added.filter((t) => !pathHas(before.path, t.decky)));
    const path = (before.path === '' ? appended : [before.path, ...appended]).join(TRAVERSAL_SEPARATOR);
    out.set(s.id, { deckyCount: before.deckyCount + appended.length, path, services: before.services + services.size });
  }
  return out;
}
