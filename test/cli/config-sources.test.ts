// Where settings come from, through the real CLI: flags > environment > .env > defaults, a
// secret's <NAME>_FILE in the layer it is set in, NAME with NAME_FILE refused; which .env was
// read and where each setting came from (run's start line, status --json, doctor); names that
// are no setting warned with the nearest real one; test-only failpoints, guarded Redis, secret
// and on/off flags.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Status } from '../../src/cli/commands/status';
import type { DoctorReport } from '../../src/bridge/doctor';
import { BIN, ROOT } from '../support/bridge-process';
import { withoutSettings } from '../support/bare-env';
import { runToEnd } from '../support/child';
import { scenarioFactory } from '../support/scenario';
import { pushAll } from '../support/services';

const scenario = scenarioFactory();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A directory of its own to run from, with `dotenv` as its .env when given. */
function workdir(dotenv?: string): string {
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  if (dotenv !== undefined) writeFileSync(path.join(cwd, '.env'), dotenv);
  return cwd;
}

function cli(args: string[], env: Record<string, string>, cwd: string): ReturnType<typeof runToEnd> {
  return runToEnd(BIN, args, 90_000, { cwd, env: { ...withoutSettings(), ...env } });
}

async function statusJson(env: Record<string, string>, cwd: string, args: string[] = []): Promise<Status> {
  const r = await cli(['status', '--json', ...args], env, cwd);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Status;
}

describe('precedence: flags > environment > .env > defaults', () => {
  it('a REDIS_URL_FILE in the environment beats one in the .env, the environment beats the .env, and status says where each came from', async () => {
    const s = scenario();
    await pushAll(s.redis, s.deadLetter, ['x']);
    const { REDIS_URL: redisUrl, ...env } = s.env();
    const secret = path.join(dir, 'redis-url');
    writeFileSync(secret, `${redisUrl}\n`);
    const wrong = path.join(dir, 'wrong-redis-url');
    writeFileSync(wrong, 'redis://127.0.0.1:1\n');
    const cwd = workdir(`REDIS_URL_FILE=${wrong}\nKAFKA_TOPIC=from.dotenv\n`);
    const st = await statusJson({ ...env, REDIS_URL_FILE: secret }, cwd, ['--lease-key', `${s.source}:other-lease`]);
    assert.equal(st.deadLetter.length, 1, 'read the Redis the mounted secret names');
    assert.equal(st.config.envFile, path.join(cwd, '.env'));
    assert.equal(st.config.from.REDIS_URL, 'environment: REDIS_URL_FILE');
    assert.equal(st.config.from.KAFKA_TOPIC, 'environment', 'the environment beats the .env');
    assert.equal(st.config.from.CDR_LEASE_KEY, '--lease-key');
    assert.equal(st.config.from.BATCH_SIZE, undefined, 'a default is not listed');
    const none = await statusJson(s.env(), workdir());
    assert.equal(none.config.envFile, null, 'no .env file read');
  });

  it('NAME and NAME_FILE both given, in any layers, stop the command: exit 2, one line naming both', async () => {
    const s = scenario();
    const secret = path.join(dir, 'pw');
    writeFileSync(secret, 'pw\n');
    const cases: [Record<string, string>, string | undefined, RegExp][] = [
      [{ REDIS_PASSWORD: 'a', REDIS_PASSWORD_FILE: secret }, undefined, /the environment, REDIS_PASSWORD_FILE in the environment/],
      // The trap of old: a plain value in a .env silently beat a mounted secret.
      [{ REDIS_PASSWORD_FILE: secret }, 'REDIS_PASSWORD=b\n', /REDIS_PASSWORD in the \.env file, REDIS_PASSWORD_FILE in the environment/],
      [{ REDIS_PASSWORD: 'c' }, `REDIS_PASSWORD_FILE=${secret}\n`, /REDIS_PASSWORD in the environment, REDIS_PASSWORD_FILE in the \.env file/],
    ];
    for (const [extra, dotenv, where] of cases) {
      const r = await cli(['status'], { ...s.env(), ...extra }, workdir(dotenv));
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^cdr-bridge: REDIS_PASSWORD and REDIS_PASSWORD_FILE: both given \(.*\); keep one\n$/);
      assert.match(r.stderr, where);
    }
  });

  it('run logs one start line naming the .env read and where each non-default setting came from', async () => {
    const s = scenario();
    const { KAFKA_TOPIC: topic, ...env } = s.env();
    const cwd = workdir(`KAFKA_TOPIC=${topic}\n`);
    const p = runBridgeIn(cwd, ['run', '--batch-size', '7'], env);
    const started = await p.first('starting cdr-bridge');
    p.kill();
    assert.equal(started.envFile, path.join(cwd, '.env'));
    const from = started.from as Record<string, string>;
    assert.equal(from.KAFKA_TOPIC, '.env');
    assert.equal(from.BATCH_SIZE, '--batch-size');
    assert.equal(from.REDIS_URL, 'environment');
    assert.equal(from.TAKE_BLOCK_MS, undefined, 'a default is not listed');
  });

  it('.env.example names nothing: every line is a comment, so a copy of it leaves the dlq purge guard in force', async () => {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const live = example.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.deepEqual(live, []);
    const s = scenario();
    await pushAll(s.redis, s.deadLetter, ['x']);
    const cwd = workdir();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd, '.env'));
    const { REDIS_URL: _named, ...env } = s.env();
    const r = await cli(['dlq', 'purge', '--yes'], env, cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^cdr-bridge: REDIS_URL: is not set/);
    assert.equal(await s.redis.llen(s.deadLetter), 1);
  });
});

describe('names that are no setting', () => {
  it('a misspelt variable or .env key gets one warning with the nearest real name; variables other tools set get none', async () => {
    const s = scenario();
    const env = {
      ...s.env(), KAFKA_BROKER: '127.0.0.1:1',
      // Set beside the bridge by others: Kubernetes service links, Kafka's scripts, scripts/stack.
      KAFKA_PORT: '9092', REDIS_SERVICE_HOST: '10.0.0.1', KAFKA_PORT_9092_TCP_ADDR: '10.0.0.2', KAFKA_HEAP_OPTS: '-Xmx1g', KAFKA_CLASSPATH: '/x/*', HTTP_PROXY: 'http://proxy:3128',
    };
    const cwd = workdir('CDR_SOURCE=x\n');
    const dlq = await cli(['dlq', 'list'], env, cwd);
    assert.equal(dlq.code, 0, dlq.stderr);
    assert.equal(dlq.stderr, [
      'cdr-bridge: warning: KAFKA_BROKER (in the environment) is not a setting, ignored: did you mean KAFKA_BROKERS?',
      'cdr-bridge: warning: CDR_SOURCE (in the .env file) is not a setting, ignored: did you mean CDR_SOURCE_KEY?',
      '',
    ].join('\n'));
    const st = await statusJson(env, cwd);
    assert.deepEqual(st.config.unknown, [
      { name: 'KAFKA_BROKER', where: 'environment', suggestion: 'KAFKA_BROKERS' },
      { name: 'CDR_SOURCE', where: '.env', suggestion: 'CDR_SOURCE_KEY' },
    ]);
    const doctor = await cli(['doctor', '--json'], env, cwd);
    const check = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'config');
    assert.equal(check?.verdict, 'warn', doctor.stdout);
    assert.match(check.found, /KAFKA_BROKER \(in the environment\) .*did you mean KAFKA_BROKERS\?; CDR_SOURCE \(in the \.env file\) .*did you mean CDR_SOURCE_KEY\?$/);
    assert.equal(doctor.stderr, '', 'doctor lists them in its report, not also on stderr');
    const p = runBridgeIn(cwd, ['run'], env);
    const warned = await p.first('KAFKA_BROKER (in the environment) is not a setting, ignored: did you mean KAFKA_BROKERS?');
    p.kill();
    assert.equal(warned.level, 'warn');
  });
});

describe('failpoints are for tests only', () => {
  it('run refuses CDR_BRIDGE_FAILPOINT alone (exit 2, one line, nothing taken), and with CDR_BRIDGE_TEST_FAILPOINTS warns that it is armed', async () => {
    const s = scenario();
    await pushAll(s.redis, s.source, ['{"internal_call_ref":"f1"}']);
    const refused = await cli(['run'], s.env({ CDR_BRIDGE_FAILPOINT: 'stop-before-send' }), workdir());
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^cdr-bridge: CDR_BRIDGE_FAILPOINT: is a test-only setting .*refused unless CDR_BRIDGE_TEST_FAILPOINTS=true is set too; in production unset it\n$/);
    assert.equal(await s.redis.llen(s.source), 1, 'nothing taken');
    const armed = runBridgeIn(workdir(), ['run'], s.env({ CDR_BRIDGE_FAILPOINT: 'stop-before-commit', CDR_BRIDGE_TEST_FAILPOINTS: 'true' }));
    const line = await armed.first('TEST ONLY: failpoint stop-before-commit armed (CDR_BRIDGE_TEST_FAILPOINTS): this bridge will freeze itself on purpose');
    armed.kill();
    assert.equal(line.level, 'warn');
  });
});

describe('guards and flags', () => {
  it('replay --requeue and --publish refuse a Redis nobody named: exit 2, like dlq', async () => {
    const s = scenario();
    await pushAll(s.redis, s.processing, ['{"internal_call_ref":"r1"}']);
    const { REDIS_URL: _named, ...env } = s.env();
    for (const flag of ['--requeue', '--publish']) {
      const r = await cli(['replay', flag], env, workdir());
      assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `cdr-bridge: REDIS_URL: is not set (environment, --redis-url or a .env file); replay ${flag} moves CDRs out of the processing list, so it does not assume the default redis://127.0.0.1:6379\n`);
    }
    assert.equal(await s.redis.llen(s.processing), 1, 'untouched');
  });

  it('a secret flag is refused naming the variable to set; a URL flag is taken only without credentials', async () => {
    const s = scenario();
    const cwd = workdir();
    const refused: [string[], string][] = [
      [['status', '--redis-password', 'hunter2'], 'cdr-bridge: --redis-password: a secret is not taken on the command line (every user of the host can read it there): set REDIS_PASSWORD or REDIS_PASSWORD_FILE in the environment or the .env file\n'],
      [['run', '--kafka-sasl-password', 'hunter2'], 'cdr-bridge: --kafka-sasl-password: a secret is not taken on the command line (every user of the host can read it there): set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE in the environment or the .env file\n'],
      [['dlq', 'list', '--redis-url', 'redis://:hunter2@127.0.0.1:1'], 'cdr-bridge: --redis-url: a URL with credentials is not taken on the command line (every user of the host can read it there): set REDIS_URL or REDIS_URL_FILE in the environment or the .env file\n'],
    ];
    for (const [args, line] of refused) {
      const r = await cli(args, s.env(), cwd);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr, line);
    }
    const help = await cli(['run', '--help'], {}, cwd);
    assert.doesNotMatch(help.stdout, /--redis-password|--kafka-sasl-password|--schema-registry-password/);
    const { REDIS_URL: url, ...env } = s.env();
    const st = await statusJson(env, cwd, ['--redis-url', url as string]);
    assert.equal(st.config.from.REDIS_URL, '--redis-url');
  });

  it('on/off settings are flags without a value: --kafka-ssl / --no-kafka-ssl', async () => {
    const s = scenario();
    const cwd = workdir();
    const valued = await cli(['status', '--kafka-ssl', 'true'], s.env(), cwd);
    assert.equal(valued.code, 2);
    assert.match(valued.stderr, /^cdr-bridge: too many arguments/);
    // The environment says TLS; the flag turns it off, and the plaintext broker answers.
    const st = await statusJson(s.env({ KAFKA_SSL: 'true' }), cwd, ['--no-kafka-ssl']);
    assert.equal(st.config.from.KAFKA_SSL, '--no-kafka-ssl');
    assert.ok(!('error' in st.topic) || !/TLS|SSL/i.test(st.topic.error), JSON.stringify(st.topic));
    const on = await cli(['status', '--json', '--kafka-ssl'], s.env(), cwd);
    assert.equal(JSON.parse(on.stdout).config.from.KAFKA_SSL, '--kafka-ssl');
  });
});

/** `run` from a directory of the test's choosing, its JSON log lines collected. */
function runBridgeIn(cwd: string, args: string[], env: Record<string, string>): { first(msg: string): Promise<Record<string, any>>; kill(): void } {
  const child = spawn(BIN, args, { cwd, env: { ...withoutSettings(), LOG_LEVEL: 'info', HTTP_PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr.on('data', (b: Buffer) => (text += b.toString()));
  return {
    async first(msg) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const line = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === msg);
        if (line) return line;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no log line "${msg}"; stderr:\n${text.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: () => child.kill('SIGKILL'),
  };
}
