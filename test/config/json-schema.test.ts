import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';

describe('config/pulsebot.schema.json', () => {
  it('matches the validator (regenerate with `npm run config:schema`)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../config/pulsebot.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('forbids unknown keys at every level, like the validator', () => {
    const schema = configJsonSchema() as { additionalProperties: boolean; properties: Record<string, { additionalProperties: boolean }> };
    expect(schema.additionalProperties).toBe(false);
    for (const section of Object.values(schema.properties)) expect(section.additionalProperties).toBe(false);
  });
});
