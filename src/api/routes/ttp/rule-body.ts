/**
 * The body of `POST /ttp/rules/validate` and `PUT /ttp/rules/{id}` (ttp.md §8.2): `{yaml}`
 * as JSON, or the YAML itself as `application/yaml`. Other media types are 415, a text over
 * the 256 KiB a definition may have is 413.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MAX_RULE_BYTES } from '../../../ttp/yaml-source.js';
import { API_PREFIX } from '../../route.js';
import { ApiError } from '../../errors.js';
import { ruleBody } from './schemas.js';

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;

/** The routes that take YAML (fastify paths under /api/v1). */
export const YAML_ROUTES: ReadonlySet<string> = new Set(['/ttp/rules/validate', '/ttp/rules/:id'].map((u) => `${API_PREFIX}${u}`));

/** `{yaml}`, or the text when the request sent YAML itself. */
export const ruleBodyOrText = z.union([ruleBody, z.string()]);

const unsupported = (media: string): ApiError => new ApiError(415, 'unsupported_media_type', `send {"yaml": "..."} as application/json or the rule as application/yaml, not ${media || 'no content type'}`);

/**
 * Parses YAML bodies as text for the rule routes only: every other route still refuses
 * them (415), as before. Parsers are per app, not per route, hence the check.
 */
export function installYamlParser(app: FastifyInstance): void {
  app.addContentTypeParser([...YAML_MEDIA_TYPES], { parseAs: 'string' }, (req, body, done) => {
    if (YAML_ROUTES.has(req.routeOptions.url ?? '')) done(null, body);
    else done(unsupported(String(req.headers['content-type'] ?? '')), undefined);
  });
}

function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

/** The rule text of a request; 415 for a text that is neither JSON nor YAML, 413 over the limit. */
export function ruleText(req: FastifyRequest, body: z.infer<typeof ruleBodyOrText>): string {
  const media = mediaType(req);
  let text: string;
  if (typeof body !== 'string') text = body.yaml;
  else if ((YAML_MEDIA_TYPES as readonly string[]).includes(media)) text = body;
  else if (media === 'application/json') throw new ApiError(422, 'validation_error', 'invalid body: expected {"yaml": "..."}');
  else throw unsupported(media);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RULE_BYTES) throw new ApiError(413, 'payload_too_large', `the rule is ${Math.ceil(bytes / 1024)} KiB, over the ${MAX_RULE_BYTES / 1024} KiB a definition may have`);
  return text;
}
