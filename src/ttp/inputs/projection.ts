/**
 * What the three input sources (log rows, journal rows, bus events; ttp.md §1.3–§1.4)
 * share: their options, the problem report, and the guarded projection of raw records
 * through `projectInput` (derived fields, caps, content ids in one place) and the kind's
 * zod schema. Times and addresses go through ingest's own normalisers (CORRECTIONS #7.13),
 * so an act read from `logs` and from the journal has one id.
 *
 * Malformed input never throws out of a source function: each returns `{inputs, problems}`,
 * and what cannot be projected is left out and listed in `problems` (the worker counts
 * them). A failure of the row or payload as a whole (`kind: null`) yields no input; a
 * failure of one record (one session entry, one address of a finding) leaves the others.
 */
import { topics } from '../../bus/index.js';
import { canonicalTimestamp, normalizeIp } from '../../ingest/normalize.js';
import { projectInput } from './derive.js';
import type { Input, InputSource } from './input.js';
import { KINDS, type InputKind } from './kinds.js';
import { inputSchema } from './schemas.js';

/** Why a row, payload or one of its records gave no input. */
export interface ProjectionProblem {
  readonly source: InputSource;
  /** The kind that could not be built; null when the row or payload as a whole was refused. */
  readonly kind: InputKind | null;
  readonly reason: string;
}

export interface SourceOptions {
  /** `DECNET_INTERNAL_DECKY_PREFIX`: rows of these deckies are the system's own work (analysis.md §0.4). */
  readonly internalDeckyPrefix?: string;
  /** `DECNET_TTP_MAX_FIELD_CHARS` (4096). */
  readonly maxFieldChars?: number;
}

/** What a row or event gave: its inputs, and what was left out as malformed (skipped internal rows are neither). */
export interface Projected {
  readonly inputs: Input[];
  readonly problems: ProjectionProblem[];
}

/** The default of `DECNET_INTERNAL_DECKY_PREFIX` (src/config/analysis.ts). */
export const DEFAULT_INTERNAL_DECKY_PREFIX = 'decnet-';

/** A raw record without its kind (common fields and kind fields, flat). */
export type RawFields = Record<string, unknown>;

/** A refusal with a reason; the projection turns it into a problem. */
export class ProjectionError extends Error {}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Collects the inputs and problems of one row or event. */
export class Projection {
  readonly inputs: Input[] = [];
  readonly problems: ProjectionProblem[] = [];

  constructor(
    readonly source: InputSource,
    private readonly opts: SourceOptions,
  ) {}

  get internalDeckyPrefix(): string {
    return this.opts.internalDeckyPrefix ?? DEFAULT_INTERNAL_DECKY_PREFIX;
  }

  /** Projects one record of `kind`; `make` may throw, which reports this record only. */
  add(kind: InputKind, make: () => RawFields): void {
    try {
      const input = projectInput({ ...make(), kind }, { source: this.source, maxFieldChars: this.opts.maxFieldChars });
      const checked = inputSchema(kind).safeParse(input);
      if (!checked.success) throw new ProjectionError(checked.error.issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join('; '));
      this.inputs.push(input);
    } catch (err) {
      this.problems.push({ source: this.source, kind, reason: reasonOf(err) });
    }
  }
}

/** Runs `fill` on a fresh projection; a throw refuses the whole row (no inputs, one problem). */
export function project(source: InputSource, opts: SourceOptions, fill: (p: Projection) => void): Projected {
  const p = new Projection(source, opts);
  try {
    fill(p);
  } catch (err) {
    return { inputs: [], problems: [{ source, kind: null, reason: reasonOf(err) }] };
  }
  return { inputs: p.inputs, problems: p.problems };
}

/** Nothing to project (a topic this source does not read). */
export function nothing(): Projected {
  return { inputs: [], problems: [] };
}

/** Canonical time text (`…ffffffZ`) of ISO text or epoch ms; throws when unreadable. */
export function timeText(value: unknown, what = 'timestamp'): string {
  const text = typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? canonicalTimestamp(value) : null;
  if (text === null) throw new ProjectionError(`unreadable ${what} ${JSON.stringify(value) ?? String(value)}`);
  return text;
}

/** Envelope and journal times are epoch seconds. */
export function epochSecondsText(seconds: unknown): string {
  return timeText(typeof seconds === 'number' ? seconds * 1000 : seconds, 'envelope ts');
}

/** An address in ingest's stored form, or null when absent or not an address. */
export function address(value: unknown): string | null {
  return typeof value === 'string' ? normalizeIp(value) : null;
}

/** A decky or service name; payloads write `''` for unknown (ingest's `?? ''`). */
export function known(value: unknown): unknown {
  return value === '' || value === undefined ? null : value;
}

/** The first of `names` holding non-empty text (numbers as text: adapters print them). */
export function text(fields: Readonly<Record<string, unknown>>, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = fields[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

const FIELD_NAMES: Readonly<Record<InputKind, readonly string[]>> = Object.fromEntries(Object.entries(KINDS).map(([kind, spec]) => [kind, Object.keys(spec.fields)])) as unknown as Record<InputKind, readonly string[]>;

/** The payload's values of `kind`'s fields (§1.2: payload fields are read by their names). */
export function pick(kind: InputKind, payload: Readonly<Record<string, unknown>>): RawFields {
  const out: RawFields = {};
  for (const name of FIELD_NAMES[kind]) if (payload[name] !== undefined) out[name] = payload[name];
  return out;
}

/** The payload, once its topic's catalogue schema accepts it; throws otherwise. */
export function checkPayload(topic: string, payload: unknown): Readonly<Record<string, unknown>> {
  const verdict = topics.validatePayload(topic, payload);
  if (!verdict.ok) throw new ProjectionError(`payload does not match ${topic}: ${verdict.issues.join('; ')}`);
  return payload as Readonly<Record<string, unknown>>;
}
