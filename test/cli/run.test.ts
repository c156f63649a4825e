// `cdr-bridge run` refuses to start on bad input with one clear line and the right exit code,
// touching nothing.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/bridge-process';
import { redisClient, services, uniqueName } from '../support/services';

const redis = redisClient();
after(() => redis.disconnect());

describe('cdr-bridge run: refusing to start', () => {
  it('exits 2 with one line naming the setting when a value is bad', async () => {
    const { code, stderr, stdout } = await runCli(['run'], { BATCH_SIZE: 'lots', REDIS_URL: services.redisUrl });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, 'cdr-bridge: BATCH_SIZE: must be an integer, got "lots"\n');
  });

  it('exits 2 for a bad flag value too, and flags win over the environment', async () => {
    const { code, stderr } = await runCli(['run', '--kafka-brokers', 'nohostport'], { KAFKA_BROKERS: '127.0.0.1:9092' });
    assert.equal(code, 2);
    assert.equal(stderr, 'cdr-bridge: KAFKA_BROKERS: "nohostport" is not host:port\n');
  });

  it('exits 1 with one clear line, touching nothing, when the source key is not a list', async () => {
    const source = uniqueName('test:wrongtype');
    await redis.hset(source, 'a', '1');
    const { code, stderr } = await runCli(['run'], { REDIS_URL: services.redisUrl, KAFKA_BROKERS: services.kafkaBrokers, CDR_SOURCE_KEY: source, HTTP_PORT: '0' });
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
    assert.deepEqual(lines, [`cdr-bridge: Redis key "${source}" holds a hash, not a list; refusing to touch it`]);
    assert.deepEqual(await redis.hgetall(source), { a: '1' });
    assert.equal(await redis.exists(`${source}:processing`, `${source}:lease`), 0);
  });
});
