// `mrtom-kv status`: one row per replica of the whole cluster, each asked directly (role, view, session,
// sequencer, commit and applied slots, lag, revision, health). Exit code 3 when a replica is not ready.
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { EXIT } from '../exit-codes.js';
import { writeJson, writeTable } from '../output.js';

export function statusCommand() {
  return clientCommand('status', 'show every replica: role, view, session, sequencer, applied, lag, health', [
    'mrtom-kv status',
    'mrtom-kv status -o table --endpoints http://10.0.0.1:7001',
    'mrtom-kv status -o json | jq ".[] | select(.ready | not)"',
  ]).action(async (flags: ClientFlags) => {
    await runVerb(flags, async ({ client, output, signal }) => {
      const reports = await client.clusterStatus({ signal });
      if (output === 'json') writeJson(reports);
      else
        writeTable(
          ['ID', 'ENDPOINT', 'ROLE', 'VIEW', 'SESSION', 'SEQUENCER', 'COMMIT', 'APPLIED', 'LAG', 'REVISION', 'HEALTH'],
          reports.map((r) => [
            r.node?.id,
            r.url,
            r.role,
            r.node?.view,
            r.node?.session,
            r.node?.sequencerId,
            r.node?.commitSlot,
            r.node?.appliedSlot,
            r.lagSlots,
            r.node?.revision,
            r.health,
          ]),
          output === 'table',
        );
      if (reports.some((r) => !r.ready)) process.exitCode = EXIT.unavailable;
    });
  });
}
