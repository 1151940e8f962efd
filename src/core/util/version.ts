import { version as packageVersion } from "../../../package.json";

/** Squeeze's version, from package.json (bundled at build time). */
export const VERSION: string = packageVersion;
