import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';

describe('config/pulsebot.schema.json', () => {
  it('matches the validator (regenerate with `npm run config:schema`)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../config/pulsebot.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('forbids unknown keys at every level, like the validator', () => {
    type Node = { additionalProperties?: boolean | Node; properties?: Record<string, Node> };
    const schema = configJsonSchema() as Node;
    expect(schema.additionalProperties).toBe(false);
    for (const [name, section] of Object.entries(schema.properties!)) {
      // A map of named entries (reports) allows any name, but each entry is strict.
      const strict =
        typeof section.additionalProperties === 'object'
          ? section.additionalProperties.additionalProperties
          : section.additionalProperties;
      expect(strict, name).toBe(false);
    }
  });
});
