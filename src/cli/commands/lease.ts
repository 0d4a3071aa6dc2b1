// `mrtom-kv lease grant|keepalive|revoke`: leases whose end deletes the keys attached to them.
import { Command, Option } from 'commander';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { UsageError } from '../exit-codes.js';
import { writeJson, writeLine, writeTable } from '../output.js';
import { parseDurationMs, parseIntegerIn } from '../options.js';
import type { Lease } from '../../client/index.js';

const parseLeaseId = parseIntegerIn(1, Number.MAX_SAFE_INTEGER);

function printLease(output: ClientFlags['output'], lease: Lease, what: string): void {
  if (output === 'json') writeJson(lease);
  else if (output === 'table') writeTable(['LEASE', 'TTL MS'], [[lease.lease, lease.ttlMs]], true);
  else writeLine(`lease ${lease.lease} ${what}, TTL ${lease.ttlMs} ms`);
}

function grantCommand(): Command {
  return clientCommand('grant', 'grant a lease with a TTL (1s to 24h); prints its id', [
    'mrtom-kv lease grant 30s',
    'LEASE=$(mrtom-kv lease grant 30s -o json | jq .lease); mrtom-kv put svc/a up --lease $LEASE',
  ])
    .argument('<ttl>', 'time to live, e.g. 30s', parseDurationMs)
    .action(async (ttlMs: number, flags: ClientFlags) => {
      if (ttlMs < 1_000) throw new UsageError('the TTL must be at least 1s');
      await runVerb(flags, async ({ client, output, signal }) =>
        printLease(output, await client.leases.grant(ttlMs, { signal }), 'granted'),
      );
    });
}

function keepAliveCommand(): Command {
  return clientCommand('keepalive', 'keep a lease alive until Ctrl-C (exit code 1 if it is lost)', [
    'mrtom-kv lease keepalive 17',
    'mrtom-kv lease keepalive 17 --once',
  ])
    .argument('<id>', 'the lease id', parseLeaseId)
    .addOption(new Option('--once', 'one keepalive, then exit'))
    .action(async (lease: number, flags: ClientFlags & { once?: boolean }) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        if (flags.once) return printLease(output, await client.leases.keepAliveOnce(lease, { signal }), 'kept alive');
        const loop = client.leases.keepAlive(lease, { signal, onKeepAlive: (l) => printLease(output, l, 'kept alive') });
        await loop.done;
      });
    });
}

function revokeCommand(): Command {
  return clientCommand('revoke', 'revoke a lease and delete its keys', ['mrtom-kv lease revoke 17'])
    .argument('<id>', 'the lease id', parseLeaseId)
    .action(async (lease: number, flags: ClientFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const result = await client.leases.revoke(lease, { signal });
        if (output === 'json') writeJson(result);
        else if (output === 'table') writeTable(['LEASE', 'KEYS DELETED', 'MORE'], [[lease, result.deleted, result.more]], true);
        else writeLine(`lease ${lease} revoked, ${result.deleted} keys deleted${result.more ? ' (more remain: repeat)' : ''}`);
      });
    });
}

export function leaseCommand(): Command {
  return new Command('lease')
    .description('grant, keep alive and revoke leases')
    .addCommand(grantCommand())
    .addCommand(keepAliveCommand())
    .addCommand(revokeCommand());
}
