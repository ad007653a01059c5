/** Schemas shared by routes. */
import { z } from 'zod';

export const errorSchema = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });
