// The tools the deploy/ checks need (promtool, prometheus, go), installed when missing by
// scripts/ensure-deploy-tools, which .ci/run reaches through `npm test`.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './bridge-process';

export interface DeployTools {
  promtool: string;
  prometheus: string;
  go: string;
}

let found: DeployTools | undefined;

export function deployTools(): DeployTools {
  if (found) return found;
  const run = spawnSync('bash', [path.join(ROOT, 'scripts/ensure-deploy-tools')], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`scripts/ensure-deploy-tools exited ${run.status}:\n${run.stderr}`);
  const paths = Object.fromEntries(run.stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
  for (const tool of ['promtool', 'prometheus', 'go']) {
    if (!paths[tool]) throw new Error(`scripts/ensure-deploy-tools named no ${tool}:\n${run.stdout}`);
  }
  found = paths as unknown as DeployTools;
  return found;
}
