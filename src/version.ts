import { readFileSync } from 'node:fs';

// package.json sits two levels above dist/src at run time and one above src in the repo.
function readVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      /* try the next location */
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
