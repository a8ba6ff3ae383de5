// Regenerates what scripts/generated.ts derives from the code (run: npm run schema): the session's and
// check report's JSON Schemas, and the README's rule and error-code tables.
import { writeFileSync } from 'node:fs';
import { generatedFiles, repoPath } from './generated.js';

for (const { path, text } of generatedFiles()) writeFileSync(repoPath(path), text);
