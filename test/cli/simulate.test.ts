// `cdr-bridge simulate` pushes realistic CDRs to the source list as the dialler would: the
// count asked for, valid, reproducible with a seed, at the rate asked for.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePayload } from '../../src/codec/decode-payload';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { runCli } from '../support/bridge-process';
import { withoutSettings } from '../support/bare-env';
import { scenarioFactory, type Scenario } from '../support/scenario';

const scenario = scenarioFactory();
/** The dialler's real list: the source key's default. */
const DIALLER_LIST = 'enigma:notifications:campaigns';

interface Summary {
  pushed: number;
  malformed: number;
  seconds: number;
  rate: number;
  key: string;
}

/** The source list oldest first, as the bridge will take it. */
async function pushed(s: Scenario): Promise<string[]> {
  return (await s.redis.lrange(s.source, 0, -1)).reverse();
}

/** A payload without its internal_call_ref, which embeds the time it was made. */
function timeless(payload: string): Record<string, unknown> {
  const { internal_call_ref: _ref, ...rest } = JSON.parse(payload) as Record<string, unknown>;
  return rest;
}

describe('cdr-bridge simulate', () => {
  it('--count 500 --seed 1 pushes exactly 500 valid CDRs, oldest first, the seed\'s CDRs', async () => {
    const s = scenario();
    const { code, stdout, stderr } = await runCli(['simulate', '--count', '500', '--seed', '1', '--json'], s.env());
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout) as Summary;
    assert.equal(summary.pushed, 500);
    assert.equal(summary.malformed, 0);
    assert.equal(summary.key, s.source);

    const items = await pushed(s);
    assert.equal(items.length, 500);
    for (const item of items) assert.ok(decodePayload(Buffer.from(item), Date.now()).ok, item);
    assert.deepEqual(items.map((i) => Number((JSON.parse(i) as { seq: number }).seq)), Array.from({ length: 500 }, (_, i) => i), 'in order');
    assert.deepEqual(items.map(timeless), takeSynthetic(500, { seed: 1 }).map(timeless), 'the same CDRs for the same seed');
  });

  it('--rate 1000 --count 500 paces the pushes over about half a second', async () => {
    const s = scenario();
    const { code, stdout } = await runCli(['simulate', '--rate', '1000', '--count', '500', '--json'], s.env());
    assert.equal(code, 0);
    const summary = JSON.parse(stdout) as Summary;
    assert.equal(summary.pushed, 500);
    // A behaviour check, not a benchmark: unpaced, 500 LPUSHes take a few milliseconds.
    assert.ok(summary.seconds >= 0.3, `took ${summary.seconds} s`);
    assert.equal(await s.redis.llen(s.source), 500);
  });

  it('--malformed-every 100 adds one undecodable payload after every 100th CDR', async () => {
    const s = scenario();
    const { code, stdout } = await runCli(['simulate', '--count', '300', '--seed', '2', '--malformed-every', '100'], s.env());
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^pushed 300 CDRs \\(\\+3 malformed\\) to ${s.source} in `));
    const items = await pushed(s);
    assert.equal(items.length, 303);
    const bad = items.flatMap((item, i) => (decodePayload(Buffer.from(item), 0).ok ? [] : [i]));
    assert.deepEqual(bad, [100, 201, 302]);
  });

  it('refuses the dialler\'s real list (the default source key) without --yes: exit 2, one line, nothing pushed', async () => {
    const s = scenario();
    const { CDR_SOURCE_KEY: _test, ...env } = s.env();
    const before = await s.redis.llen(DIALLER_LIST);
    const { code, stdout, stderr } = await runCli(['simulate', '--count', '3'], { ...withoutSettings(), ...env });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, `cdr-bridge: simulate pushes fake CDRs, and ${DIALLER_LIST} is the dialler's real list (they would reach call accounting); name a test list with --source-key, or pass --yes\n`);
    assert.equal(await s.redis.llen(DIALLER_LIST), before);
  });

  it('pushes to the dialler\'s list when told so with --yes, and to any other list named with --source-key', async () => {
    const s = scenario();
    const { CDR_SOURCE_KEY: _test, ...env } = s.env();
    const before = await s.redis.llen(DIALLER_LIST);
    const yes = await runCli(['simulate', '--count', '3', '--yes', '--json'], { ...withoutSettings(), ...env });
    assert.equal(yes.code, 0, yes.stderr);
    // The test stack's own copy of that list: take back exactly what was pushed (at the head).
    assert.equal((await s.redis.lpop(DIALLER_LIST, 3))?.length, 3);
    assert.equal(await s.redis.llen(DIALLER_LIST), before);

    const other = await runCli(['simulate', '--count', '3', '--source-key', s.source], { ...withoutSettings(), ...env });
    assert.equal(other.code, 0, other.stderr);
    assert.equal(await s.redis.llen(s.source), 3);
  });

  it('--count 0 is a usage error (exit 2) and pushes nothing', async () => {
    const s = scenario();
    const { code, stderr } = await runCli(['simulate', '--count', '0'], s.env());
    assert.equal(code, 2);
    assert.equal(stderr, 'cdr-bridge: --count must be an integer >= 1, got "0"\n');
    assert.equal(await s.redis.exists(s.source), 0);
  });
});
