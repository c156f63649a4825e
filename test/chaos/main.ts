// `npm run chaos -- --cdrs N --kills K [--broker-restarts B] [--redis-restarts R] [--rate CDRs/s]`:
// a long chaos run; prints one result line and exits non-zero unless lost=0 and duplicated=0.

import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cdrs: { type: 'string', default: '200000' },
      kills: { type: 'string', default: '20' },
      'broker-restarts': { type: 'string', default: '2' },
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
    brokerRestarts: n('broker-restarts'),
    redisRestarts: n('redis-restarts'),
    rate: n('rate'),
    leaseTtlMs: n('lease-ttl-ms'),
    seed: n('seed'),
    log: (l) => process.stderr.write(`chaos: ${l}\n`),
  });
  const f = [...result.failoverMs].sort((a, b) => a - b);
  process.stderr.write(`chaos: failover ms min=${f[0] ?? '-'} median=${f[Math.floor(f.length / 2)] ?? '-'} max=${f[f.length - 1] ?? '-'}; ${result.seconds.toFixed(0)} s in all\n`);
  process.stdout.write(`${result.line}\n`);
  return result.lost === 0 && result.duplicated === 0 && result.inTopic === result.cdrs ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`chaos: failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
