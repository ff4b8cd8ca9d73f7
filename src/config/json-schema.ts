import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the config file: what a user may write (input), defaults included. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
