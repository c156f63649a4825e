// The Docker engine scripts/test-image starts for the image suite (DOCKER_HOST), driven with
// Debian's client, the engine's own version (a newer client may be first on PATH).

import assert from 'node:assert/strict';
import { runToEnd, type ChildRun } from './child';

export const DOCKER = '/usr/bin/docker';

export async function docker(args: readonly string[], timeoutMs = 120_000): Promise<ChildRun> {
  if (!process.env.DOCKER_HOST) throw new Error('DOCKER_HOST is not set: run the image suite with `npm run test:image`, which starts its own engine');
  return runToEnd(DOCKER, args, timeoutMs);
}

/** Runs a docker command that must succeed; returns its stdout, trimmed. */
export async function dockerOk(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const r = await docker(args, timeoutMs);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}:\n${r.output.slice(-4000)}`);
  return r.stdout.trim();
}

/** One field of `docker inspect`, by Go template. */
export async function inspect(name: string, template: string): Promise<string> {
  return dockerOk(['inspect', '-f', template, name]);
}
