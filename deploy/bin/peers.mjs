#!/usr/bin/env node
// Container helper for cluster.json's host names. mrtom-kv resolves every host once at process start and
// identifies peers by source address, so (1) a process must not start before all names resolve, and (2) a
// process whose peers moved (a re-created pod gets a new IP) is stuck talking to stale addresses until it
// restarts. `wait` covers (1) and records what it resolved; `check` (a liveness probe / healthcheck)
// fails when this process stops answering or when any name now resolves to a different address.
//
//   node deploy/bin/peers.mjs wait  --role replica|sequencer --id N [--config F] [--snapshot F] [--timeout-s S]
//   node deploy/bin/peers.mjs check [--path /livez] [--snapshot F]
//
// Plain JavaScript with no dependencies, so it runs before (and beside) the TypeScript process.
import { lookup } from 'node:dns/promises';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const SNAPSHOT_PATH_DEFAULT = '/tmp/mrtom-kv-peers.json';
const WAIT_TIMEOUT_S_DEFAULT = 600;
const WAIT_RETRY_MS = 2_000;
const PROBE_TIMEOUT_MS = 2_000;

/** Every host name the process resolves at start: all replicas and all sequencers (itself included). */
export function hostsOf(config) {
  return [...new Set([...config.replicas.map((r) => r.host), ...config.sequencers.map((s) => s.host)])];
}

/** The host and HTTP port this process serves /livez on, or an error for an id not in the config. */
export function selfEndpoint(config, role, id) {
  if (role === 'replica') {
    const replica = config.replicas.find((r) => r.id === id);
    if (replica === undefined) throw new Error(`replica id ${id} is not in the config`);
    return { host: replica.host, port: replica.httpPort };
  }
  if (role === 'sequencer') {
    const sequencer = config.sequencers.find((s) => s.id === id);
    if (sequencer === undefined) throw new Error(`sequencer id ${id} is not in the config`);
    if (sequencer.metricsPort === undefined) throw new Error(`sequencer ${id} has no metricsPort to probe`);
    return { host: sequencer.host, port: sequencer.metricsPort };
  }
  throw new Error(`--role must be replica or sequencer, got ${role}`);
}

/** Names that now resolve to another address than recorded. A name that does not resolve at all is a
 *  peer that is away (rescheduling), not a moved one: restarting for it would only hurt. */
export function movedHosts(recorded, current) {
  return Object.keys(recorded)
    .filter((host) => current[host] !== undefined && current[host] !== recorded[host])
    .map((host) => `${host}: ${recorded[host]} -> ${current[host]}`);
}

async function resolveAll(hosts) {
  const resolved = {};
  const missing = [];
  for (const host of hosts) {
    try {
      resolved[host] = (await lookup(host, { family: 4 })).address;
    } catch (err) {
      missing.push(`${host} (${err.code ?? err.message})`);
    }
  }
  return { resolved, missing };
}

async function waitForPeers(options) {
  const config = JSON.parse(await readFile(options.config, 'utf8'));
  const self = selfEndpoint(config, options.role, Number(options.id));
  const deadlineMs = Date.now() + Number(options['timeout-s']) * 1000;
  for (;;) {
    const { resolved, missing } = await resolveAll(hostsOf(config));
    if (missing.length === 0) {
      const snapshot = { livez: { host: resolved[self.host], port: self.port }, addresses: resolved };
      await writeFile(`${options.snapshot}.tmp`, JSON.stringify(snapshot));
      await rename(`${options.snapshot}.tmp`, options.snapshot);
      return 0;
    }
    if (Date.now() >= deadlineMs) {
      console.error(`peers: still unresolved after ${options['timeout-s']} s: ${missing.join(', ')}`);
      return 1;
    }
    console.error(`peers: waiting for ${missing.join(', ')}`);
    await sleep(WAIT_RETRY_MS);
  }
}

async function checkPeers(options) {
  const snapshot = JSON.parse(await readFile(options.snapshot, 'utf8'));
  const url = `http://${snapshot.livez.host}:${snapshot.livez.port}${options.path}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!response.ok) {
      console.error(`peers: ${url} answered ${response.status}`);
      return 1;
    }
  } catch (err) {
    console.error(`peers: ${url} failed: ${err.message}`);
    return 1;
  }
  const { resolved } = await resolveAll(Object.keys(snapshot.addresses));
  const moved = movedHosts(snapshot.addresses, resolved);
  if (moved.length > 0) {
    console.error(`peers: addresses moved since start, restart needed: ${moved.join(', ')}`);
    return 1;
  }
  return 0;
}

async function main(argv) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      id: { type: 'string' },
      config: { type: 'string', default: process.env.MRTOM_CONFIG ?? '' },
      snapshot: { type: 'string', default: SNAPSHOT_PATH_DEFAULT },
      'timeout-s': { type: 'string', default: String(WAIT_TIMEOUT_S_DEFAULT) },
      path: { type: 'string', default: '/livez' },
    },
  });
  if (positionals[0] === 'wait') return waitForPeers(values);
  if (positionals[0] === 'check') return checkPeers(values);
  console.error('usage: peers.mjs wait --role replica|sequencer --id N | check [--path /livez]');
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`peers: ${err.message}`);
      process.exit(1);
    },
  );
}
