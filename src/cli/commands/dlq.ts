// `cdr-bridge dlq`: the dead letters — CDRs the bridge could not decode, kept byte-for-byte
// with the reason. list, show one, requeue (back to the source list, taken next) or purge.

import { Command, Option } from 'commander';
import type { Config, Requirement } from '../../config/config';
import { OperationError, UsageError } from '../../errors';
import { createLogger } from '../../log';
import { DeadLetterList, type ListedLetter } from '../../source/dead-letter-list';
import { openRedis } from '../connections';
import { configOf, namedRedis, REDIS_SETTINGS, withSettings } from '../options';
import { Progress } from '../progress';
import { formatTable } from '../table';

const PREVIEW_CHARS = 48;
/** What every dlq subcommand reads: the Redis, and the source and dead-letter keys. */
const PURGE_REDIS = namedRedis('dlq purge deletes dead letters for good');
const DLQ_SETTINGS = [...REDIS_SETTINGS, 'sourceKey', 'deadLetterKey'] as const;
/** Smaller sets finish at once; a progress bar would only be noise. */
const PROGRESS_FROM = 1000;

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and requeue dead letters: CDRs the bridge could not decode, kept with the reason');
  for (const sub of [listCommand(), showCommand(), requeueCommand(), purgeCommand()]) {
    dlq.addCommand(sub);
  }
  return dlq;
}

function listCommand(): Command {
  return withSettings(new Command('list'), DLQ_SETTINGS)
    .description('list the dead letters, oldest (index 0) first: when, why, size and a preview')
    .option('--json', 'print JSON for scripts (the whole envelopes)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withDeadLetters(cmd, 'cdr-bridge-dlq', async (dlq, config) => {
        const letters = await dlq.all();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(letters.map(asJson))}\n`);
        } else if (letters.length === 0) {
          process.stdout.write(`no dead letters in ${config.deadLetterKey}\n`);
        } else {
          const rows = [['#', 'failed_at', 'reason', 'size', 'preview']];
          for (const l of letters) {
            rows.push(l.letter
              ? [String(l.index), l.letter.failed_at, l.letter.reason, String(l.letter.bytes.length), preview(l.letter.bytes, l.letter.raw)]
              : [String(l.index), '-', '(not a cdr-bridge dead-letter envelope)', String(l.envelope.length), preview(l.envelope, l.envelope.toString('utf8'))]);
          }
          process.stdout.write(formatTable(rows));
        }
      });
    });
}

function showCommand(): Command {
  return withSettings(new Command('show'), DLQ_SETTINGS)
    .description('show one dead letter in full: the envelope and the raw CDR byte-for-byte (base64 when it is not UTF-8; --raw for the bytes alone)')
    .argument('<n>', 'index from list (0 = the oldest)', parseIndex)
    .addOption(new Option('--json', 'print JSON for scripts'))
    .addOption(new Option('--raw', 'write only the raw CDR\'s bytes, exactly as the dialler sent them (e.g. > cdr.bin)').conflicts('json'))
    .action(async (n: number, opts: { json?: boolean; raw?: boolean }, cmd: Command) => {
      await withDeadLetters(cmd, 'cdr-bridge-dlq', async (dlq, config) => {
        const l = await letterAt(dlq, n, config);
        if (opts.raw) {
          if (!l.letter) throw new OperationError('NOT_AN_ENVELOPE', `dead letter #${n} in ${config.deadLetterKey} is not a cdr-bridge envelope: it has no raw CDR to write`);
          process.stdout.write(l.letter.bytes);
        } else if (opts.json) {
          process.stdout.write(`${JSON.stringify(asJson(l))}\n`);
        } else if (!l.letter) {
          process.stdout.write(`dead letter #${n} in ${config.deadLetterKey} is not a cdr-bridge envelope; as stored:\n${l.envelope.toString('utf8')}\n`);
        } else {
          const { letter } = l;
          const rows = [
            ['index', `${n} (0 is the oldest)`],
            ['failed_at', letter.failed_at],
            ['reason', letter.reason],
            ['source', letter.source],
            ['size', `${letter.bytes.length} bytes`],
          ];
          // The text is the payload's bytes exactly (valid UTF-8 round-trips); the line after it is ours.
          const raw = letter.raw !== undefined
            ? `raw (exactly these ${letter.bytes.length} bytes, then a newline; the bytes alone: cdr-bridge dlq show ${n} --raw):\n${letter.raw}`
            : `raw (base64, the payload is not valid UTF-8; the bytes themselves: cdr-bridge dlq show ${n} --raw > cdr.bin):\n${letter.raw_base64}`;
          process.stdout.write(`${formatTable(rows)}${raw}\n`);
        }
      });
    });
}

function requeueCommand(): Command {
  return withSettings(new Command('requeue'), DLQ_SETTINGS)
    .description('move dead letters\' CDRs back to the source list (where the bridge takes next) and remove them, each atomically')
    .argument('[n]', 'index from list (0 = the oldest)', parseIndex)
    .option('--all', 'requeue every dead letter, oldest taken first')
    .option('--json', 'print JSON for scripts')
    .option('--no-progress', 'no progress bar')
    .action(async (n: number | undefined, opts: { all?: boolean; json?: boolean; progress: boolean }, cmd: Command) => {
      if ((n === undefined) === !opts.all) throw new UsageError('dlq requeue: give either an index <n> or --all');
      await withDeadLetters(cmd, 'cdr-bridge-dlq', async (dlq, config) => {
        if (n !== undefined) {
          const l = await letterAt(dlq, n, config);
          if (!l.letter) throw new OperationError('NOT_AN_ENVELOPE', `dead letter #${n} in ${config.deadLetterKey} is not a cdr-bridge envelope; left in place`);
          // Named by its exact bytes: had the list changed since the read, nothing moves.
          if ((await dlq.requeue([l])) !== 1) {
            throw new OperationError('DLQ_CHANGED', `dead letter #${n} left ${config.deadLetterKey} while it was being requeued (another requeue or purge?); nothing was requeued`);
          }
          process.stdout.write(opts.json
            ? `${JSON.stringify({ requeued: 1, skipped: 0, to: config.sourceKey })}\n`
            : `requeued dead letter #${n} to ${config.sourceKey}: the bridge takes it next\n`);
          return;
        }
        const letters = await dlq.all();
        const ours = letters.filter((l) => l.letter !== undefined);
        const progress = new Progress('requeue', ours.length, opts.progress && !opts.json && ours.length >= PROGRESS_FROM);
        const requeued = await dlq.requeue(ours, (done) => progress.update(done));
        const skipped = letters.length - ours.length;
        const notes = [
          ...(skipped > 0 ? [`left ${skipped} entries that are not cdr-bridge envelopes`] : []),
          ...(ours.length > requeued ? [`${ours.length - requeued} left the list meanwhile`] : []),
        ];
        process.stdout.write(opts.json
          ? `${JSON.stringify({ requeued, skipped, to: config.sourceKey })}\n`
          : letters.length === 0
            ? `no dead letters in ${config.deadLetterKey}\n`
            : `requeued ${requeued} dead letters to ${config.sourceKey}: the bridge takes them next, oldest first${notes.length > 0 ? `; ${notes.join('; ')}` : ''}\n`);
      }, namedRedis('dlq requeue writes to the source list'));
    });
}

function purgeCommand(): Command {
  return withSettings(new Command('purge'), DLQ_SETTINGS)
    .description('delete every dead letter for good')
    .option('--yes', 'confirm: the CDRs in the dead-letter list are gone afterwards')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      const config = configOf(cmd, PURGE_REDIS);
      if (!opts.yes) throw new UsageError(`dlq purge deletes every dead letter in ${config.deadLetterKey} for good; pass --yes to confirm`);
      await withDeadLetters(cmd, 'cdr-bridge-dlq', async (dlq) => {
        const purged = await dlq.purge();
        process.stdout.write(opts.json
          ? `${JSON.stringify({ purged, key: config.deadLetterKey })}\n`
          : `purged ${purged} dead letters from ${config.deadLetterKey}\n`);
      }, PURGE_REDIS);
    });
}

async function withDeadLetters(cmd: Command, name: string, use: (dlq: DeadLetterList, config: Config) => Promise<void>, require?: Requirement): Promise<void> {
  const config = configOf(cmd, require);
  const redis = await openRedis(config, name, createLogger('error'));
  try {
    await use(new DeadLetterList(redis, { source: config.sourceKey, deadLetter: config.deadLetterKey }), config);
  } finally {
    redis.disconnect();
  }
}

async function letterAt(dlq: DeadLetterList, n: number, config: Config): Promise<ListedLetter> {
  const l = await dlq.at(n);
  if (l) return l;
  const length = await dlq.length();
  const holds = length === 0 ? 'it is empty' : length === 1 ? 'it holds 1 (#0)' : `it holds ${length} (#0 the oldest to #${length - 1} the newest)`;
  throw new OperationError('NO_SUCH_DEAD_LETTER', `no dead letter #${n} in ${config.deadLetterKey}: ${holds}`);
}

function parseIndex(v: string): number {
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`the index must be a whole number from 0 (the oldest), got "${v}"`);
  return Number(v);
}

function asJson(l: ListedLetter): Record<string, unknown> {
  if (!l.letter) return { index: l.index, error: 'not a cdr-bridge dead-letter envelope', envelope: l.envelope.toString('utf8') };
  const { bytes, ...envelope } = l.letter;
  return { index: l.index, ...envelope, size: bytes.length };
}

/**
 * The start of the payload as text on one line: quotes and backslashes as the dialler wrote
 * them; only control characters (which would break the line or the terminal) escaped; long
 * text cut.
 */
function preview(bytes: Buffer, text: string | undefined): string {
  if (text === undefined) return `(not UTF-8; see dlq show)`;
  const visible = text.replace(CONTROL_CHARACTERS, escapeControl);
  return visible.length > PREVIEW_CHARS ? `${visible.slice(0, PREVIEW_CHARS - 1)}…` : visible || `(empty, ${bytes.length} bytes)`;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
