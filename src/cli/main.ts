// The `mrtom-kv` command: one verb per file under commands/.
import { Command } from 'commander';
import { ConfigError } from '../config/cluster.js';
import { devCommand } from './commands/dev.js';
import { replicaCommand } from './commands/replica.js';
import { sequencerCommand } from './commands/sequencer.js';

const program = new Command('mrtom-kv')
  .description('a linearizable replicated key-value store ordered by MRTOM')
  .addCommand(devCommand())
  .addCommand(replicaCommand())
  .addCommand(sequencerCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  // Configuration mistakes are the user's to fix: say what is wrong, without a stack trace.
  if (err instanceof ConfigError) {
    process.stderr.write(`mrtom-kv: ${err.message}\n`);
  } else {
    process.stderr.write(`mrtom-kv: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
