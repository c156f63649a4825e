// Naming a Redis condition from what Redis 7 sends (the texts below are its replies, copied from
// a redis-server 7.0), and from INFO for `status`. Pure: no server needed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionFromInfo, conditionOf, conditionText, isRedisFailure, REDIS_CONDITIONS, replyText } from '../../src/source/redis-condition';

/** An error as ioredis raises a Redis error reply. */
function reply(message: string): Error {
  const err = new Error(message);
  err.name = 'ReplyError';
  return err;
}

describe('naming a Redis condition', () => {
  const replies: [string, string][] = [
    ['OOM', 'OOM command not allowed when used memory > \'maxmemory\'.'],
    ['OOM', 'OOM command not allowed when used memory > \'maxmemory\'. script: d223ed8c7345b684e8ed044ed472601f536fa58b, on @user_script:1.'],
    ['MISCONF', 'MISCONF Redis is configured to save RDB snapshots, but it\'s currently unable to persist to disk. Commands that may modify the data set are disabled.'],
    ['READONLY', 'READONLY You can\'t write against a read only replica. script: a97b5cbd8cd23cda5c2fc0a1943c351f07f9f588, on @user_script:16.'],
    ['LOADING', 'LOADING Redis is loading the dataset in memory'],
    ['NOSCRIPT', 'NOSCRIPT No matching script. Please use EVAL.'],
    ['BUSY', 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'],
    ['NOAUTH', 'NOAUTH Authentication required.'],
    ['WRONGPASS', 'WRONGPASS invalid username-password pair or user is disabled.'],
  ];
  for (const [condition, message] of replies) {
    it(`${condition} from "${message.slice(0, 40)}…"`, () => {
      assert.equal(conditionOf(reply(message)), condition);
      assert.ok(isRedisFailure(reply(message)));
    });
  }

  it('unreachable from a socket that cannot connect', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    assert.equal(conditionOf(refused), 'unreachable');
    assert.equal(conditionOf(new Error('Connection is closed.')), 'unreachable');
  });

  it('nothing from the bridge\'s own script errors, ERR, or a Kafka error', () => {
    assert.equal(conditionOf(reply('NOTLEADER the lease is not held by this process')), undefined);
    assert.equal(conditionOf(reply('BATCHES the batches list counts more items than the processing list holds')), undefined);
    assert.equal(conditionOf(reply('ERR unknown command')), undefined);
    assert.equal(conditionOf(new Error('progress topic "x" has no partition leader')), undefined);
    assert.equal(isRedisFailure(new Error('progress topic "x" has no partition leader')), false, 'a Kafka failure is not Redis\'s');
    assert.equal(isRedisFailure(reply('NOTLEADER the lease is not held by this process')), true, 'but a Redis reply is');
  });

  it('says what each condition is and what to do, in one line each', () => {
    for (const condition of REDIS_CONDITIONS) {
      const { what, action } = conditionText(condition);
      assert.ok(what.length > 10 && !what.includes('\n'), condition);
      assert.ok(action.length > 10 && !action.includes('\n'), condition);
    }
  });

  it('quotes a reply without the script location Redis appends', () => {
    assert.equal(replyText(reply('READONLY You can\'t write against a read only replica. script: a97b5cbd8cd23cda5c2fc0a1943c351f07f9f588, on @user_script:16.')), 'READONLY You can\'t write against a read only replica.');
  });
});

describe('the condition INFO shows (for status)', () => {
  const info = (fields: Record<string, string | number>): string => Object.entries({ loading: 0, role: 'master', rdb_last_bgsave_status: 'ok', aof_last_write_status: 'ok', used_memory: 1000, maxmemory: 0, ...fields }).map(([k, v]) => `${k}:${v}\r\n`).join('');

  it('none on a healthy master', () => assert.equal(conditionFromInfo(info({})), undefined));
  it('READONLY on a replica', () => assert.equal(conditionFromInfo(info({ role: 'slave', master_host: '10.0.0.2', master_port: 6379, master_link_status: 'up' }))?.found, 'a replica of 10.0.0.2:6379 (link up)'));
  it('MISCONF after a failed RDB save, unless writes are not stopped for it', () => {
    assert.equal(conditionFromInfo(info({ rdb_last_bgsave_status: 'err' }))?.condition, 'MISCONF');
    assert.equal(conditionFromInfo(info({ rdb_last_bgsave_status: 'err' }), { stopWritesOnBgsaveError: false }), undefined);
    assert.equal(conditionFromInfo(info({ rdb_last_bgsave_status: 'err' }), { savePoints: false }), undefined);
    assert.equal(conditionFromInfo(info({ aof_last_write_status: 'err' }))?.condition, 'MISCONF');
  });
  it('OOM above maxmemory', () => assert.equal(conditionFromInfo(info({ used_memory: 2000, maxmemory: 1000, maxmemory_policy: 'noeviction' }))?.condition, 'OOM'));
  it('LOADING while loading', () => assert.equal(conditionFromInfo(info({ loading: 1, loading_eta_seconds: 12 }))?.found, 'loading the dataset, about 12 s left'));
});
