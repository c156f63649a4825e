// Each command takes only the settings it reads, and reads the .env file the operator named
// or none: a flag that would be ignored and an --env-file that is not there are usage errors
// (exit 2, one line), never a command quietly run on the defaults.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../support/bridge-process';
import { withoutSettings } from '../support/bare-env';
import { runToEnd } from '../support/child';
import { scenarioFactory } from '../support/scenario';
import { pushAll } from '../support/services';

const scenario = scenarioFactory();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI from `cwd` with exactly `env`. */
function cli(args: string[], env: Record<string, string>, cwd = dir): ReturnType<typeof runToEnd> {
  return runToEnd(BIN, args, 60_000, { cwd, env });
}

describe('--env-file', () => {
  it('that does not exist is a usage error naming it: exit 2, one line, for every command that reads settings', async () => {
    const s = scenario();
    const missing = path.join(dir, 'no-such.env');
    for (const command of [['status'], ['dlq', 'list'], ['tail', '--count', '1'], ['simulate', '--count', '1', '--source-key', s.source], ['run']]) {
      const { code, stdout, stderr } = await cli([...command, '--env-file', missing], { ...withoutSettings(), ...s.env() });
      assert.equal(code, 2, `${command.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.equal(stderr, `cdr-bridge: --env-file: cannot read "${missing}": no such file\n`, command.join(' '));
    }
    assert.equal(await s.redis.exists(s.source), 0, 'simulate pushed nothing');
  });

  it('that exists is read: its settings reach the command', async () => {
    const s = scenario();
    await pushAll(s.redis, s.deadLetter, ['x', 'y']);
    const file = path.join(dir, 'named.env');
    writeFileSync(file, Object.entries(s.env()).map(([k, v]) => `${k}=${v}`).join('\n'));
    const { code, stdout, stderr } = await cli(['status', '--json', '--env-file', file], withoutSettings());
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as { deadLetter: { length: number } }).deadLetter.length, 2);
  });
});

describe('each command accepts only the settings it uses', () => {
  it('dlq list --batch-size 5 is a usage error: exit 2, one line naming the option', async () => {
    const s = scenario();
    const { code, stdout, stderr } = await cli(['dlq', 'list', '--batch-size', '5'], { ...withoutSettings(), ...s.env() });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, 'cdr-bridge: unknown option \'--batch-size\' (see cdr-bridge dlq list --help)\n');
  });

  it('settings a command does not read are refused as flags, those it reads are taken', async () => {
    const s = scenario();
    const env = { ...withoutSettings(), ...s.env() };
    const refused: [string[], string][] = [
      [['status', '--take-block-ms', '10'], '--take-block-ms'],
      [['tail', '--redis-url', 'redis://127.0.0.1:1'], '--redis-url'],
      [['simulate', '--kafka-topic', 'x'], '--kafka-topic'],
      [['dlq', 'purge', '--yes', '--kafka-brokers', '127.0.0.1:1'], '--kafka-brokers'],
      [['schema', 'register', '--redis-url', 'redis://127.0.0.1:1'], '--redis-url'],
    ];
    for (const [args, flag] of refused) {
      const { code, stderr } = await cli(args, env);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, new RegExp(`^cdr-bridge: unknown option '${flag}' \\(see cdr-bridge [a-z ]+ --help\\)\\n$`), args.join(' '));
    }
    await pushAll(s.redis, s.deadLetter, ['x']);
    const taken = await cli(['dlq', 'list', '--json', '--deadletter-key', s.deadLetter, '--redis-url', s.env().REDIS_URL!], withoutSettings());
    assert.equal(taken.code, 0, taken.stderr);
    assert.equal((JSON.parse(taken.stdout) as unknown[]).length, 1);
  });
});
