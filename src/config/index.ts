/** Configuration: environment over `decnet.toml` over defaults, validated at start. */
export { loadConfig, type DecnetConfig, type ApiConfig, type LoadConfigOptions } from './config.js';
export { ConfigError } from './errors.js';
export { readSettingsFile } from './file.js';
export type { AnalysisConfig } from './analysis.js';
export type { WebhookConfig } from './webhook.js';
export type { TtpConfig } from './ttp.js';
export { INGEST_FORMATS, checkNotEventLog, type IngestConfig, type IngestFileSetting, type IngestFormat, type ListenSetting } from './ingest.js';
