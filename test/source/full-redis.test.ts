// The source's every write against a real redis-server at maxmemory (noeviction), where Redis
// refuses SET, LPUSH and BLMOVE: the lease (taken, renewed, seized, released), the take (and the
// blocking take's fallback), the ack with dead letters, and the requeues all still work, since
// each is a script declared allow-oom; and every script file says so, with why it is bounded.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { DeadLetterList } from '../../src/source/dead-letter-list';
import { InFlight } from '../../src/source/in-flight';
import { Lease } from '../../src/source/lease';
import { ReliableList } from '../../src/source/reliable-list';
import { ROOT } from '../support/bridge-process';
import { LocalRedis } from '../support/local-redis';

const LUA_DIR = path.join(ROOT, 'src/source/lua');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-full-source-'));
let server: LocalRedis;
let redis: Redis;
let blocking: Redis;

before(async () => {
  server = await LocalRedis.start(dir, ['--maxmemory-policy', 'noeviction']);
  redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  blocking = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
});

after(async () => {
  redis?.disconnect();
  blocking?.disconnect();
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const oom = /OOM command not allowed/;

/** Fills Redis up to maxmemory with `key`'s items (the dialler's list) until LPUSH is refused. */
async function fill(key: string): Promise<number> {
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  await redis.config('SET', 'maxmemory', String(used + 1024 * 1024));
  const item = (i: number): string => JSON.stringify({ internal_call_ref: `call-${i}`, pad: 'x'.repeat(200) });
  for (let i = 0; ; i++) {
    try {
      await redis.lpush(key, item(i));
    } catch (err) {
      assert.match((err as Error).message, oom);
      return i;
    }
  }
}

describe('Lua scripts', () => {
  it('each declares allow-oom on its first line and says why its writes on a full Redis are bounded', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
    assert.ok(files.length >= 9, files.join(' '));
    for (const f of files) {
      const text = readFileSync(path.join(LUA_DIR, f), 'utf8');
      assert.equal(text.split('\n')[0], '#!lua flags=allow-oom', `${f}: first line`);
      assert.match(text, /^ {2}On a full Redis \(allow-oom\): /m, `${f}: the header says what it adds on a full Redis`);
    }
  });
});

describe('the source on a full Redis', () => {
  it('takes, renews, seizes and releases the lease; takes, acks and dead-letters; requeues; and falls back from a refused BLMOVE', async () => {
    const keys = { source: 'full:cdrs', processing: 'full:cdrs:processing', deadLetter: 'full:cdrs:deadletter', lease: 'full:cdrs:lease' };
    const pushed = await fill(keys.source);
    assert.ok(pushed > 1000, `${pushed} CDRs fill it`);
    await assert.rejects(redis.set('anything', '1'), oom, 'a plain SET is refused');

    const lease = new Lease(redis, keys.lease, 60_000);
    assert.equal(await lease.tryAcquire(), true, 'the lease is taken');
    assert.equal(await new Lease(redis, keys.lease, 60_000).tryAcquire(), false, 'and not twice');
    assert.equal(await lease.renew(), true, 'renewed');

    const list = new ReliableList(redis, blocking, keys);
    const batch = await list.take(100, 1000, lease.token);
    assert.equal(batch?.items.length, 100, 'a batch is taken');
    const refused = [{ seq: batch!.seq, raw: batch!.items[0]!, reason: 'a test refusal' }];
    assert.deepEqual(await list.ack(batch!.listId, batch!.seq, refused), { removed: 99, deadLettered: 1, remaining: 0 }, 'acked with one dead letter');

    // The dialler's list is gone; Redis is still full of dead letters and other data.
    await redis.del(keys.source);
    await redis.config('SET', 'maxmemory', '1');
    await assert.rejects(blocking.blmove(keys.source, 'elsewhere', 'RIGHT', 'LEFT', 0.1), oom, 'BLMOVE is refused');
    const started = Date.now();
    assert.equal(await list.take(100, 1000, lease.token), undefined, 'an empty take, not an error');
    assert.ok(Date.now() - started < 1000, `a short poll (${Date.now() - started} ms)`);

    // Whatever is put back goes back: a dead letter, and a batch in flight.
    const letters = new DeadLetterList(redis, keys);
    assert.equal(await letters.requeue(await letters.all()), 1);
    await redis.config('SET', 'maxmemory', '1');
    const again = await list.takeReady(10, lease.token);
    assert.equal(again?.items.length, 1);
    assert.deepEqual(await new InFlight(redis, keys).requeue(10), { moved: 1, remaining: 0 });
    assert.equal(await list.adoptUnrecorded(), 0);

    const seizer = new Lease(redis, keys.lease, 60_000);
    await seizer.seize();
    assert.equal(await lease.renew(), false, 'the seized lease is no longer ours');
    await seizer.release();
    assert.equal(await redis.exists(keys.lease), 0, 'released');
    await assert.rejects(redis.lpush(keys.source, 'x'), oom, 'Redis was full all along');
  });
});
