// npm run schema:dump: writes sql/schema.sql, the schema `migrate` leaves a fresh database with, as
// normalised text (src/db/describe-schema.ts). Run it after changing anything under sql/ and commit
// the result: the diff shows what the change does to the schema, and a test fails while it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openEmbeddedDatabase } from '../src/db/connect.js';
import { freshSchemaText } from '../src/db/describe-schema.js';
import { migrate } from '../src/db/migrate.js';

const db = await openEmbeddedDatabase({});
try {
  await migrate(db.sql);
  const path = fileURLToPath(new URL('../sql/schema.sql', import.meta.url));
  writeFileSync(path, await freshSchemaText(db.sql));
  console.log(`wrote ${path}`);
} finally {
  await db.close();
}
