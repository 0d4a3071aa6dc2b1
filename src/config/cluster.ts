// The cluster configuration file (`<data>/cluster.json`, written by `mrtom-kv dev`, read by
// `mrtom-kv sequencer --config` and `mrtom-kv replica --config --id`). Validated with TypeBox; a bad file
// gets one message per problem, naming the field.
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Host = Type.String({ minLength: 1 });

export const DurabilitySchema = Type.Union([Type.Literal('fsync'), Type.Literal('async'), Type.Literal('memory')]);
export type Durability = Static<typeof DurabilitySchema>;

export const ReplicaEndpointSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 0xffff }),
    host: Host,
    udpPort: Port,
    httpPort: Port,
    /** TCP port of the peer listener (snapshot transfer, peer readiness); absent = the same number as udpPort. */
    peerPort: Type.Optional(Port),
    /** Data folder of this replica; relative paths resolve against the config file's folder. */
    dataDir: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type ReplicaEndpoint = Static<typeof ReplicaEndpointSchema>;

/** The peer listener's TCP port. Defaulting to the UDP port's number keeps configs written before the
 *  peer listener existed valid, and needs no new number in firewall rules (docs/security.md). */
export function peerPortOf(endpoint: ReplicaEndpoint): number {
  return endpoint.peerPort ?? endpoint.udpPort;
}

export const SequencerEndpointSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 0xffff }),
    host: Host,
    port: Port,
    /** HTTP port for /livez and /metrics; absent = not served. */
    metricsPort: Type.Optional(Port),
    /** This sequencer tags its stamps under the cluster key, and replicas refuse its ORDERED without that
     *  tag (docs/security.md). Userspace data plane only, with a cluster key on every process. */
    stampMac: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SequencerEndpoint = Static<typeof SequencerEndpointSchema>;

/** An IPv4 multicast group (224.0.0.0/4) and the UDP port replicas receive ORDERED, COMMIT and HEARTBEAT
 *  on. With it, a sequencer sends each fan-out once to the group (docs/xdp.md); the XDP data plane needs it. */
export const MulticastGroupSchema = Type.Object(
  {
    address: Type.String({ pattern: '^2(2[4-9]|3[0-9])\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})$' }),
    port: Port,
  },
  { additionalProperties: false },
);
export type MulticastGroup = Static<typeof MulticastGroupSchema>;

export const ClusterConfigSchema = Type.Object(
  {
    group: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
    replicas: Type.Array(ReplicaEndpointSchema, { minItems: 1, maxItems: 9 }),
    sequencers: Type.Array(SequencerEndpointSchema, { minItems: 1, maxItems: 8 }),
    durability: DurabilitySchema,
    /** Largest datagram on the path; a REQUEST that does not fit is refused with 413. */
    datagramBytesMax: Type.Integer({ minimum: 512, maximum: 65_000 }),
    /** Copies the sequencer keeps for retransmission before it drops the oldest. */
    ringCapacity: Type.Integer({ minimum: 16, maximum: 1_048_576 }),
    /** Absent: every fan-out is one unicast per replica (the default, and the dev cluster on loopback). */
    multicast: Type.Optional(MulticastGroupSchema),
  },
  { additionalProperties: false },
);
export type ClusterConfig = Static<typeof ClusterConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function validateClusterConfig(value: unknown, source: string): ClusterConfig {
  const problems = [...Value.Errors(ClusterConfigSchema, value)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length > 0) throw new ConfigError(`${source} is not a valid cluster config:\n  ${problems.join('\n  ')}`);
  const config = value as ClusterConfig;
  if (config.replicas.length % 2 === 0) {
    throw new ConfigError(`${source}: an odd number of replicas (2f+1) is required, got ${config.replicas.length}`);
  }
  if (config.multicast !== undefined && config.multicast.address.split('.').some((octet) => Number(octet) > 255)) {
    throw new ConfigError(`${source}: multicast.address ${config.multicast.address} is not an IPv4 address`);
  }
  for (const replica of config.replicas) {
    if (peerPortOf(replica) === replica.httpPort) {
      throw new ConfigError(`${source}: replica ${replica.id}: peerPort (or udpPort) must differ from httpPort ${replica.httpPort}`);
    }
  }
  for (const [name, ids] of [
    ['replica', config.replicas.map((r) => r.id)],
    ['sequencer', config.sequencers.map((s) => s.id)],
  ] as const) {
    if (new Set(ids).size !== ids.length) throw new ConfigError(`${source}: ${name} ids must be unique`);
  }
  return config;
}

export async function loadClusterConfig(path: string): Promise<ClusterConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read cluster config ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not JSON: ${(err as Error).message}`);
  }
  return validateClusterConfig(value, path);
}
