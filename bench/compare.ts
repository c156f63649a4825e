// Two builds of the bridge, one stack, turns taken: `node dist/bench/compare.js --base DIR
// [--runs N] [--cdrs N] [--stack-dir DIR] [--node-args "FLAGS"]` drains N CDRs with the build in
// DIR (another checkout, built; or this one, with --node-args for this side only) and with this
// one, alternately, and prints each run and the median ratio of this
// build's CDR/s over the base's. On a shared, noisy machine only a ratio of interleaved runs
// says whether a change helped; a single drain's figure moves by ±15% from run to run.

import path from 'node:path';
import { existingStack } from './bench-stack';
import { drain } from './drain';
import { median } from './stats';
import { OwnStack } from '../test/support/own-stack';
import type { BenchStack } from './bench-stack';

interface Options {
  base: string;
  runs: number;
  cdrs: number;
  stackDir: string | undefined;
  /** Node flags for this build's runs only (e.g. a V8 heap setting against the default). */
  nodeArgs: string[];
}

function parse(argv: readonly string[]): Options {
  const o: Options = { base: '', runs: 5, cdrs: 200_000, stackDir: undefined, nodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i]} needs a value`);
    switch (argv[i++]) {
      case '--base':
        o.base = path.resolve(v);
        break;
      case '--runs':
        o.runs = Number(v);
        break;
      case '--cdrs':
        o.cdrs = Number(v);
        break;
      case '--stack-dir':
        o.stackDir = v;
        break;
      case '--node-args':
        o.nodeArgs = v.split(' ').filter(Boolean);
        break;
      default:
        throw new Error(`unknown flag ${argv[i - 1]}`);
    }
  }
  if (!o.base) throw new Error('usage: node dist/bench/compare.js --base DIR [--runs N] [--cdrs N] [--stack-dir DIR]');
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const stack: BenchStack = o.stackDir ? existingStack(o.stackDir) : await OwnStack.up();
  const ratios: number[] = [];
  try {
    for (let run = 1; run <= o.runs; run++) {
      // Alternate which goes first, so a drift of the machine's load favours neither.
      const order = run % 2 ? ['base', 'this'] : ['this', 'base'];
      const rate: Record<string, number> = {};
      const cpu: Record<string, number> = {};
      const rss: Record<string, number> = {};
      for (const which of order) {
        const r = await drain(stack, { cdrs: o.cdrs, start: which === 'base' ? { root: o.base } : { nodeArgs: o.nodeArgs } });
        rate[which] = r.cdrPerSec;
        cpu[which] = r.cpuUsPerCdr.bridge;
        rss[which] = r.peakRssMiB;
      }
      const ratio = rate.this! / rate.base!;
      ratios.push(ratio);
      process.stdout.write(`run ${run}: base ${rate.base} CDR/s (${cpu.base} µs/CDR, ${rss.base} MiB), this ${rate.this} CDR/s (${cpu.this} µs/CDR, ${rss.this} MiB), ratio ${ratio.toFixed(3)}\n`);
    }
    process.stdout.write(`median ratio this/base over ${o.runs} runs: ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})\n`);
  } finally {
    await stack.down();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`compare: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
