/** The ATT&CK catalogue: pins, loader, lookups. */
export { Catalog, CatalogError, type TechniqueEntry, type TacticEntry, type GroupEntry } from './catalog.js';
export { loadCatalog, readCatalog, defaultBundlePath, type CatalogLoadOptions } from './load.js';
export * from './version.js';
