// `mrtom-kv compact <revision>`: makes the history before a revision unreadable on every replica (through
// the log, raise-only); prints the compact revision now in force.
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { parseIntegerIn } from '../options.js';
import { writeJson, writeTable } from '../output.js';

export function compactCommand() {
  return clientCommand('compact', 'compact the history: reads before the revision become 410 compacted', [
    'mrtom-kv compact 1000',
    'mrtom-kv compact 1000 -o json | jq .compactRevision',
  ])
    .argument('<revision>', 'the oldest revision to keep readable', parseIntegerIn(1, Number.MAX_SAFE_INTEGER))
    .action(async (revision: number, flags: ClientFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const result = await client.compact(revision, { signal });
        if (output === 'json') writeJson(result);
        else writeTable(['REVISION', 'COMPACT REVISION'], [[result.revision, result.compactRevision]], output === 'table');
      });
    });
}
