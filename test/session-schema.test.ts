import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sessionJsonSchema } from '../src/session/json-schema.js';

describe('published session JSON Schema', () => {
  it('is the one generated from the validator (run `npm run schema` after changing src/session/schema.ts)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/session.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(sessionJsonSchema())));
  });

  it('documents the session fields and every processor type', () => {
    const text = JSON.stringify(sessionJsonSchema());
    for (const word of ['sampleRate', 'bitDepth', 'tail', 'stems', 'returns', 'master', 'automation', 'sends']) expect(text).toContain(`"${word}"`);
    for (const type of ['gain', 'pan', 'polarity', 'eq', 'compressor', 'limiter', 'saturate', 'delay', 'reverb']) expect(text).toContain(`"const":"${type}"`);
  });
});
