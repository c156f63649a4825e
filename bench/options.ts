// `npm run bench` flags → the sizes of every phase. --quick is a smoke run of about a minute
// (plus the stack start); the full run takes the sizes the performance targets are stated for.

export interface BenchOptions {
  quick: boolean;
  /** CDRs in the main drain (and the Kafka and Redis ceilings, and each yardstick drain). */
  cdrs: number;
  /** Rounds of the yardstick: the bridge and the reliable mover drain `cdrs` each, in turns. */
  moverRounds: number;
  /** CDRs for the naive bridge (it is slow: one round trip of each kind per CDR). */
  naiveCdrs: number;
  /** Offered loads for the latency phase, CDR/s, and how long each runs. */
  latencyRates: number[];
  latencySeconds: number;
  /** Seconds of load before the counted ones (the bridge's JIT warms up). */
  latencyWarmUpSeconds: number;
  /** Backlog of the memory phase; 0 skips it. */
  backlogCdrs: number;
  /** The batch-size sweep: BATCH_SIZE values and the CDRs drained at each. */
  sweepSizes: number[];
  sweepCdrs: number;
  /** Only these phases (all when empty): drain, mover, ceiling, naive, latency, memory, sweep. */
  only: Set<Phase>;
  /** Directory for V8 CPU profiles of the drain's bridge (node --cpu-prof), when set. */
  cpuProfDir: string | undefined;
  /** Where latest.json / latest.md / the chart go. */
  resultsDir: string;
  /** Use the stack already up in this STACK_DIR (and leave it up) instead of starting one. */
  stackDir: string | undefined;
}

export const PHASES = ['drain', 'mover', 'ceiling', 'naive', 'latency', 'memory', 'sweep'] as const;
export type Phase = (typeof PHASES)[number];

const USAGE = `usage: npm run bench -- [--quick] [--cdrs N] [--mover-rounds N] [--naive-cdrs N] [--backlog N] [--sweep-cdrs N]
                          [--latency-seconds S] [--only drain,mover,ceiling,naive,latency,memory,sweep]
                          [--cpu-prof DIR] [--results DIR] [--stack-dir DIR]`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    cdrs: quick ? 20_000 : 500_000,
    moverRounds: quick ? 2 : 3,
    naiveCdrs: quick ? 500 : 5_000,
    latencyRates: [1_000, 10_000],
    latencySeconds: quick ? 4 : 20,
    latencyWarmUpSeconds: quick ? 1 : 3,
    backlogCdrs: quick ? 0 : 2_000_000,
    sweepSizes: quick ? [100, 500, 2000] : [50, 100, 250, 500, 1000, 2000],
    sweepCdrs: quick ? 10_000 : 100_000,
    only: new Set(),
    cpuProfDir: undefined,
    resultsDir: 'bench/results',
    stackDir: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--cdrs':
        o.cdrs = count(flag, value());
        break;
      case '--mover-rounds':
        o.moverRounds = count(flag, value());
        break;
      case '--naive-cdrs':
        o.naiveCdrs = count(flag, value());
        break;
      case '--backlog':
        o.backlogCdrs = count(flag, value(), 0);
        break;
      case '--sweep-cdrs':
        o.sweepCdrs = count(flag, value());
        break;
      case '--latency-seconds':
        o.latencySeconds = count(flag, value());
        break;
      case '--only':
        for (const p of value().split(',')) {
          if (!(PHASES as readonly string[]).includes(p)) throw new UsageError(`--only: unknown phase "${p}"`);
          o.only.add(p as Phase);
        }
        break;
      case '--cpu-prof':
        o.cpuProfDir = value();
        break;
      case '--results':
        o.resultsDir = value();
        break;
      case '--stack-dir':
        o.stackDir = value();
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return o;
}

export function runs(o: BenchOptions, phase: Phase): boolean {
  return o.only.size === 0 || o.only.has(phase);
}

export class UsageError extends Error {
  readonly usage = USAGE;
}

function count(flag: string | undefined, raw: string, min = 1): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}
