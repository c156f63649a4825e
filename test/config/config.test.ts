// Configuration: defaults, precedence (flags > environment > .env), derived keys, and one
// clear ConfigError naming the setting for every bad value.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { describeConfig, loadConfig } from '../../src/config/config';
import { parseDotenv } from '../../src/config/dotenv';
import { ConfigError } from '../../src/errors';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('defaults every setting and derives the processing, dead-letter and lease keys from the source', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.sourceKey, 'enigma:notifications:campaigns');
    assert.equal(c.processingKey, 'enigma:notifications:campaigns:processing');
    assert.equal(c.deadLetterKey, 'enigma:notifications:campaigns:deadletter');
    assert.equal(c.leaseKey, 'enigma:notifications:campaigns:lease');
    assert.equal(c.kafkaTopic, 'enigma.cdrs');
    assert.equal(c.batchSize, 500);
    assert.deepEqual(c.kafkaBrokers, ['127.0.0.1:9092']);
    assert.equal(c.shutdownTimeoutMs, 10000);
    assert.ok(Object.isFrozen(c));
  });

  it('defaults PROGRESS_TIMEOUT_MS to three lease TTLs, and refuses one shorter than a lease', () => {
    assert.equal(loadConfig({ env: {} }).progressTimeoutMs, 30000);
    assert.equal(loadConfig({ env: { LEASE_TTL_MS: '3000' } }).progressTimeoutMs, 9000);
    assert.equal(loadConfig({ env: { LEASE_TTL_MS: '3000', PROGRESS_TIMEOUT_MS: '3000' } }).progressTimeoutMs, 3000);
    const err = configError(() => loadConfig({ env: { LEASE_TTL_MS: '3000', PROGRESS_TIMEOUT_MS: '2999' } }));
    assert.equal(err.setting, 'PROGRESS_TIMEOUT_MS');
    assert.match(err.message, /must be at least LEASE_TTL_MS \(3000\)/);
  });

  it('takes flags over the environment over the .env file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const dotenv = path.join(dir, '.env');
    writeFileSync(dotenv, '# comment\nBATCH_SIZE=7\nKAFKA_TOPIC="from.dotenv"\nexport LOG_LEVEL=debug\nCDR_SOURCE_KEY=dot:src\n');
    const c = loadConfig({ env: { KAFKA_TOPIC: 'from.env', BATCH_SIZE: '8' }, flags: { batchSize: '9' }, dotenvPath: dotenv });
    assert.equal(c.batchSize, 9);
    assert.equal(c.kafkaTopic, 'from.env');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.sourceKey, 'dot:src');
    assert.equal(c.processingKey, 'dot:src:processing');
  });

  it('names the setting and the problem for each bad value', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ BATCH_SIZE: 'abc' }, 'BATCH_SIZE', /integer/],
      [{ BATCH_SIZE: '0' }, 'BATCH_SIZE', /between 1 and 5000/],
      [{ BATCH_SIZE: '100000' }, 'BATCH_SIZE', /between/],
      [{ REDIS_URL: 'http://x:1' }, 'REDIS_URL', /redis:\/\/ or rediss:\/\//],
      [{ REDIS_URL: 'not a url' }, 'REDIS_URL', /not a URL/],
      [{ KAFKA_BROKERS: '' }, 'KAFKA_BROKERS', /at least one/],
      [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS', /host:port/],
      [{ KAFKA_BROKERS: 'a:1,b:99999' }, 'KAFKA_BROKERS', /"b:99999"/],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/],
      [{ KAFKA_KEY_FIELD: 'ext' }, 'KAFKA_KEY_FIELD', /one of/],
      // zstd: the bridge's own readers take it, but downstream clients still in use (kafkajs, say) cannot read it.
      [{ KAFKA_COMPRESSION: 'zstd' }, 'KAFKA_COMPRESSION', /^KAFKA_COMPRESSION: must be one of none, gzip, snappy, lz4, got "zstd"$/],
      [{ KAFKA_TOPIC: '  ' }, 'KAFKA_TOPIC', /empty/],
      [{ KAFKA_CREATE_TOPIC: 'maybe' }, 'KAFKA_CREATE_TOPIC', /true or false/],
      [{ CDR_PROCESSING_KEY: 'enigma:notifications:campaigns' }, 'CDR_PROCESSING_KEY', /must all differ/],
    ];
    for (const [env, setting, problem] of cases) {
      const err = configError(() => loadConfig({ env }));
      assert.equal(err.setting, setting);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, problem);
      assert.ok(err.message.startsWith(`${setting}: `), err.message);
      assert.ok(!err.message.includes('\n'), 'one line');
    }
  });

  it('takes every codec KAFKA_COMPRESSION names, in any case, and defaults to none', () => {
    assert.equal(loadConfig({ env: {} }).kafkaCompression, 'none');
    for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as const) {
      assert.equal(loadConfig({ env: { KAFKA_COMPRESSION: codec } }).kafkaCompression, codec);
    }
    assert.equal(loadConfig({ env: { KAFKA_COMPRESSION: ' LZ4 ' } }).kafkaCompression, 'lz4');
    assert.equal(loadConfig({ env: {}, flags: { kafkaCompression: 'snappy' } }).kafkaCompression, 'snappy');
  });

  it('never shows a password: not in errors, not in the described config', () => {
    const err = configError(() => loadConfig({ env: { REDIS_URL: 'ftp://user:s3cret@host:1' } }));
    assert.ok(!err.message.includes('s3cret'), err.message);
    const c = loadConfig({ env: { REDIS_URL: 'redis://user:s3cret@host:6379/0', REDIS_PASSWORD: 'hunter2' } });
    const text = JSON.stringify(describeConfig(c));
    assert.ok(!text.includes('s3cret') && !text.includes('hunter2'), text);
    assert.match(text, /redis:\/\/user:\*\*\*@host:6379\/0/);
  });

  it('reads a secret from <NAME>_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'pw');
    writeFileSync(file, 'from-file\n');
    assert.equal(loadConfig({ env: { REDIS_PASSWORD_FILE: file } }).redisPassword, 'from-file');
    const err = configError(() => loadConfig({ env: { REDIS_PASSWORD_FILE: path.join(dir, 'missing') } }));
    assert.equal(err.setting, 'REDIS_PASSWORD_FILE');
  });

  it('parses the .env forms people write', () => {
    assert.deepEqual(parseDotenv('A=1\n  # x\nexport B = two # trailing\nC=\'q # not comment\'\nD="l\\nm"\nbad line\n'), { A: '1', B: 'two', C: 'q # not comment', D: 'l\nm' });
  });

  it('reads a .env as `node --env-file` does: CRLF lines, a quoted value over several lines, = in a value', () => {
    assert.deepEqual(parseDotenv('A=1\r\nPEM="-----BEGIN-----\nabc\n-----END-----"\r\nURL=redis://h:1/0?x=y\r\nEMPTY=\r\n'), {
      A: '1',
      PEM: '-----BEGIN-----\nabc\n-----END-----',
      URL: 'redis://h:1/0?x=y',
      EMPTY: '',
    });
  });
});
