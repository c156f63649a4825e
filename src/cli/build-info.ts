// What `cdr-bridge --version` says: the package's version and the git revision it was built from,
// as scripts/build-info wrote them into dist/src/build-info.json at build time (an installed
// package or an image has no .git to ask).

import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface BuildInfo {
  version: string;
  revision: string;
}

/** dist/src/build-info.json; a build without it (a bare `tsc`) says so rather than guessing. */
export function buildInfo(file = path.join(__dirname, '..', 'build-info.json')): BuildInfo {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildInfo>;
    if (typeof info.version === 'string' && typeof info.revision === 'string') return { version: info.version, revision: info.revision };
  } catch {
    // Falls through: the package's own version, revision unknown.
  }
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, revision: 'unknown (built without scripts/build-info)' };
}

/** The line `--version` prints: `0.1.0 (revision 1a2b…)`. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `${info.version} (revision ${info.revision})`;
}
