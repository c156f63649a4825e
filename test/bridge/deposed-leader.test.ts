// A deposed leader never re-initialises its producer: a bridge that lost its lease while Kafka
// was down does not, when Kafka returns, initialise the transactional id again — which would
// fence the producer of whoever took over, mid-transaction.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log';
import { createProducer, type RecordProducer } from '../../src/sink/producer';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { frozen } from '../support/frozen-mid-batch';
import { oracleRawValues } from '../support/oracle-topic';
import { OwnStack } from '../support/own-stack';
import { Scenario } from '../support/scenario';
import { pushAll, waitFor } from '../support/services';

describe('a deposed leader', () => {
  let stack: OwnStack;
  const scenarios: Scenario[] = [];
  before(async () => {
    stack = await OwnStack.up();
  });
  after(async () => {
    for (const s of scenarios) await s.close();
    await stack?.down();
  });

  it('that lost its lease during a Kafka outage stands by when Kafka returns, and never fences the producer of the one that took over', async () => {
    const s = new Scenario();
    scenarios.push(s);
    // The lease is taken from it by another holder, not given up: the progress watchdog (which
    // would stand it down first during this outage) is kept out of the way.
    const env = s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, BATCH_SIZE: '100', PROGRESS_TIMEOUT_MS: '600000' });
    const redis = stack.redis();
    const bridge = BridgeProcess.run(env);
    let successor: RecordProducer | undefined;
    try {
      await bridge.waitForLog('acquired the lease');
      await pushAll(redis, s.source, takeSynthetic(200, { seed: 41 }));
      await waitFor('the first CDRs drained', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0, 60_000);
      await stack.stop('kafka');
      await pushAll(redis, s.source, takeSynthetic(100, { seed: 42 }));
      // It holds a batch it cannot publish, and retries: each retry begins by initialising the producer.
      await bridge.waitForLog('kafka publish failed', 60_000);
      assert.ok((await redis.llen(s.processing)) > 0, 'the fault missed: no batch in flight during the outage');
      // Someone else takes the lease (as `replay --force` does) ...
      await redis.set(`${s.source}:lease`, `elsewhere|1|${Date.now()}|successor`, 'PX', 600_000);
      await bridge.waitForLog('lease lost to another bridge', 30_000);
      // ... and, Kafka back, initialises the transactional id and opens a transaction, all while
      // the deposed bridge is frozen: its next retry comes after, for certain.
      bridge.kill('SIGSTOP');
      await frozen(bridge);
      await stack.start('kafka');
      successor = await createProducer({ kafkaBrokers: stack.kafkaBrokers.split(','), kafkaClientId: 'the-successor', kafkaCompression: 'none', kafkaSaslMechanism: undefined, kafkaSaslUsername: undefined, kafkaSaslPassword: undefined, kafkaSsl: false, kafkaSslCaFile: undefined }, createLogger('silent'), `cdr-bridge:${s.source}`);
      const txn = await successor.beginTransaction();
      await txn.send({ messages: [{ topic: s.topic, key: Buffer.from('successor'), value: Buffer.from('the successor\'s record') }] });
      bridge.kill('SIGCONT');
      const deposed = await bridge.waitForLog('no longer the leader', 120_000);
      console.log(`# the deposed bridge: ${String(deposed.reason)}`);
      // Had it initialised the id again, the successor would be fenced now.
      await assert.doesNotReject(txn.commit(), 'the successor\'s commit was refused: the deposed bridge initialised the transactional id again and fenced it');
      const values = (await oracleRawValues(stack.kafkaBrokers, s.topic, false)).map(String);
      assert.ok(values.includes('the successor\'s record'), 'the successor\'s transaction committed');
      assert.ok((await redis.llen(s.processing)) > 0, 'the deposed bridge left its batch in flight to the lease holder');
    } finally {
      await successor?.close(true).catch((err: Error) => console.log(`# closing the successor: ${err.message}`));
      bridge.kill('SIGCONT');
      await bridge.stop();
    }
  });
});
