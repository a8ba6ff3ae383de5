import { z } from 'zod';
import { SessionSchema } from './schema.js';

/** The session file's JSON Schema (what a user writes: input side, defaults shown), generated from the zod schema. */
export function sessionJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://stemkit.dev/schema/session.schema.json',
    title: 'stemkit session',
    ...z.toJSONSchema(SessionSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
