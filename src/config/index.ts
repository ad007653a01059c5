/** Configuration: environment over `decnet.toml` over defaults, validated at start. */
export { loadConfig, type DecnetConfig, type ApiConfig, type LoadConfigOptions } from './config.js';
export { ConfigError } from './errors.js';
export { readSettingsFile } from './file.js';
