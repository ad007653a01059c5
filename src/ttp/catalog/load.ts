/**
 * Loading the catalogue (ttp.md §10.1): the licence's presence and both pinned hashes are
 * checked *before* parsing, and any mismatch fails closed with a CatalogError naming the
 * file. `DECNET_ATTACK_BUNDLE` may name another bundle of the same shape with LICENSE.txt
 * beside it; its hash is then not checked (a warning says so) and the version is read
 * from its name. Loaded lazily, once per path.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { attackDataDir } from '../paths.js';
import { Catalog, CatalogError } from './catalog.js';
import { ATTACK_NOTICE, ATTACK_VERSION, BUNDLE_FILE, BUNDLE_SHA256, LICENSE_FILE, LICENSE_SHA256 } from './version.js';

export interface CatalogLoadOptions {
  /** A bundle path; default `DECNET_ATTACK_BUNDLE`, else the shipped file. */
  readonly bundle?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly warn?: (message: string) => void;
}

const loaded = new Map<string, Catalog>();

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The shipped bundle's path. */
export function defaultBundlePath(): string {
  return join(attackDataDir(), BUNDLE_FILE);
}

/** Reads, checks and indexes a bundle (uncached). */
export function readCatalog(file: string, pinned: boolean, warn: (m: string) => void = () => {}): Catalog {
  const license = join(dirname(file), LICENSE_FILE);
  if (!existsSync(license)) throw new CatalogError(`MITRE's licence ${LICENSE_FILE} must be beside the ATT&CK data`, license);
  if (!existsSync(file)) throw new CatalogError('the ATT&CK bundle is missing', file);
  const licenseBytes = readFileSync(license);
  if (!licenseBytes.toString('utf8').includes(ATTACK_NOTICE)) throw new CatalogError("the licence does not carry MITRE's copyright designation", license);
  if (pinned && sha256(licenseBytes) !== LICENSE_SHA256) throw new CatalogError(`the licence was altered (SHA-256 is not ${LICENSE_SHA256})`, license);
  const bytes = readFileSync(file);
  let version = ATTACK_VERSION;
  let digest: string | null = null;
  if (pinned) {
    digest = sha256(bytes);
    if (digest !== BUNDLE_SHA256) throw new CatalogError(`the ATT&CK bundle was altered (SHA-256 ${digest}, expected ${BUNDLE_SHA256})`, file);
  } else {
    const m = /^enterprise-attack-(\d+(?:\.\d+)*)\.json$/.exec(basename(file));
    if (!m) throw new CatalogError('an alternative bundle must be named enterprise-attack-<version>.json', file);
    version = m[1] as string;
    warn(`ATT&CK bundle ${file} is not the pinned ${BUNDLE_FILE}: its hash is not checked`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CatalogError(`not JSON: ${err instanceof Error ? err.message : String(err)}`, file);
  }
  if (parsed === null || typeof parsed !== 'object') throw new CatalogError('not a STIX bundle', file);
  return new Catalog(version, digest, ATTACK_NOTICE, parsed as { objects?: unknown }, file);
}

/** The catalogue (memoised per bundle path). Throws CatalogError when data or licence is missing or altered. */
export function loadCatalog(opts: CatalogLoadOptions = {}): Catalog {
  const env = opts.env ?? process.env;
  const fromEnv = env.DECNET_ATTACK_BUNDLE?.trim();
  const file = resolve(opts.bundle ?? (fromEnv ? fromEnv : defaultBundlePath()));
  const hit = loaded.get(file);
  if (hit) return hit;
  const catalog = readCatalog(file, file === resolve(defaultBundlePath()), opts.warn);
  loaded.set(file, catalog);
  return catalog;
}
