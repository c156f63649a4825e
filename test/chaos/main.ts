// `npm run chaos -- --cdrs N --kills K [--freezes F] [--broker-restarts B] [--broker-pauses P]
// [--redis-restarts R] [--brokers 1|3] [--rate CDRs/s]`: a long chaos run; prints one result
// line and exits non-zero unless lost=0 duplicated=0 out_of_order=0. Issue 9's run on the
// three-node bed: --brokers 3 --freezes 10 --broker-restarts 2 --broker-pauses 2.

import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cdrs: { type: 'string', default: '200000' },
      kills: { type: 'string', default: '20' },
      freezes: { type: 'string', default: '0' },
      'broker-restarts': { type: 'string', default: '2' },
      'broker-pauses': { type: 'string', default: '0' },
      brokers: { type: 'string', default: '1' },
      'redis-restarts': { type: 'string', default: '2' },
      rate: { type: 'string', default: '1500' },
      'lease-ttl-ms': { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(Date.now() % 1e9) },
    },
  });
  const n = (k: keyof typeof values): number => Number(values[k]);
  const result = await runChaos({
    cdrs: n('cdrs'),
    kills: n('kills'),
    freezes: n('freezes'),
    brokerRestarts: n('broker-restarts'),
    brokerPauses: n('broker-pauses'),
    brokers: brokerCount(n('brokers')),
    redisRestarts: n('redis-restarts'),
    rate: n('rate'),
    leaseTtlMs: n('lease-ttl-ms'),
    seed: n('seed'),
    log: (l) => process.stderr.write(`chaos: ${l}\n`),
  });
  const f = [...result.failoverMs].sort((a, b) => a - b);
  process.stderr.write(`chaos: failover ms min=${f[0] ?? '-'} median=${f[Math.floor(f.length / 2)] ?? '-'} max=${f[f.length - 1] ?? '-'}; ${result.seconds.toFixed(0)} s in all\n`);
  process.stdout.write(`${result.line}\n`);
  return result.lost === 0 && result.duplicated === 0 && result.outOfOrder === 0 && result.inTopic === result.cdrs ? 0 : 1;
}

function brokerCount(n: number): 1 | 3 {
  if (n !== 1 && n !== 3) throw new Error(`--brokers must be 1 or 3, not ${n}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`chaos: failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
