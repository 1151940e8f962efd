// The JSON Schema files generated from zod schemas, and where they live.
import path from "node:path";
import { z } from "zod";
import { benchReportSchema } from "../../src/core/protocol/benchReport";
import { catalogSchema } from "../../src/core/catalog/catalogSchema";
import { profileSchema } from "../../src/core/hardware/profileSchema";

const ROOT = path.resolve(__dirname, "../..");

export const SCHEMA_FILES = [
  { file: path.join(ROOT, "src/core/protocol/benchReport.schema.json"), schema: () => z.toJSONSchema(benchReportSchema, { io: "input" }) },
  { file: path.join(ROOT, "src/core/catalog/catalog.schema.json"), schema: () => z.toJSONSchema(catalogSchema, { io: "input" }) },
  { file: path.join(ROOT, "src/core/hardware/profile.schema.json"), schema: () => z.toJSONSchema(profileSchema, { io: "input" }) },
];
