// `cdr-bridge dlq` handles the dead letters a real bridge wrote: lists them oldest first,
// shows one whole, requeues one or all to where the bridge takes next, and purges — each
// checked against the lists in Redis.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deadLetterEnvelope, parseDeadLetter } from '../../src/source/dead-letter';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BIN, BridgeProcess, ROOT, runCli } from '../support/bridge-process';
import { runToEnd } from '../support/child';
import { withoutSettings } from '../support/bare-env';
import { scenarioFactory, type Scenario } from '../support/scenario';
import { pushAll, waitFor } from '../support/services';

const scenario = scenarioFactory();

/** What the dialler pushed that cannot be a CDR, oldest first; the second is not UTF-8. */
const BAD: readonly Buffer[] = [
  Buffer.from('{"ext":"1001","disposition":"ANSWERED"'),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]),
  Buffer.from('["not","an","object"]'),
];

function reasonFor(raw: Buffer): string {
  const r = decodePayload(raw, 0);
  assert.ok(!r.ok, 'test payload should be undecodable');
  return r.reason;
}

/** The dead-letter list a real bridge wrote for BAD, exactly as stored (head first). */
let written: Buffer[] = [];

before(async () => {
  const s = scenario();
  const good = takeSynthetic(2, { seed: 31 });
  await pushAll(s.redis, s.source, [good[0]!, BAD[0]!, good[1]!, BAD[1]!, BAD[2]!]);
  const bridge = BridgeProcess.run(s.env());
  try {
    await Promise.all([s.drained(), waitFor('three dead letters', async () => (await s.redis.llen(s.deadLetter)) === 3)])
      .catch((err: Error) => assert.fail(`${err.message}; the bridge's stderr:\n${bridge.stderr.slice(-3000)}`));
  } finally {
    await bridge.stop();
  }
  written = await s.redis.lrangeBuffer(s.deadLetter, 0, -1);
});

/** Runs the CLI to its end keeping stdout as bytes (runCli decodes it as UTF-8). */
function runCliBytes(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** A fresh scenario whose dead-letter list is a copy of the one the bridge wrote. */
async function withDeadLetters(): Promise<Scenario> {
  const s = scenario();
  await s.redis.rpush(s.deadLetter, ...written);
  return s;
}

/** The envelope the bridge wrote for BAD[i] (index i, counted from the oldest). */
function envelope(i: number): Buffer {
  return written[written.length - 1 - i]!;
}

describe('cdr-bridge dlq', () => {
  it('list shows each dead letter oldest first: index, when, why, size and a preview', async () => {
    const s = await withDeadLetters();
    const { code, stdout, stderr } = await runCli(['dlq', 'list'], s.env());
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^#\s+failed_at\s+reason\s+size\s+preview$/);
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/));
    assert.equal(rows.length, 3);
    // The payload as text, as the dialler wrote it: quotes are not backslash-escaped.
    const previews = ['{"ext":"1001","disposition":"ANSWERED"', '(not UTF-8; see dlq show)', '["not","an","object"]'];
    for (const [i, row] of rows.entries()) {
      const letter = parseDeadLetter(envelope(i))!;
      assert.deepEqual(row, [String(i), letter.failed_at, reasonFor(BAD[i]!), String(BAD[i]!.length), previews[i]]);
    }
    assert.deepEqual(await s.redis.lrangeBuffer(s.deadLetter, 0, -1), written, 'listing changes nothing');
  });

  it('list --json gives the whole envelopes, oldest first, with index and size', async () => {
    const s = await withDeadLetters();
    const { code, stdout } = await runCli(['dlq', 'list', '--json'], s.env());
    assert.equal(code, 0);
    const listed = JSON.parse(stdout) as Record<string, unknown>[];
    assert.deepEqual(listed.map((l) => l.index), [0, 1, 2]);
    for (const [i, l] of listed.entries()) {
      assert.equal(l.reason, reasonFor(BAD[i]!));
      assert.equal(l.raw_base64, BAD[i]!.toString('base64'));
      assert.equal(l.size, BAD[i]!.length);
      const letter = parseDeadLetter(envelope(i))!;
      assert.equal(l.failed_at, letter.failed_at);
      assert.equal(l.source, letter.source);
    }
    assert.equal(listed[0]!.raw, BAD[0]!.toString());
    assert.equal('raw' in listed[1]!, false, 'no text for a payload that is not UTF-8');
  });

  it('list of an empty dead-letter list says so', async () => {
    const s = scenario();
    const { code, stdout } = await runCli(['dlq', 'list'], s.env());
    assert.equal(code, 0);
    assert.equal(stdout, `no dead letters in ${s.deadLetter}\n`);
  });

  it('list previews a payload as text on one line: only control characters escaped, long text cut', async () => {
    const s = scenario();
    const raw = Buffer.from('{"note":"line one\nline \\two\tend","ext":"100\u00e9"} and then far more text than a preview shows');
    await s.redis.lpush(s.deadLetter, deadLetterEnvelope(raw, 'test reason', s.source));
    const { code, stdout, stderr } = await runCli(['dlq', 'list'], s.env());
    assert.equal(code, 0, stderr);
    const row = stdout.trimEnd().split('\n')[1]!.split(/\s{2,}/);
    assert.equal(row[4], '{"note":"line one\\nline \\two\\tend","ext":"100\u00e9"…');
  });

  it('show <n> prints the whole envelope and the raw text', async () => {
    const s = await withDeadLetters();
    const letter = parseDeadLetter(envelope(0))!;
    const { code, stdout } = await runCli(['dlq', 'show', '0'], s.env());
    assert.equal(code, 0);
    assert.equal(stdout, [
      'index      0 (0 is the oldest)',
      `failed_at  ${letter.failed_at}`,
      `reason     ${reasonFor(BAD[0]!)}`,
      `source     ${letter.source}`,
      `size       ${BAD[0]!.length} bytes`,
      `raw (exactly these ${BAD[0]!.length} bytes, then a newline; the bytes alone: cdr-bridge dlq show 0 --raw):`,
      BAD[0]!.toString(),
      '',
    ].join('\n'));
  });

  it('show <n> prints the raw bytes as base64 when they are not UTF-8; --json gives the envelope', async () => {
    const s = await withDeadLetters();
    const text = await runCli(['dlq', 'show', '1'], s.env());
    assert.equal(text.code, 0);
    assert.ok(text.stdout.endsWith(`\nraw (base64, the payload is not valid UTF-8; the bytes themselves: cdr-bridge dlq show 1 --raw > cdr.bin):\n${BAD[1]!.toString('base64')}\n`), text.stdout);

    const json = await runCli(['dlq', 'show', '1', '--json'], s.env());
    const letter = parseDeadLetter(envelope(1))!;
    assert.deepEqual(JSON.parse(json.stdout), { index: 1, reason: letter.reason, failed_at: letter.failed_at, source: letter.source, raw_base64: BAD[1]!.toString('base64'), size: BAD[1]!.length });
  });

  it('show <n> --raw writes the raw CDR\'s bytes exactly and nothing else, UTF-8 or not', async () => {
    const s = await withDeadLetters();
    for (const i of [0, 1, 2]) {
      const { code, stdout, stderr } = await runCliBytes(['dlq', 'show', String(i), '--raw'], s.env());
      assert.equal(code, 0, stderr);
      assert.deepEqual(stdout, BAD[i], `dead letter #${i}`);
    }
  });

  it('an index past the end exits 1 with one line saying how many there are; a non-number exits 2', async () => {
    const s = await withDeadLetters();
    for (const args of [['dlq', 'show', '3'], ['dlq', 'requeue', '3']]) {
      const { code, stdout, stderr } = await runCli(args, s.env());
      assert.equal(code, 1, args.join(' '));
      assert.equal(stdout, '');
      assert.equal(stderr, `cdr-bridge: no dead letter #3 in ${s.deadLetter}: it holds 3 (#0 the oldest to #2 the newest)\n`);
    }
    const bad = await runCli(['dlq', 'show', 'first'], s.env());
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'cdr-bridge: the index must be a whole number from 0 (the oldest), got "first"\n');
    assert.deepEqual(await s.redis.lrangeBuffer(s.deadLetter, 0, -1), written);
  });

  it('requeue <n> moves exactly that CDR to the source tail, taken before what waits there, and removes only its envelope', async () => {
    const s = await withDeadLetters();
    await s.redis.lpush(s.source, 'waiting-cdr');
    const { code, stdout, stderr } = await runCli(['dlq', 'requeue', '1'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `requeued dead letter #1 to ${s.source}: the bridge takes it next\n`);
    assert.deepEqual(await s.redis.lrangeBuffer(s.deadLetter, 0, -1), written.filter((e) => !e.equals(envelope(1))));
    assert.deepEqual(await s.redis.rpopBuffer(s.source), BAD[1], 'the next take gets the requeued bytes, exactly');
    assert.deepEqual(await s.redis.lrange(s.source, 0, -1), ['waiting-cdr']);
  });

  it('requeue --all moves every CDR back, oldest taken first, and leaves only entries that are not envelopes', async () => {
    const s = await withDeadLetters();
    await s.redis.lpush(s.deadLetter, 'not an envelope');
    const { code, stdout, stderr } = await runCli(['dlq', 'requeue', '--all'], s.env());
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `requeued 3 dead letters to ${s.source}: the bridge takes them next, oldest first; left 1 entries that are not cdr-bridge envelopes\n`);
    assert.deepEqual(await s.redis.lrange(s.deadLetter, 0, -1), ['not an envelope']);
    const takeOrder = (await s.redis.lrangeBuffer(s.source, 0, -1)).reverse();
    assert.deepEqual(takeOrder, BAD);
  });

  it('requeue of an entry that is not an envelope exits 1 and leaves it', async () => {
    const s = await withDeadLetters();
    await s.redis.lpush(s.deadLetter, 'not an envelope');
    const { code, stderr } = await runCli(['dlq', 'requeue', '3'], s.env());
    assert.equal(code, 1);
    assert.equal(stderr, `cdr-bridge: dead letter #3 in ${s.deadLetter} is not a cdr-bridge envelope; left in place\n`);
    assert.equal(await s.redis.llen(s.deadLetter), 4);
    assert.equal(await s.redis.exists(s.source), 0);
  });

  it('requeue with neither an index nor --all, or with both, is a usage error', async () => {
    const s = await withDeadLetters();
    for (const args of [['dlq', 'requeue'], ['dlq', 'requeue', '0', '--all']]) {
      const { code, stderr } = await runCli(args, s.env());
      assert.equal(code, 2, args.join(' '));
      assert.equal(stderr, 'cdr-bridge: dlq requeue: give either an index <n> or --all\n');
    }
    assert.equal(await s.redis.llen(s.deadLetter), 3);
  });

  it('purge without --yes exits 2 saying --yes is needed and deletes nothing; with --yes it deletes the list', async () => {
    const s = await withDeadLetters();
    const refused = await runCli(['dlq', 'purge'], s.env());
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, `cdr-bridge: dlq purge deletes every dead letter in ${s.deadLetter} for good; pass --yes to confirm\n`);
    assert.equal(await s.redis.llen(s.deadLetter), 3);

    const { code, stdout } = await runCli(['dlq', 'purge', '--yes'], s.env());
    assert.equal(code, 0);
    assert.equal(stdout, `purged 3 dead letters from ${s.deadLetter}\n`);
    assert.equal(await s.redis.exists(s.deadLetter), 0);
  });

  it('purge --yes and requeue refuse to act on a Redis nobody named: run where no .env is and REDIS_URL is unset, they exit 2', async () => {
    const s = await withDeadLetters();
    const { REDIS_URL: _named, ...env } = s.env();
    const nowhere = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-no-env-'));
    try {
      for (const [args, why] of [[['dlq', 'purge', '--yes'], 'dlq purge deletes dead letters for good'], [['dlq', 'requeue', '--all'], 'dlq requeue writes to the source list']] as const) {
        const { code, stdout, stderr } = await runToEnd(BIN, args, 60_000, { cwd: nowhere, env: { ...withoutSettings(), ...env } });
        assert.equal(code, 2, args.join(' '));
        assert.equal(stdout, '');
        assert.equal(stderr, `cdr-bridge: REDIS_URL: is not set (environment, --redis-url or a .env file); ${why}, so it does not assume the default redis://127.0.0.1:6379\n`);
      }
      // Named in a .env file of the directory it runs from, it is the Redis meant.
      writeFileSync(path.join(nowhere, '.env'), `REDIS_URL=${s.env().REDIS_URL}\n`);
      const named = await runToEnd(BIN, ['dlq', 'purge', '--yes'], 60_000, { cwd: nowhere, env: { ...withoutSettings(), ...env } });
      assert.equal(named.code, 0, named.stderr);
      assert.equal(named.stdout, `purged 3 dead letters from ${s.deadLetter}\n`);
    } finally {
      rmSync(nowhere, { recursive: true, force: true });
    }
  });
});
