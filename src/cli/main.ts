// The cdr-bridge command line: one subcommand per file under commands/.

import { Command, CommanderError } from 'commander';
import { versionLine } from './build-info';
import { dlqCommand } from './commands/dlq';
import { doctorCommand } from './commands/doctor';
import { replayCommand } from './commands/replay';
import { runCommand } from './commands/run';
import { schemaCommand } from './commands/schema';
import { simulateCommand } from './commands/simulate';
import { statusCommand } from './commands/status';
import { tailCommand } from './commands/tail';
import { exitCodeOf, reportFailure, unsupportedRuntime } from './exit';

export function program(): Command {
  const program = new Command('cdr-bridge')
    .description('Moves the Enigma dialler\'s CDRs from its Redis list into a Kafka topic as Avro, exactly once (Kafka transactions, a fenced leader lease), and lets operators check, inspect and replay them.')
    .version(versionLine(), '-V, --version', 'print the version and the git revision it was built from')
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(runCommand());
  program.addCommand(statusCommand());
  program.addCommand(tailCommand());
  program.addCommand(simulateCommand());
  program.addCommand(replayCommand());
  program.addCommand(dlqCommand());
  program.addCommand(schemaCommand());
  program.addCommand(doctorCommand());
  oneLineUsageErrors(program, 'cdr-bridge');
  return program;
}

/**
 * A usage error (an unknown option, a missing argument) is one line on stderr, like every
 * other error, naming where the accepted options are listed instead of printing them all.
 */
function oneLineUsageErrors(cmd: Command, path: string): void {
  cmd.exitOverride().showHelpAfterError(false).configureOutput({
    outputError: (text, write) => write(`cdr-bridge: ${text.trim().replace(/^error: /, '')} (see ${path} --help)\n`),
  });
  for (const sub of cmd.commands) oneLineUsageErrors(sub, `${path} ${sub.name()}`);
}

async function main(argv: string[]): Promise<number> {
  const runtime = unsupportedRuntime(process.version, process.execPath);
  if (runtime) {
    process.stderr.write(`cdr-bridge: ${runtime}\n`);
    return 2;
  }
  try {
    await program().parseAsync(argv);
    // A command may end with a code of its own (doctor: 3 for warnings only).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the problem (or the help / version, with exit code 0).
      return err.exitCode === 0 ? 0 : 2;
    }
    reportFailure(err);
    return exitCodeOf(err);
  }
}

// bin/cdr-bridge puts `--` before the arguments, so node leaves them alone (see there).
const argv = process.argv[2] === '--' ? [...process.argv.slice(0, 2), ...process.argv.slice(3)] : process.argv;
main(argv).then((code) => {
  process.exitCode = code;
  // A failed command ends here, even with a socket or timer its failure left open: a sidecar
  // that no longer works must exit for its supervisor to restart it, not linger looking alive.
  // (stdout and stderr are synchronous on files and pipes, so nothing written is lost.)
  if (code !== 0) process.exit(code);
});
