/**
 * `orchestrator.<event_type>.<decky_id>` payloads (topics.md §2.4): the synthetic life
 * the orchestrator injects into deckies. Mail addresses here are the generated personas',
 * never an attacker's.
 */
import { z } from 'zod';
import { ORCHESTRATOR_EMAIL, ORCHESTRATOR_FILE, ORCHESTRATOR_TRAFFIC } from '../constants.js';
import { datetime, jsonObject, uuid, type PayloadTypes } from './common.js';

/** A traffic or file action; `payload` is the driver's result. */
const action = z.looseObject({
  kind: z.string(),
  protocol: z.string(),
  action: z.string(),
  src_decky_uuid: uuid,
  dst_decky_uuid: uuid,
  success: z.boolean(),
  payload: jsonObject,
  ts: datetime,
});

export const orchestratorSchemas = {
  [ORCHESTRATOR_TRAFFIC]: action,
  [ORCHESTRATOR_FILE]: action,
  /** `in_reply_to` is null for the first message of a thread. */
  [ORCHESTRATOR_EMAIL]: z.looseObject({
    kind: z.literal('email'),
    mail_decky_uuid: uuid,
    thread_id: z.string(),
    message_id: z.string(),
    in_reply_to: z.string().nullable(),
    sender_email: z.string(),
    recipient_email: z.string(),
    subject: z.string(),
    language: z.string(),
    success: z.boolean(),
    ts: datetime,
  }),
};
export type OrchestratorPayloads = PayloadTypes<typeof orchestratorSchemas>;
