// Writes the JSON Schema files that editors use to check Squeeze's JSON files, from the zod
// schemas the code validates with (npm run schemas). test/unit/catalog.test.ts fails when they differ.
import { writeFileSync } from "node:fs";
import { SCHEMA_FILES } from "./schemaFiles";

for (const { file, schema } of SCHEMA_FILES) {
  writeFileSync(file, `${JSON.stringify(schema(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
