// Whether a file or folder exists (and can be reached); never throws.
import { access } from "node:fs/promises";

export function pathExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
