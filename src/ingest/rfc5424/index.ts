/** RFC 5424: the strict parser, its formatter and the message type. */
export { parseRfc5424, DEFAULT_MAX_LINE } from './parse.js';
export { formatRfc5424, formatStructuredData, escapeSdValue } from './format.js';
export type { ParseFailure, ParseReason, ParseResult, SdElement, SdParam, SyslogMessage } from './types.js';
