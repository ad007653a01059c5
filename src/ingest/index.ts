/**
 * Ingestion (eventplane.md §8): honeypot lines — RFC 5424, Cowrie JSON, OpenCanary JSON —
 * from files, UDP and TCP into `logs`, `credentials`, `artifacts`,
 * `fingerprint_observations` and `unparsed_lines`, with their events. The small surface
 * other folders use: the worker and the one-off import, the parser and formatter, and the
 * normalisers #9 shares (CORRECTIONS #7.13).
 */
export { canonicalTimestamp, normalizeIp, cleanText } from './normalize.js';
export { commandText, type CommandSource } from './command-text.js';
export { parseRfc5424, formatRfc5424, escapeSdValue, DEFAULT_MAX_LINE, type ParseResult, type ParseReason, type SyslogMessage, type SdElement, type SdParam } from './rfc5424/index.js';
export { RELAY_SD_ID, IP_PARAMS } from './native.js';
export { LineDecoder, OPENCANARY_LOGTYPES } from './adapters/index.js';
export { classifyUserAgent, type UserAgentClass } from './useragent.js';
export { REDACTED } from './redact.js';
export type { LogRecord, RawLine, Decoded } from './record.js';
export type { IngestExtension, StoredBatch } from './extension.js';
export { INGEST_EXTENSIONS } from './extensions.js';
export { IngestPipeline, type IngestSettings, type PipelineOptions, type SourceSpec } from './pipeline.js';
export { SourceBatcher, IngestSchemaError, type BatcherStats } from './batcher.js';
export { tailFile, MissingFileError, type FileTailOptions } from './sources/file-tail.js';
export { UdpListener } from './sources/udp.js';
export { TcpListener } from './sources/tcp.js';
export { FrameDecoder } from './sources/framing.js';
export { runIngest, ingestCounters, ingestSettings, type IngestDeps, type SourceStatus } from './worker.js';
export { ingestFile, formatSummary, type IngestFileOptions, type IngestFileSummary } from './one-shot.js';
export { ingestWorker } from './definition.js';
