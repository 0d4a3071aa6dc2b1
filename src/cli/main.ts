// The `mrtom-kv` command: one verb per file under commands/. Client verbs talk to a cluster through the
// SDK; dev, replica and sequencer run one. Exit codes: exit-codes.ts.
import { Command, CommanderError } from 'commander';
import { MrtomError } from '../client/index.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { benchCommand } from './commands/bench.js';
import { delCommand } from './commands/del.js';
import { devCommand } from './commands/dev.js';
import { getCommand } from './commands/get.js';
import { leaseCommand } from './commands/lease.js';
import { lsCommand } from './commands/ls.js';
import { putCommand } from './commands/put.js';
import { replicaCommand } from './commands/replica.js';
import { sequencerCommand } from './commands/sequencer.js';
import { compactCommand } from './commands/compact.js';
import { statusCommand } from './commands/status.js';
import { txnCommand } from './commands/txn.js';
import { watchCommand } from './commands/watch.js';
import { tokenCommand } from './commands/token.js';

const program = new Command('mrtom-kv')
  .description('a linearizable replicated key-value store ordered by MRTOM')
  .addCommand(putCommand())
  .addCommand(getCommand())
  .addCommand(delCommand())
  .addCommand(lsCommand())
  .addCommand(txnCommand())
  .addCommand(watchCommand())
  .addCommand(leaseCommand())
  .addCommand(statusCommand())
  .addCommand(compactCommand())
  .addCommand(tokenCommand())
  .addCommand(benchCommand())
  .addCommand(devCommand())
  .addCommand(replicaCommand())
  .addCommand(sequencerCommand())
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 not found / precondition failed, 2 usage error, 3 unavailable / timeout, 4 other errors, 130 interrupted.\n',
  );

/** Commander exits 1 on a usage error by itself; throwing instead lets it exit 2 like every usage error. */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}
throwInsteadOfExit(program);

function describe(err: unknown): string {
  if (exitCodeOf(err) === EXIT.interrupted) return 'interrupted';
  if (err instanceof MrtomError) {
    const maybe = err.mayHaveHappened ? '; the write may or may not have happened: read before retrying' : '';
    return `${err.message} (${err.code}${err.endpoint === undefined ? '' : ` from ${err.endpoint}`})${maybe}`;
  }
  // Operating errors say what to fix; anything else is a bug, and its stack is what a report needs.
  if (exitCodeOf(err) !== EXIT.failure) return (err as Error).message;
  return (err as Error).stack ?? String(err);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = exitCodeOf(err);
  // Commander has printed its own message (or the help) already.
  if (!(err instanceof CommanderError)) process.stderr.write(`mrtom-kv: ${describe(err)}\n`);
  process.exit(code);
});
