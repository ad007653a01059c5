/**
 * The seam through which later issues add fields to the attacker API (CORRECTIONS
 * #7.15): #9 adds `technique_ids` to each row of `GET /attackers` and `techniques` to
 * `GET /attackers/{id}`. An extension reads its own tables; the routes call every
 * extension once per page (rows) or once per profile and merge the fields in, after the
 * row's own (an extension cannot replace them). Each issue appends its extension to
 * ATTACKER_API_EXTENSIONS, as workers are appended to the worker table; `buildApi`
 * takes another list for tests.
 */
import type { z } from 'zod';
import { ttpAttackerExtension } from '../api/routes/ttp/attacker-extension.js';
import type { Attacker, Db } from '../db/index.js';

export interface AttackerApiExtension {
  readonly name: string;
  /** Fields for each row of a page, by attacker id (a row missing from the map gets none). */
  readonly rowFields?: (db: Db, attackers: readonly Attacker[]) => Promise<ReadonlyMap<string, Record<string, unknown>>>;
  /** Fields for one profile. */
  readonly profileFields?: (db: Db, attacker: Attacker) => Promise<Record<string, unknown>>;
  /** The added fields, for OpenAPI. */
  readonly rowSchema?: z.ZodRawShape;
  readonly profileSchema?: z.ZodRawShape;
}

/** The extensions of this build. */
export const ATTACKER_API_EXTENSIONS: readonly AttackerApiExtension[] = [ttpAttackerExtension];
