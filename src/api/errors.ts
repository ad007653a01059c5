/**
 * The API's one error shape (eventplane.md §1.1): `{error, message, details?}`
 * with a snake_case code. Handlers throw ApiError; everything else becomes a
 * 500 without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../bus/index.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (message = 'Not authenticated'): ApiError => new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
export const forbidden = (message = 'Insufficient permissions'): ApiError => new ApiError(403, 'forbidden', message);
export const notFound = (message = 'Not found'): ApiError => new ApiError(404, 'not_found', message);

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

export function installErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError | ApiError, _req, reply) => {
    if (err instanceof ApiError) {
      void reply.status(err.status).headers(err.headers).send({ error: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } satisfies ErrorBody);
      return;
    }
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void reply.status(413).send({ error: 'payload_too_large', message: 'request body is over the limit' } satisfies ErrorBody);
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (status === 400 && err.code?.startsWith('FST_ERR_CTP'))) {
      void reply.status(status === 415 ? 415 : 400).send({ error: status === 415 ? 'unsupported_media_type' : 'bad_request', message: err.message } satisfies ErrorBody);
    } else if (status === 400) {
      // JSON syntax errors in the body
      void reply.status(400).send({ error: 'bad_request', message: err.message } satisfies ErrorBody);
    } else if (status < 500) {
      void reply.status(status).send({ error: 'bad_request', message: err.message } satisfies ErrorBody);
    } else {
      log.error({ err: err.message, stack: err.stack }, 'unhandled error in a route');
      void reply.status(500).send({ error: 'internal_error', message: 'Internal server error' } satisfies ErrorBody);
    }
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } satisfies ErrorBody);
  });
}
