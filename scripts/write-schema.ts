// Regenerates schema/session.schema.json from src/session/schema.ts (run: npm run schema).
import { writeFileSync } from 'node:fs';
import { sessionJsonSchema } from '../src/session/json-schema.js';

writeFileSync(new URL('../schema/session.schema.json', import.meta.url), JSON.stringify(sessionJsonSchema(), null, 2) + '\n');
