/**
 * What the TTP routes share, built once per app: the catalogue (loaded on first use, fail
 * closed), fresh views of the regex verdict caches, and the rule view.
 */
import type { TtpRulesRepo, TtpTagsRepo } from '../../../db/index.js';
import { loadCatalog, type Catalog, type RegexSafety } from '../../../ttp/index.js';
import type { ApiContext } from '../../context.js';
import { cachedRegexSafety } from './rule-validation.js';
import { RuleViews } from './rule-view.js';

export interface TtpServices {
  readonly ctx: ApiContext;
  /** The repositories, read at request time: the docs build the routes over a database that must not be touched. */
  readonly tags: () => TtpTagsRepo;
  readonly ruleTables: () => TtpRulesRepo;
  readonly catalog: () => Catalog;
  readonly regex: () => RegexSafety;
  readonly rules: RuleViews;
}

export function ttpServices(ctx: ApiContext): TtpServices {
  const catalog = (): Catalog => loadCatalog({ ...(ctx.config.ttp.attackBundle ? { bundle: ctx.config.ttp.attackBundle } : {}), warn: (m) => ctx.log.warn(m) });
  const regex = (): RegexSafety => cachedRegexSafety(ctx.config.home);
  return { ctx, tags: () => ctx.db.repos.ttpTags, ruleTables: () => ctx.db.repos.ttpRules, catalog, regex, rules: new RuleViews(ctx.db, catalog, regex, () => ctx.clock.isoNow()) };
}
