import { existsSync } from 'node:fs';

/** Debian's chromium (apt-get install chromium), or CHROMIUM_PATH; playwright's own download does not work here. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`no Chromium at ${path}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return path;
}
