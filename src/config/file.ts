/**
 * The optional settings file, `$DECNET_HOME/decnet.toml` (or `--config PATH`).
 * It holds the same settings as the environment, by the variable's name with
 * or without the `DECNET_` prefix, in any case:
 *
 *   api_port = 9000          # DECNET_API_PORT
 *   bus_type = "memory"      # DECNET_BUS_TYPE
 *   durable_topics = ["credential.>", "ttp.>"]   # lists join with commas
 *
 * Tables nest names with `_` (`[api] port = 9000` is `DECNET_API_PORT`). The
 * environment wins over the file, the file over the defaults.
 */
import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from './errors.js';

export type EnvMap = Record<string, string | undefined>;

function flatten(table: Record<string, unknown>, prefix: string, out: EnvMap, file: string): void {
  for (const [key, value] of Object.entries(table)) {
    const name = `${prefix}${key}`.toUpperCase().replace(/^(DECNET_)?/, 'DECNET_');
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      flatten(value as Record<string, unknown>, `${prefix}${key}_`, out, file);
    } else if (Array.isArray(value)) {
      out[name] = value.map((v) => String(v)).join(',');
    } else if (value instanceof Date) {
      throw new ConfigError(`${file}: ${key}`, 'dates are not settings; quote the value if you meant a string');
    } else {
      out[name] = String(value);
    }
  }
}

/** Reads the settings file into environment-style names. A missing default file is no error. */
export function readSettingsFile(path: string, required: boolean): EnvMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(path, `cannot read the settings file (${(err as Error).message})`);
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    throw new ConfigError(path, `not valid TOML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  const out: EnvMap = {};
  flatten(table, '', out, path);
  return out;
}
