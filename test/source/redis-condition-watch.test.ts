// When the condition watch says a condition starts and ends: once each, whatever the retries; a
// condition that refuses everything ends at the first answer, one that refuses writes only once
// what it refused works again. Pure: refusals are fed in as the ioredis errors they would be.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/log';
import type { RedisCondition } from '../../src/source/redis-condition';
import { RedisConditionWatch } from '../../src/source/redis-condition-watch';

function watch(): { watch: RedisConditionWatch; lines: string[]; changes: string[]; refusals: string[] } {
  const lines: string[] = [];
  const log = {
    warn: (_fields: object, msg: string) => lines.push(`warn ${msg}`),
    info: (_fields: object, msg: string) => lines.push(`info ${msg}`),
  } as unknown as Logger;
  const changes: string[] = [];
  const refusals: string[] = [];
  const w = new RedisConditionWatch(log, {
    changed: (c: RedisCondition, active: boolean) => changes.push(`${c} ${active ? 'on' : 'off'}`),
    refused: (c: RedisCondition) => refusals.push(c),
  });
  return { watch: w, lines, changes, refusals };
}

const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
const READONLY = reply('READONLY You can\'t write against a read only replica.');
const BUSY = reply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');

describe('the Redis condition watch', () => {
  it('says a condition once when it starts and once when it ends, however often Redis refuses', () => {
    const { watch: w, lines, changes, refusals } = watch();
    for (let i = 0; i < 5; i++) {
      w.refused(READONLY, 'script take-6.lua');
      w.refused(READONLY, 'script renew-lease-1.lua');
    }
    assert.equal(refusals.length, 10, 'every refusal is counted');
    assert.deepEqual(w.current(), ['READONLY']);
    w.answered('script take-6.lua');
    assert.deepEqual(w.current(), ['READONLY'], 'the renewal is still refused');
    w.answered('llen');
    assert.deepEqual(w.current(), ['READONLY'], 'a read proves nothing about writes');
    w.answered('script renew-lease-1.lua');
    assert.deepEqual(w.current(), []);
    assert.deepEqual(changes, ['READONLY on', 'READONLY off']);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^warn redis READONLY: .* — point REDIS_URL at the master/);
    assert.match(lines[1]!, /^info redis READONLY is over after \d+\.\d s/);
  });

  it('ends a condition that refuses everything at the first answer of any command', () => {
    const { watch: w, changes } = watch();
    w.refused(BUSY, 'script renew-lease-1.lua');
    w.refused(BUSY, 'llen');
    w.answered('get');
    assert.deepEqual(changes, ['BUSY on', 'BUSY off']);
  });

  it('ignores what is not a condition (the bridge\'s own script errors)', () => {
    const { watch: w, lines, refusals } = watch();
    assert.equal(w.refused(reply('NOTLEADER the lease is not held by this process'), 'script take-6.lua'), undefined);
    assert.deepEqual([lines, refusals, w.current()], [[], [], []]);
  });

  it('leaves unreachable to the connection\'s own lines: counted and in force, not logged twice', () => {
    const { watch: w, lines, changes } = watch();
    w.refused(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), 'connection cdr-bridge');
    w.answered('connection cdr-bridge');
    assert.deepEqual(changes, ['unreachable on', 'unreachable off']);
    assert.deepEqual(lines, []);
  });
});
