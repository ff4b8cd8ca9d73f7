// Writes config/pulsebot.schema.json from the zod schema, so editors can complete and check the
// YAML file. A test fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';

writeFileSync(
  new URL('../config/pulsebot.schema.json', import.meta.url),
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
);
