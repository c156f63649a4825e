// Summarises a V8 CPU profile (from `npm run bench -- --only drain --cpu-prof DIR`): where the
// bridge's time went, by part (its own modules, each dependency, Node internals, GC, idle) and
// by function. Usage: node dist/bench/profile-summary.js FILE.cpuprofile [top]

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part a frame belongs to: a dependency, a directory of ours, Node itself, or V8's own. */
function partOf(url: string, name: string): string {
  if (url === '') return `(${name.replace(/[()]/g, '') || 'native'})`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  const ours = /dist\/(src\/[^/]+|bench|test)\//.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });

  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const part = partOf(f.url, f.functionName);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const key = `${f.functionName || '(anonymous)'}  ${part}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const busy = total - (parts.get('(idle)') ?? 0);
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const print = (title: string, m: Map<string, number>): void => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
    }
  };
  process.stdout.write(`profile ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / total).toFixed(1)}%)\n`);
  print('self time by part', parts);
  print('self time by function', functions);
}

main();
