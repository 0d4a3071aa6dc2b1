// `mrtom-kv lease grant|keepalive|revoke|ls|show`: leases whose end deletes the keys attached to them.
import { Command, Option } from 'commander';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { UsageError } from '../exit-codes.js';
import { writeJson, writeLine, writeTable } from '../output.js';
import { consistencyOption, parseDurationMs, parseIntegerIn } from '../options.js';
import type { Consistency, Lease, LeaseSummary } from '../../client/index.js';

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

function lsCommand(): Command {
  return clientCommand('ls', 'list every lease in id order, with its TTL and key count', [
    'mrtom-kv lease ls',
    'mrtom-kv lease ls -o table',
  ])
    .addOption(new Option('--page-size <n>', 'leases per request').argParser(parseIntegerIn(1, 1000)).default(100))
    .addOption(consistencyOption())
    .action(async (flags: ClientFlags & { pageSize: number; consistency: Consistency }) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const leases: LeaseSummary[] = [];
        for await (const page of client.leases.list({ pageSize: flags.pageSize, consistency: flags.consistency, signal })) {
          leases.push(...page.leases);
        }
        if (output === 'json') writeJson({ leases });
        else if (output === 'table')
          writeTable(
            ['LEASE', 'TTL MS', 'KEYS'],
            leases.map((l) => [l.lease, l.ttlMs, l.keys]),
            true,
          );
        else for (const { lease } of leases) writeLine(String(lease));
      });
    });
}

function showCommand(): Command {
  return clientCommand('show', 'show a lease: its TTL, its key count and (asked of the leader) the time left', [
    'mrtom-kv lease show 17',
    'mrtom-kv lease show 17 --keys -o json',
  ])
    .argument('<id>', 'the lease id', parseLeaseId)
    .addOption(new Option('--keys', 'also name the keys attached (at most 1000)'))
    .addOption(consistencyOption())
    .action(async (lease: number, flags: ClientFlags & { keys?: boolean; consistency: Consistency }) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const info = await client.leases.get(lease, { keys: flags.keys === true, consistency: flags.consistency, signal });
        if (output === 'json') return writeJson(info);
        if (output === 'table') {
          writeTable(['LEASE', 'TTL MS', 'KEYS', 'REMAINING MS'], [[info.lease, info.ttlMs, info.keys, info.remainingMs]], true);
          if (info.keyNames !== undefined)
            writeTable(
              ['KEY'],
              info.keyNames.map((key) => [key]),
              true,
            );
        } else {
          const left = info.remainingMs === null ? 'time left unknown (the leader did not say)' : `${info.remainingMs} ms left`;
          writeLine(`lease ${info.lease}: TTL ${info.ttlMs} ms, ${info.keys} keys, ${left}`);
          for (const key of info.keyNames ?? []) writeLine(key);
        }
        if (info.moreKeys) writeLine(`… and ${info.keys - info.keyNames!.length} more keys`);
      });
    });
}

export function leaseCommand(): Command {
  return new Command('lease')
    .description('grant, keep alive, revoke, list and show leases')
    .addCommand(grantCommand())
    .addCommand(keepAliveCommand())
    .addCommand(revokeCommand())
    .addCommand(lsCommand())
    .addCommand(showCommand());
}
