// Every answer a Redis gives on a bad day, each against a redis-server of the test's own and a
// bridge run as a process: one warn naming the condition and what to do (once, not per retry),
// cdr_bridge_redis_condition and /readyz naming it while it lasts while Kafka stays up, one info
// when it ends — and afterwards every CDR in the topic exactly once. Prints the recovery times.
// (OOM, a full Redis, has its own tests with the bridge's writes that must work there.)

import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../support/bridge-process';
import { LocalRedis } from '../support/local-redis';
import { msBetween, OwnRedisBridge } from '../support/own-redis-bridge';
import { waitFor } from '../support/services';

const info = async (own: OwnRedisBridge, field: string, section = 'all'): Promise<string | undefined> => new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(await own.client.info(section))?.[1];

/**
 * The common story: CDRs delivered; `start` makes Redis refuse with `condition`; the operator
 * sees it once, in the log, the metrics and /readyz; `end` repairs Redis; the bridge says so
 * once and carries the CDRs pushed at once after the repair. `refusedInLoop`: the leader's take
 * is refused too, so its loop fails on Redis — which must not show as Kafka.
 */
async function badDay(t: TestContext, own: OwnRedisBridge, condition: string, steps: { start: () => Promise<void>; end: () => Promise<number | void>; refusedInLoop?: boolean; refusals?: number; status?: 'shows' | 'refused'; alsoSeen?: string[] }): Promise<void> {
  await own.push(300);
  await own.drained();
  await steps.start();
  const started = await own.bridge.waitForLog(`redis ${condition}: `, 30_000);
  assert.equal(started.level, 'warn');
  const down = await own.notReadyFor(condition);
  assert.equal(down.state.redis, false);
  assert.ok(down.state.redisConditions?.find((c) => c.condition === condition)?.action, 'what to do is in /readyz');
  // Refused again and again, said once.
  const refusals = steps.refusals ?? 3;
  await waitFor(`Redis to refuse the bridge ${condition} ${refusals} times`, async () => ((await own.metric(`cdr_bridge_redis_errors_total{condition="${condition}"}`)) ?? 0) >= refusals, 30_000);
  if (steps.refusedInLoop) await own.bridge.waitForLog('redis command failed', 30_000);
  const during = await own.metrics();
  assert.match(during, new RegExp(`^cdr_bridge_redis_condition\\{condition="${condition}"\\} 1$`, 'm'));
  assert.match(during, /^cdr_bridge_redis_up 0$/m);
  assert.match(during, /^cdr_bridge_kafka_up 1$/m, 'a Redis failure is not blamed on Kafka');
  assert.equal((await own.readyz()).state.kafka, true);
  if (steps.status === 'shows') {
    // `status` only reads, which Redis still answers: it tells from INFO why writes are refused.
    const status = await runCli(['status', '--json'], own.env());
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { redis: { condition: string } | null }).redis?.condition, condition);
  } else if (steps.status === 'refused') {
    const status = await runCli(['status'], own.env());
    assert.equal(status.code, 1);
    assert.match(status.stderr, new RegExp(`refuses: ${condition} .* — `), 'one line naming the condition and what to do');
  }

  // `end` may say when the repair took effect (a load ends by itself).
  const repairing = Date.now();
  const repairedAt = (await steps.end()) ?? repairing;
  await own.push(300);
  await own.drained();
  const deliveredMs = Date.now() - repairedAt;
  const ended = await own.bridge.waitForLog(`redis ${condition} is over`, 60_000);
  await own.assertExactlyOnce();
  await waitFor('/readyz 200 again', async () => (await own.readyz()).status === 200, 30_000);
  assert.deepEqual((await own.readyz()).state, { ready: true, role: 'leader', redis: true, kafka: true });
  assert.equal(await own.metric(`cdr_bridge_redis_condition{condition="${condition}"}`), 0);
  assert.equal(await own.metric('cdr_bridge_redis_up'), 1);
  const lines = own.conditionLines(condition);
  assert.equal(lines.started.length, 1, `one warn for ${condition}: ${JSON.stringify(lines.started)}`);
  assert.equal(lines.ended.length, 1, `one info for the end of ${condition}`);
  const others = own.bridge.logs.filter((l) => l.level === 'warn' && typeof l.condition === 'string' && l.condition !== condition && l.msg.startsWith('redis ') && !(steps.alsoSeen ?? []).includes(l.condition));
  assert.deepEqual(others.map((l) => l.msg), [], `no condition but ${condition} is named`);
  t.diagnostic(`${condition}: "${started.msg}" — over ${msBetween(repairedAt, ended)} ms after the repair; CDRs pushed then delivered in ${deliveredMs} ms; ${await own.metric(`cdr_bridge_redis_errors_total{condition="${condition}"}`)} refusals`);
}

describe('a Redis on a bad day, through `cdr-bridge run`', () => {
  it('MISCONF (a failed RDB save stops writes): one warn, 503 naming it, then exactly once after BGSAVE works again', async (t) => {
    const own = await OwnRedisBridge.start({ redisArgs: ['--enable-protected-configs', 'yes'] });
    const gone = path.join(own.dir, 'gone');
    const saved = async (status: string): Promise<void> => {
      await waitFor(`a BGSAVE that ends ${status}`, async () => (await info(own, 'rdb_bgsave_in_progress', 'persistence')) === '0' && (await info(own, 'rdb_last_bgsave_status', 'persistence')) === status);
    };
    try {
      await own.client.config('SET', 'save', '3600 1');
      await badDay(t, own, 'MISCONF', {
        status: 'shows',
        refusedInLoop: true,
        start: async () => {
          mkdirSync(gone);
          await own.client.config('SET', 'dir', gone);
          rmSync(gone, { recursive: true });
          await own.client.bgsave();
          await saved('err');
        },
        end: async () => {
          await own.client.config('SET', 'dir', own.dir);
          await own.client.bgsave();
          await saved('ok');
        },
      });
    } finally {
      await own.stop();
    }
  });

  it('READONLY (a failover without Sentinel demoted the master): one warn, 503 naming it, then exactly once after REPLICAOF NO ONE', async (t) => {
    const own = await OwnRedisBridge.start();
    // The other Redis holds the same data, as a failover's new master would.
    const other = await LocalRedis.start(path.join(own.dir, 'other'), ['--replicaof', '127.0.0.1', String(own.server.port)]);
    const otherClient = OwnRedisBridge.clientTo(other.port);
    try {
      await waitFor('the other Redis to replicate', async () => /master_link_status:up/.test(await otherClient.info('replication')));
      await badDay(t, own, 'READONLY', {
        status: 'shows',
        refusedInLoop: true,
        start: async () => {
          await otherClient.replicaof('NO', 'ONE');
          await own.client.replicaof('127.0.0.1', String(other.port));
        },
        end: async () => {
          await own.client.replicaof('NO', 'ONE');
        },
      });
    } finally {
      otherClient.disconnect();
      await other.kill();
      await own.stop();
    }
  });

  it('BUSY (another client\'s long script): one warn, 503 naming it, then exactly once after SCRIPT KILL', async (t) => {
    const own = await OwnRedisBridge.start({ redisArgs: ['--busy-reply-threshold', '300'] });
    const looper = OwnRedisBridge.clientTo(own.server.port);
    let loop: Promise<unknown> = Promise.resolve();
    try {
      await badDay(t, own, 'BUSY', {
        status: 'refused',
        // Long enough for the lease to lapse (a renewal a second): the bridge must lead again after.
        refusals: 8,
        start: async () => {
          loop = looper.eval('while true do end', 0).catch((err: Error) => err);
        },
        end: async () => {
          await own.client.script('KILL');
          assert.match(String(await loop), /killed/i, 'the long script was killed');
        },
      });
    } finally {
      looper.disconnect();
      await own.stop();
    }
  });

  it('WRONGPASS (the password rotated, then the bridge reconnects): one warn, 503 naming it, then exactly once once it is back', async (t) => {
    const own = await OwnRedisBridge.start({ password: 'before-rotation' });
    try {
      await badDay(t, own, 'WRONGPASS', {
        status: 'refused',
        start: async () => {
          await own.client.config('SET', 'requirepass', 'after-rotation');
          // A restart or a failover is when a rotation bites: the bridge has to log in again.
          await own.client.call('CLIENT', 'KILL', 'TYPE', 'normal');
        },
        end: async () => {
          await own.client.config('SET', 'requirepass', 'before-rotation');
        },
      });
      assert.ok(!own.bridge.stderr.includes('before-rotation'), 'the password is never logged');
    } finally {
      await own.stop();
    }
  });

  it('NOAUTH (Redis starts requiring a password the bridge does not have): one warn, 503 naming it, then exactly once once it is dropped', async (t) => {
    const own = await OwnRedisBridge.start();
    try {
      await badDay(t, own, 'NOAUTH', {
        status: 'refused',
        start: async () => {
          await own.client.config('SET', 'requirepass', 'new-password');
          await own.client.call('CLIENT', 'KILL', 'TYPE', 'normal');
        },
        end: async () => {
          await own.client.config('SET', 'requirepass', '');
        },
      });
    } finally {
      await own.stop();
    }
  });

  it('LOADING (a restart loading a large AOF): one warn, 503 naming it, asks about once a second, then exactly once', async (t) => {
    const own = await OwnRedisBridge.start({ redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes', '--loading-process-events-interval-bytes', '1024'] });
    // Keys the restart must load first, slowly (key-load-delay: a sleep per key loaded).
    await own.client.call('DEBUG', 'POPULATE', '50000', 'filler', '10');
    await own.client.bgrewriteaof();
    await waitFor('the AOF rewrite', async () => (await info(own, 'aof_rewrite_in_progress', 'persistence')) === '0' && (await info(own, 'aof_last_bgrewrite_status', 'persistence')) === 'ok');
    let restartedAt = 0;
    let loadedAt = 0;
    try {
      await badDay(t, own, 'LOADING', {
        status: 'refused',
        // The restart first closes the connections.
        alsoSeen: ['unreachable'],
        start: async () => {
          restartedAt = Date.now();
          await own.restartRedis(['--key-load-delay', '50'], /Server initialized/);
        },
        end: async () => {
          // Without ioredis's ready check, which would hold the command until loading ends.
          const raw = OwnRedisBridge.clientTo(own.server.port, undefined, { enableReadyCheck: false });
          try {
            await waitFor('Redis to finish loading', async () => /^loading:0\r?$/m.test(await raw.info('persistence')), 120_000);
          } finally {
            raw.disconnect();
          }
          loadedAt = Date.now();
          return loadedAt;
        },
      });
      // Waited, not spun: each connection asked about once a second (ioredis's ready check),
      // and sent nothing else Redis could refuse.
      const asked = (await own.metric('cdr_bridge_redis_errors_total{condition="LOADING"}')) ?? 0;
      const loadS = (loadedAt - restartedAt) / 1000;
      assert.ok(asked <= 2 * (loadS + 2) + 4, `asked ${asked} times in a ${loadS} s load`);
      t.diagnostic(`LOADING: the restart loaded for ${loadedAt - restartedAt} ms; the bridge asked ${asked} times meanwhile`);
    } finally {
      await own.stop();
    }
  });

  it('NOSCRIPT (SCRIPT FLUSH while CDRs flow): the scripts are sent again, nothing to warn about, every CDR exactly once', async (t) => {
    const own = await OwnRedisBridge.start();
    try {
      await own.push(300);
      let flushes = 0;
      for (let i = 0; i < 10; i++) {
        await own.push(200);
        await own.client.script('FLUSH');
        flushes++;
        await new Promise((r) => setTimeout(r, 150));
      }
      await own.drained();
      await own.assertExactlyOnce();
      const missed = Number(/errorstat_NOSCRIPT:count=(\d+)/.exec(await own.client.info('errorstats'))?.[1] ?? 0);
      assert.ok(missed > 0, 'the bridge met NOSCRIPT after the flushes (and ioredis sent the script again with EVAL)');
      assert.equal(own.conditionLines('NOSCRIPT').started.length, 0);
      assert.equal(own.bridge.logs.filter((l) => l.msg.includes('redis command failed')).length, 0, 'the loop never failed');
      assert.equal(await own.metric('cdr_bridge_redis_errors_total{condition="NOSCRIPT"}'), 0);
      assert.equal((await own.readyz()).status, 200);
      t.diagnostic(`NOSCRIPT: ${flushes} flushes, ${missed} EVALSHA answered NOSCRIPT and re-sent as EVAL; ${own.pushed.length} CDRs exactly once`);
    } finally {
      await own.stop();
    }
  });

  it('unreachable (Redis killed, then back): one line per connection, 503 naming it while Kafka stays up, then exactly once', async (t) => {
    const own = await OwnRedisBridge.start({ redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      await own.push(300);
      await own.drained();
      await own.server.kill();
      const down = await own.notReadyFor('unreachable');
      assert.equal(down.state.redis, false);
      assert.equal(down.state.kafka, true, 'a Redis outage is not blamed on Kafka');
      assert.equal(await own.metric('cdr_bridge_kafka_up'), 1);
      assert.equal(await own.metric('cdr_bridge_redis_condition{condition="unreachable"}'), 1);
      await own.bridge.waitForLog('redis connection lost; reconnecting');
      const restartedAt = Date.now();
      await own.restartRedis();
      await own.push(300);
      await own.drained();
      const deliveredMs = Date.now() - restartedAt;
      await own.assertExactlyOnce();
      await waitFor('/readyz 200 again', async () => (await own.readyz()).status === 200, 30_000);
      assert.equal(await own.metric('cdr_bridge_redis_condition{condition="unreachable"}'), 0);
      const lost = own.bridge.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('redis connection lost; reconnecting'));
      assert.equal(lost.length, 2, 'one line per connection (commands and blocking take), not per retry');
      assert.match(lost[0]!.msg, /check that Redis runs/);
      t.diagnostic(`unreachable: "${lost[0]!.msg}" — CDRs pushed after the restart delivered in ${deliveredMs} ms`);
    } finally {
      await own.stop();
    }
  });
});
