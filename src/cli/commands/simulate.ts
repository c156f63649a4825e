// `cdr-bridge simulate`: a dialler simulator that LPUSHes realistic CDRs at a set rate, for
// demos, load tests and benchmarks.

import { Command, Option } from 'commander';
import { createLogger } from '../../log';
import { syntheticCdrs } from '../../simulate/synthetic-cdrs';
import { connectRedis } from '../../source/redis-connection';
import { pause } from '../../bridge/backoff';
import { configOf, REDIS_SETTINGS, withSettings } from '../options';
import { Progress } from '../progress';
import { UsageError } from '../../errors';
import { SETTINGS } from '../../config/settings';

/** The list the dialler really writes to: the source key's default. */
const DIALLER_LIST = SETTINGS.sourceKey.fallback;

const MALFORMED = ['{"ext":"1001","disposition":"ANSWERED"', '["not","an","object"]', '{"disposition":"BUSY"}', '{"internal_call_ref":"sim-bad","SIP_termination_code":"four-eight-seven"}'];

function positiveInt(name: string, min = 0) {
  return (v: string): number => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
    return Number(v);
  };
}

export function simulateCommand(): Command {
  return withSettings(new Command('simulate'), [...REDIS_SETTINGS, 'sourceKey'])
    .description('push realistic synthetic CDRs to the source list, as the dialler would')
    .addOption(new Option('--count <n>', 'how many CDRs to push').argParser(positiveInt('count', 1)).default(1000))
    .addOption(new Option('--rate <perSecond>', 'CDRs per second (0: as fast as possible)').argParser(positiveInt('rate')).default(0))
    .addOption(new Option('--seed <n>', 'seed for reproducible CDRs').argParser(positiveInt('seed')))
    .addOption(new Option('--malformed-every <n>', 'also push a malformed CDR after every n good ones (0: never)').argParser(positiveInt('malformed-every')).default(0))
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .option('--yes', `confirm pushing fake CDRs to the dialler's real list (${DIALLER_LIST}, the default source key); else name a test list with --source-key`)
    .action(async (opts: { count: number; rate: number; seed?: number; malformedEvery: number; progress: boolean; json?: boolean; yes?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      // Fake calls on the dialler's own list would reach call accounting like real ones.
      if (config.sourceKey === DIALLER_LIST && !opts.yes) {
        throw new UsageError(`simulate pushes fake CDRs, and ${DIALLER_LIST} is the dialler's real list (they would reach call accounting); name a test list with --source-key, or pass --yes`);
      }
      const log = createLogger('warn');
      const redis = connectRedis(config, 'cdr-bridge-simulate', log, { failFast: true });
      await redis.connect();
      const progress = new Progress('simulate', opts.count, opts.progress);
      const cdrs = syntheticCdrs(opts.seed === undefined ? { withoutSeq: true } : { seed: opts.seed });
      const started = Date.now();
      let pushed = 0;
      let malformed = 0;
      // Push in ticks of 10 ms; at rate 0, in chunks of 1,000 as fast as Redis takes them.
      const perTick = opts.rate === 0 ? 1000 : Math.max(1, opts.rate / 100);
      let owed = 0;
      try {
        while (pushed < opts.count) {
          owed += perTick;
          const n = Math.min(Math.floor(owed), opts.count - pushed);
          owed -= n;
          if (n > 0) {
            const chunk: string[] = [];
            for (let i = 0; i < n; i++) {
              chunk.push(cdrs.next().value as string);
              if (opts.malformedEvery > 0 && (pushed + i + 1) % opts.malformedEvery === 0) {
                chunk.push(MALFORMED[malformed % MALFORMED.length] as string);
                malformed++;
              }
            }
            await redis.lpush(config.sourceKey, ...chunk);
            pushed += n;
            progress.update(pushed);
          }
          if (opts.rate > 0) {
            const due = started + ((pushed + owed) / opts.rate) * 1000;
            await pause(Math.max(0, due - Date.now()));
          }
        }
      } finally {
        redis.disconnect();
      }
      const seconds = (Date.now() - started) / 1000;
      const summary = { pushed, malformed, seconds: Number(seconds.toFixed(3)), rate: Math.round(pushed / Math.max(seconds, 0.001)), key: config.sourceKey };
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `pushed ${pushed} CDRs (+${malformed} malformed) to ${config.sourceKey} in ${summary.seconds}s (${summary.rate}/s)\n`);
    });
}
