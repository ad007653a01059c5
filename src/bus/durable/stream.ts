/**
 * The JetStream stream behind the durable topics (bus.md §5, CORRECTIONS #4.1, #4.7):
 * one stream capturing the configured patterns, created or updated idempotently each
 * time a NATS bus (or a bridge) connects. Retention comes from config. A create or
 * update the server refuses (another stream owns a subject, a change it does not allow)
 * is logged and the bus goes on: live delivery does not depend on the stream.
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type ConsumerConfig, type ConsumerInfo, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '../log.js';
import { minimalCover } from './names.js';
import type { StreamSettings } from './settings.js';

export type { StreamSettings } from './settings.js';

export type EnsureResult = 'created' | 'updated' | 'unchanged' | 'refused' | 'off';

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function wanted(s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: minimalCover(s.patterns),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: s.maxAgeMs > 0 ? nanos(s.maxAgeMs) : 0,
    max_bytes: s.maxBytes > 0 ? s.maxBytes : -1,
    description: 'DECNET durable topics (DECNET_DURABLE_TOPICS)',
  };
}

function sameSubjects(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = [...(a ?? [])].sort();
  const y = [...(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Creates the stream, or brings subjects and limits in line. A refusal by the server is
 * logged and reported as 'refused'; connection trouble (closed, timeout) is thrown.
 */
export async function ensureStream(jsm: JetStreamManager, s: StreamSettings, log: Logger): Promise<EnsureResult> {
  if (s.patterns.length === 0) return 'off';
  const want = wanted(s);
  try {
    let current: StreamConfig | undefined;
    try {
      current = (await jsm.streams.info(s.name)).config;
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    }
    if (!current) {
      try {
        await jsm.streams.add(want);
        log.info({ stream: s.name, subjects: want.subjects }, 'created the durable-topics stream');
        return 'created';
      } catch (err) {
        // another process may have created it meanwhile: fall through to compare
        current = (await jsm.streams.info(s.name).catch(() => {
          throw err;
        })).config;
      }
    }
    if (sameSubjects(current.subjects, want.subjects) && current.max_age === want.max_age && current.max_bytes === want.max_bytes) return 'unchanged';
    await jsm.streams.update(s.name, { ...current, subjects: want.subjects, max_age: want.max_age, max_bytes: want.max_bytes });
    log.info({ stream: s.name, subjects: want.subjects, was: current.subjects, max_age_ms: s.maxAgeMs, max_bytes: s.maxBytes }, 'updated the durable-topics stream to this configuration');
    return 'updated';
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err; // connection trouble: the caller decides
    log.warn({ stream: s.name, subjects: want.subjects, err: err.message }, 'the server refused to create or update the durable-topics stream; durable consumers may not work');
    return 'refused';
  }
}

/**
 * The durable consumer of one pattern: explicit ack, redelivery after `ackWaitMs`.
 * Created on first use (where `deliver` applies); an existing one keeps its position
 * and only has its ack wait brought in line.
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, durable: string, pattern: string, ackWaitMs: number, deliver: 'new' | 'all'): Promise<ConsumerInfo> {
  const want: Partial<ConsumerConfig> = {
    durable_name: durable,
    filter_subject: pattern,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    deliver_policy: deliver === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
    description: `decnet durable for ${pattern}`,
  };
  let info: ConsumerInfo | undefined;
  try {
    info = await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  if (!info) {
    try {
      return await jsm.consumers.add(stream, want);
    } catch (err) {
      info = await jsm.consumers.info(stream, durable).catch(() => {
        throw err; // not a race with another process: report the add's own error
      });
    }
  }
  if (info.config.filter_subject !== pattern) throw new Error(`durable consumer ${durable} on ${stream} filters ${String(info.config.filter_subject)}, not ${pattern}`);
  if (info.config.ack_wait !== want.ack_wait) return jsm.consumers.update(stream, durable, { ack_wait: want.ack_wait });
  return info;
}
