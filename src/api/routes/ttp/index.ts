/**
 * The ATT&CK tagging API under /api/v1/ttp (ttp.md §8): tags, techniques and the catalogue,
 * rollups, rules and their states, the Navigator export; and the attacker API's fields.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../../context.js';
import { registerNavigatorRoute } from './navigator.js';
import { registerRollupRoutes } from './rollups.js';
import { installYamlParser } from './rule-body.js';
import { registerRuleStateRoutes } from './rule-states.js';
import { registerRuleRoutes } from './rules.js';
import { ttpRoute } from './route.js';
import { ttpServices } from './services.js';
import { registerTagRoutes } from './tags.js';
import { registerTechniqueRoutes } from './techniques.js';

export function registerTtpRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const route = ttpRoute(app, ctx);
  const svc = ttpServices(ctx);
  installYamlParser(app);
  for (const register of [registerTagRoutes, registerTechniqueRoutes, registerRollupRoutes, registerRuleRoutes, registerRuleStateRoutes, registerNavigatorRoute]) register(route, svc);
}

export { ttpAttackerExtension } from './attacker-extension.js';
export { navigatorLayerSchema, catalogProblems, type NavigatorLayer } from './navigator-layer.js';
export { VALIDATE_RATE_PER_MIN } from './rules.js';
