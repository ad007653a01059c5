/**
 * The broker's wire codec (spec/bus.md §3.2–§3.5): frames to bytes, bytes to frames, and
 * the PUB body scan and re-mint the broker uses instead of parse + stringify. No I/O here:
 * the broker and the unix client own their sockets and feed this code bytes.
 */
export {
  FROM_BROKER,
  FROM_CLIENT,
  isVerb,
  LENGTH_BYTES,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  V1_VERBS,
  V1_VERB_SET,
  V2_ONLY_VERBS,
  V2_VERB_SET,
  VERBS,
  type V1Verb,
  type Verb,
} from './verbs.js';
export { encodeEvt, encodeFrame, encodeFrameHead } from './encoder.js';
export { FrameDecoder, type Frame, type FrameLimits } from './decoder.js';
export { MAX_JSON_DEPTH, scanPubBody, scannedType, type ByteRange, type PubBodyScan } from './body-scanner.js';
export { mintEnvelopeBytes, mintEvtFrame, type AcceptedScan } from './mint.js';
