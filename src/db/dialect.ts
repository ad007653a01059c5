/**
 * Which database a process talks to, from `DECNET_DATABASE_URL` (CORRECTIONS #5.8):
 * unset means SQLite at `$DECNET_HOME/decnet.db`; `sqlite:PATH` names a file (relative
 * to the working directory; `sqlite::memory:` is a private in-memory database);
 * `postgres://…` or `postgresql://…` is PostgreSQL. Anything else is refused at start,
 * naming the variable and what it accepts, without echoing a password.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { DatabaseConfigError } from './errors.js';

export type DialectName = 'sqlite' | 'postgres';

export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; /** A file path, or `:memory:`. */ readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export const DATABASE_URL_VARIABLE = 'DECNET_DATABASE_URL';

const ACCEPTED = 'unset (SQLite at $DECNET_HOME/decnet.db), sqlite:PATH, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE';

/** Parses a database URL; throws DatabaseConfigError naming `DECNET_DATABASE_URL`. */
export function parseDatabaseUrl(url: string | undefined, home: string): DatabaseTarget {
  const value = url?.trim() ?? '';
  if (value === '') return { dialect: 'sqlite', path: join(home, 'decnet.db') };
  if (/^sqlite:/i.test(value)) {
    let path = value.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (path === '') throw new DatabaseConfigError(DATABASE_URL_VARIABLE, `sqlite: needs a file path (sqlite:/var/lib/decnet/decnet.db); accepted: ${ACCEPTED}`);
    if (path === ':memory:') return { dialect: 'sqlite', path };
    return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new DatabaseConfigError(DATABASE_URL_VARIABLE, `${redactUrl(value)} is not a valid URL; accepted: ${ACCEPTED}`);
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new DatabaseConfigError(DATABASE_URL_VARIABLE, `${redactUrl(value)} names no host; accepted: ${ACCEPTED}`);
    }
    return { dialect: 'postgres', url: value };
  }
  throw new DatabaseConfigError(DATABASE_URL_VARIABLE, `unsupported value ${JSON.stringify(redactUrl(value))}; accepted: ${ACCEPTED}`);
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** A boolean as the dialect stores it (SQLite has no boolean type: 0/1). */
export function toDbBool(dialect: DialectName, value: boolean): boolean | number {
  return dialect === 'sqlite' ? (value ? 1 : 0) : value;
}

/** A stored boolean (0/1 on SQLite, boolean on PostgreSQL) as a boolean. */
export function fromDbBool(value: boolean | number | string): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

/** A stored integer (`bigint` arrives as a string from node-pg) as a number. */
export function fromDbInt(value: number | string | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`database integer ${String(value)} is not a safe integer`);
  return n;
}
