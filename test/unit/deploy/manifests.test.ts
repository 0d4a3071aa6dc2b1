// Proves deploy/ is consistent offline: every YAML parses, every Kubernetes object passes its schema, and
// manifests, compose, systemd units and Dockerfile agree with their cluster.json — each check also shown to fail on a broken copy.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateClusterConfig } from '../../../src/config/cluster.js';
import { XDP_CAPABILITIES } from '../../../src/sequencer/xdp/capabilities.js';
import { hostsOf, movedHosts, selfEndpoint } from '../../../deploy/bin/peers.mjs';
import {
  composeProblems,
  dockerfileProblems,
  kubeCrossRefProblems,
  kubeSchemaProblems,
  parseUnit,
  systemdProblems,
  xdpOverlayProblems,
  type Doc,
  type Overlay,
} from './deploy-checks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'k8s');
const PEERS = join(DEPLOY, 'bin/peers.mjs');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** All documents of a file; compose's `<<:` merge keys are resolved. Parse errors throw. */
function loadYaml(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative(ROOT, path)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  });
}

const kustomization = loadYaml(join(K8S, 'kustomization.yaml'))[0];
const kubeDocs: Doc[] = (kustomization.resources as string[]).flatMap((file) => loadYaml(join(K8S, file)));
const mutate = (docs: Doc[], change: (docs: Doc[]) => void): Doc[] => {
  const copy = structuredClone(docs);
  change(copy);
  return copy;
};
const find = (docs: Doc[], kind: string, name?: string): Doc =>
  docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
const replicaContainer = (docs: Doc[]): Doc => find(docs, 'StatefulSet').spec.template.spec.containers[0];
const clusterJson = (docs: Doc[]): Doc => JSON.parse(find(docs, 'ConfigMap').data['cluster.json']);
const setClusterJson = (docs: Doc[], config: Doc): void => {
  find(docs, 'ConfigMap').data['cluster.json'] = JSON.stringify(config);
};

describe('YAML', () => {
  it('every YAML file under deploy/ parses without errors', () => {
    const files = yamlFiles(DEPLOY);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) expect(loadYaml(file).length).toBeGreaterThan(0);
  });

  it('kustomization lists exactly the manifest files of deploy/k8s', () => {
    const onDisk = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(onDisk.sort());
  });
});

describe('Kubernetes manifests', () => {
  it('every object validates against its Kubernetes schema', () => {
    expect(kubeDocs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'ConfigMap/mrtom-kv-cluster',
      'Deployment/mrtom-kv-sequencer-1',
      'Deployment/mrtom-kv-sequencer-2',
      'PodDisruptionBudget/mrtom-kv',
      'PodDisruptionBudget/mrtom-kv-sequencers',
      'Service/mrtom-kv',
      'Service/mrtom-kv-peers',
      'Service/mrtom-kv-sequencers',
      'StatefulSet/mrtom-kv',
    ]);
    expect(kubeSchemaProblems(kubeDocs)).toEqual([]);
  });

  it('schema validation rejects a wrongly typed field and an unknown kind', () => {
    const broken = mutate(kubeDocs, (docs) => {
      replicaContainer(docs).ports[0].containerPort = '7001';
    });
    expect(kubeSchemaProblems(broken).join('\n')).toMatch(/containerPort must be integer/);
    expect(kubeSchemaProblems([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }])).toHaveLength(1);
  });

  it('objects, cluster.json, ports, mounts and pod identities agree', () => {
    expect(kubeCrossRefProblems(kubeDocs, packageJson.version)).toEqual([]);
  });

  // Each broken copy must be caught with the named problem, so none of the cross-checks is vacuous.
  const breakages: Array<[string, (docs: Doc[]) => void, RegExp]> = [
    [
      'a replica host naming the wrong pod',
      (d) => {
        const c = clusterJson(d);
        c.replicas[1].host = 'mrtom-kv-2.mrtom-kv-peers';
        setClusterJson(d, c);
      },
      /replica 2 host/,
    ],
    [
      'an invalid cluster.json',
      (d) => {
        const c = clusterJson(d);
        c.replicas.pop();
        setClusterJson(d, c);
      },
      /odd number of replicas/,
    ],
    [
      'cluster.json httpPort differing from the container port',
      (d) => {
        const c = clusterJson(d);
        c.replicas[0].httpPort = 8001;
        setClusterJson(d, c);
      },
      /httpPort 8001/,
    ],
    [
      'cluster.json peerPort differing from the container port',
      (d) => {
        const c = clusterJson(d);
        c.replicas[2].peerPort = 7202;
        setClusterJson(d, c);
      },
      /replica 3: peerPort 7202/,
    ],
    [
      'the cluster key read from outside its Secret mount',
      (d) => {
        replicaContainer(d).env.find((e: Doc) => e.name === 'MRTOM_CLUSTER_KEY_FILE').value = '/etc/mrtom-kv/cluster.key';
      },
      /MRTOM_CLUSTER_KEY_FILE .* not a mounted Secret key/,
    ],
    [
      'a sequencer without the cluster key (it would drop every replica datagram as mac-missing)',
      (d) => {
        const pod = find(d, 'Deployment', 'mrtom-kv-sequencer-2').spec.template.spec;
        pod.containers[0].env = pod.containers[0].env.filter((e: Doc) => e.name !== 'MRTOM_CLUSTER_KEY_FILE');
      },
      /mrtom-kv-sequencer-2: MRTOM_CLUSTER_KEY_FILE .* not a mounted Secret key/,
    ],
    [
      'the data volume mounted elsewhere',
      (d) => {
        replicaContainer(d).volumeMounts[0].mountPath = '/data';
      },
      /dataDir .* volumeClaimTemplate/,
    ],
    [
      'a Service port not matching the container',
      (d) => {
        find(d, 'Service', 'mrtom-kv-peers').spec.ports[0].port = 7102;
      },
      /replica-udp .* differs/,
    ],
    [
      'a peer Service hiding not-ready pods',
      (d) => {
        find(d, 'Service', 'mrtom-kv-peers').spec.publishNotReadyAddresses = false;
      },
      /not-ready/,
    ],
    [
      'a PDB selecting nothing',
      (d) => {
        find(d, 'PodDisruptionBudget', 'mrtom-kv').spec.selector.matchLabels['app.kubernetes.io/component'] = 'replicas';
      },
      /no PodDisruptionBudget/,
    ],
    [
      'a selector not matching its template',
      (d) => {
        find(d, 'StatefulSet').spec.selector.matchLabels['app.kubernetes.io/name'] = 'other';
      },
      /selector does not match/,
    ],
    [
      'readiness on /livez',
      (d) => {
        replicaContainer(d).readinessProbe.httpGet.path = '/livez';
      },
      /readinessProbe/,
    ],
    [
      'an id computed as the bare ordinal',
      (d) => {
        replicaContainer(d).command[2] = replicaContainer(d).command[2].replace(' + 1 ))', ' ))');
      },
      /ordinal 0 computes id 0/,
    ],
    [
      'a sequencer host with the wrong subdomain',
      (d) => {
        const c = clusterJson(d);
        c.sequencers[1].host = 'mrtom-kv-sequencer-2.mrtom-kv-peers';
        setClusterJson(d, c);
      },
      /sequencer 2 host/,
    ],
    [
      'a sequencer Deployment rolling two pods',
      (d) => {
        find(d, 'Deployment', 'mrtom-kv-sequencer-1').spec.strategy.type = 'RollingUpdate';
      },
      /Recreate/,
    ],
    [
      'a root pod',
      (d) => {
        find(d, 'StatefulSet').spec.template.spec.securityContext.runAsNonRoot = false;
      },
      /runAsNonRoot/,
    ],
    [
      'a container without limits',
      (d) => {
        delete replicaContainer(d).resources.limits;
      },
      /no limits.cpu/,
    ],
    [
      'anti-affinity on zones only',
      (d) => {
        find(d, 'StatefulSet').spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey =
          'topology.kubernetes.io/zone';
      },
      /anti-affinity/,
    ],
    [
      'a grace period shorter than the process needs',
      (d) => {
        find(d, 'StatefulSet').spec.template.spec.terminationGracePeriodSeconds = 5;
      },
      /terminationGracePeriodSeconds/,
    ],
    [
      'a scrape annotation on the wrong port',
      (d) => {
        find(d, 'Deployment', 'mrtom-kv-sequencer-2').spec.template.metadata.annotations['prometheus.io/port'] = '7001';
      },
      /prometheus/,
    ],
    [
      'an image tag other than the package version',
      (d) => {
        replicaContainer(d).image = 'mrtom-kv:latest';
      },
      /image mrtom-kv:latest/,
    ],
  ];
  it.each(breakages)('catches %s', (_label, change, expected) => {
    expect(kubeCrossRefProblems(mutate(kubeDocs, change), packageJson.version).join('\n')).toMatch(expected);
  });

  it('the systemd sequencer unit offers the XDP agent exactly the capabilities it checks for', () => {
    const unit = readFileSync(join(DEPLOY, 'systemd/mrtom-kv-sequencer@.service'), 'utf8');
    const expected = Object.keys(XDP_CAPABILITIES)
      .map((c) => `CAP_${c}`)
      .sort();
    for (const setting of ['CapabilityBoundingSet', 'AmbientCapabilities']) {
      const line = new RegExp(`^#${setting}=(.*)$`, 'm').exec(unit)?.[1];
      expect(line?.split(' ').sort(), setting).toEqual(expected);
    }
  });

  describe('the XDP overlay (deploy/k8s-xdp)', () => {
    const overlayDir = join(DEPLOY, 'k8s-xdp');
    const overlayKustomization = loadYaml(join(overlayDir, 'kustomization.yaml'))[0];
    const overlay: Overlay = {
      patches: overlayKustomization.patches.map((p: Doc) => ({ target: p.target, ops: loadYaml(join(overlayDir, p.path))[0] })),
      clusterJson: readFileSync(join(overlayDir, overlayKustomization.configMapGenerator[0].files[0]), 'utf8'),
    };
    const withOps = (component: string, change: (ops: Doc[]) => Doc[]): Overlay => ({
      ...overlay,
      patches: overlay.patches.map((p) => (p.target.labelSelector.endsWith(`=${component}`) ? { ...p, ops: change(p.ops) } : p)),
    });
    const withConfig = (change: (config: Doc) => void): Overlay => {
      const config = JSON.parse(overlay.clusterJson);
      change(config);
      return { ...overlay, clusterJson: JSON.stringify(config) };
    };

    it('builds on the base (outside it: kustomize refuses an overlay inside its base) and replaces its cluster.json', () => {
      expect(resolve(overlayDir, overlayKustomization.resources[0])).toBe(K8S);
      expect(overlayKustomization.configMapGenerator[0]).toMatchObject({
        name: find(kubeDocs, 'ConfigMap').metadata.name,
        behavior: 'replace',
        options: { disableNameSuffixHash: true },
      });
      // Only the delivery differs from the base's cluster.json: the same replicas, sequencers and ports.
      const { multicast, datagramBytesMax, ...rest } = JSON.parse(overlay.clusterJson);
      const { datagramBytesMax: _base, ...baseRest } = clusterJson(kubeDocs);
      expect([multicast !== undefined, datagramBytesMax <= 1472]).toEqual([true, true]);
      expect(rest).toEqual(baseRest);
    });

    it('patches sequencers and replicas into valid host-network Deployments and StatefulSet, each on a node of its own', () => {
      expect(xdpOverlayProblems(kubeDocs, overlay)).toEqual([]);
    });

    const breakages: Array<[string, Overlay, RegExp]> = [
      [
        'sequencers without CAP_BPF',
        withOps('sequencer', (ops) => ops.filter((op) => !op.path.endsWith('containers/0/securityContext'))),
        /CAP_BPF/,
      ],
      [
        'sequencers without CAP_PERFMON',
        withOps('sequencer', (ops) =>
          ops.map((op) =>
            op.path.endsWith('containers/0/securityContext')
              ? { ...op, value: { ...op.value, capabilities: { drop: ['ALL'], add: ['BPF', 'NET_ADMIN'] } } }
              : op,
          ),
        ),
        /needs CAP_PERFMON$/m,
      ],
      [
        'replicas off the host network',
        withOps('replica', (ops) => ops.filter((op) => !op.path.endsWith('/hostNetwork'))),
        /mrtom-kv: XDP needs hostNetwork/,
      ],
      [
        'a replica allowed on a sequencer node',
        withOps('replica', (ops) => ops.filter((op) => !op.path.includes('podAntiAffinity'))),
        /share a node with a sequencer/,
      ],
      [
        'no interface for the program',
        withOps('sequencer', (ops) => ops.filter((op) => op.value?.name !== 'MRTOM_XDP_INTERFACE')),
        /MRTOM_XDP_INTERFACE/,
      ],
      [
        'a patch path the base does not have',
        withOps('sequencer', (ops) => [...ops, { op: 'replace', path: '/spec/template/spec/containers/1/env', value: [] }]),
        /does not exist/,
      ],
      ['no multicast group', withConfig((c) => delete c.multicast), /multicast group/],
      ['REQUESTs that need IP fragments', withConfig((c) => (c.datagramBytesMax = 8192)), /1500-byte frame/],
    ];
    it.each(breakages)('catches %s', (_label, broken, expected) => {
      expect(xdpOverlayProblems(kubeDocs, broken).join('\n')).toMatch(expected);
    });
  });
});

describe('compose', () => {
  const composeDir = join(DEPLOY, 'compose');
  const compose = loadYaml(join(composeDir, 'compose.yaml'))[0];
  const readConfig = (path: string): string | undefined =>
    existsSync(join(composeDir, path)) ? readFileSync(join(composeDir, path), 'utf8') : undefined;

  it('runs 3 replicas and 2 sequencers that agree with the cluster.json they mount', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['replica-1', 'replica-2', 'replica-3', 'sequencer-1', 'sequencer-2']);
    expect(composeProblems(compose, readConfig)).toEqual([]);
    expect(validateClusterConfig(JSON.parse(readConfig('cluster.json')!), 'compose').replicas).toHaveLength(3);
  });

  const breakages: Array<[string, (c: Doc) => void, RegExp]> = [
    [
      'two replicas sharing a data volume',
      (c) => {
        c.services['replica-2'].volumes[1] = 'replica-1-data:/var/lib/mrtom-kv/data';
      },
      /shared with replica-1/,
    ],
    [
      'a duplicate address',
      (c) => {
        c.services['sequencer-2'].networks.mrtom.ipv4_address = '172.28.0.21';
      },
      /also used by sequencer-1/,
    ],
    [
      'an address outside the subnet',
      (c) => {
        c.services['replica-3'].networks.mrtom.ipv4_address = '10.0.0.3';
      },
      /subnet/,
    ],
    [
      'a service without healthcheck',
      (c) => {
        delete c.services['replica-1'].healthcheck;
      },
      /no healthcheck/,
    ],
    [
      'a replica id not in cluster.json order',
      (c) => {
        c.services['replica-3'].environment.MRTOM_REPLICA_ID = '4';
      },
      /no service runs replica 3/,
    ],
    [
      'a replica without the cluster key secret',
      (c) => {
        delete c.services['replica-2'].secrets;
      },
      /replica-2: MRTOM_CLUSTER_KEY_FILE .* not a declared secret/,
    ],
    [
      'a sequencer without the cluster key secret',
      (c) => {
        delete c.services['sequencer-1'].secrets;
      },
      /sequencer-1: MRTOM_CLUSTER_KEY_FILE .* not a declared secret/,
    ],
    [
      'a missing config mount',
      (c) => {
        c.services['sequencer-1'].volumes = [];
      },
      /not a bind-mounted file/,
    ],
  ];
  it.each(breakages)('catches %s', (_label, change, expected) => {
    const copy = structuredClone(compose);
    change(copy);
    expect(composeProblems(copy, readConfig).join('\n')).toMatch(expected);
  });
});

describe('systemd units', () => {
  const dir = join(DEPLOY, 'systemd');
  const example = validateClusterConfig(JSON.parse(readFileSync(join(dir, 'cluster.example.json'), 'utf8')), 'cluster.example.json');
  const units = {
    replica: readFileSync(join(dir, 'mrtom-kv-replica@.service'), 'utf8'),
    sequencer: readFileSync(join(dir, 'mrtom-kv-sequencer@.service'), 'utf8'),
  } as const;

  it.each(['replica', 'sequencer'] as const)('the %s unit has the required keys and hardening', (role) => {
    expect(systemdProblems(role, parseUnit(units[role]), example)).toEqual([]);
  });

  it('catches a missing restart policy, a JIT-breaking option and a dataDir outside StateDirectory', () => {
    const unit = parseUnit(units.replica.replace('Restart=on-failure', '').replace('NoNewPrivileges=yes', 'MemoryDenyWriteExecute=yes'));
    const problems = systemdProblems('replica', unit, {
      ...example,
      replicas: example.replicas.map((r) => ({ ...r, dataDir: '/srv/data' })),
    }).join('\n');
    expect(problems).toMatch(/Restart/);
    expect(problems).toMatch(/NoNewPrivileges/);
    expect(problems).toMatch(/MemoryDenyWriteExecute/);
    expect(problems).toMatch(/dataDir \/srv\/data/);
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it.skipIf(!analyze)('systemd-analyze verify reports nothing for either unit', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'mrtom-units-'));
    for (const role of ['replica', 'sequencer'] as const) {
      writeFileSync(join(scratch, `mrtom-kv-${role}@.service`), units[role]);
      const result = spawnSync('systemd-analyze', ['verify', '--man=no', join(scratch, `mrtom-kv-${role}@1.service`)], {
        encoding: 'utf8',
      });
      expect(result.stderr.split('\n').filter((l) => l.includes(`mrtom-kv-${role}@`))).toEqual([]);
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  it('builds in one stage and runs compiled code with production dependencies as a non-root user', () => {
    expect(dockerfileProblems(text)).toEqual([]);
  });
  it('catches devDependencies in the image, a missing dist/ copy, a one-stage build and a root user', () => {
    const broken = text.replace('RUN npm ci --omit=dev', 'RUN npm ci --include=dev').replace('USER 10001:10001', 'USER root');
    expect(dockerfileProblems(broken).join('\n')).toMatch(/devDependencies[^]*non-root/);
    expect(dockerfileProblems(text.replace(/^COPY --from=build .*$/m, '')).join('\n')).toMatch(/dist/);
    expect(dockerfileProblems(text.replace(/^FROM .* AS build$/m, '')).join('\n')).toMatch(/two-stage/);
  });
  it('the bin the ENTRYPOINT runs imports the compiled CLI', () => {
    expect(readFileSync(join(ROOT, 'bin/mrtom-kv.js'), 'utf8')).toMatch(/'\.\.\/dist\/cli\/main\.js'/);
  });
});

describe('deploy/bin/peers.mjs', () => {
  const config = {
    replicas: [{ id: 1, host: 'localhost', httpPort: 0, udpPort: 1, dataDir: 'd' }],
    sequencers: [{ id: 1, host: '127.0.0.1', port: 2, metricsPort: 3 }],
  };
  let server: Server;
  let scratch: string;
  // Asynchronous on purpose: the /livez server below runs in this process's event loop.
  const run = (...args: string[]): Promise<{ status: number | null; stderr: string }> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [PEERS, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => done({ status, stderr }));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/livez' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    config.replicas[0]!.httpPort = (server.address() as { port: number }).port;
    scratch = mkdtempSync(join(tmpdir(), 'mrtom-peers-'));
    writeFileSync(join(scratch, 'cluster.json'), JSON.stringify(config));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('lists every host once and finds its own probe endpoint', () => {
    expect(hostsOf({ ...config, sequencers: [...config.sequencers, { id: 2, host: 'localhost', port: 2 }] })).toEqual([
      'localhost',
      '127.0.0.1',
    ]);
    expect(selfEndpoint(config, 'sequencer', 1)).toEqual({ host: '127.0.0.1', port: 3 });
    expect(() => selfEndpoint(config, 'replica', 9)).toThrow(/replica id 9/);
  });

  it('treats a changed address as moved and a vanished name as away', () => {
    expect(movedHosts({ a: '10.0.0.1', b: '10.0.0.2' }, { a: '10.0.0.9' })).toEqual(['a: 10.0.0.1 -> 10.0.0.9']);
    expect(movedHosts({ a: '10.0.0.1' }, { a: '10.0.0.1' })).toEqual([]);
  });

  it('wait records the addresses; check passes, then fails on a moved peer and on a failing /livez', async () => {
    const snapshot = join(scratch, 'peers.json');
    const common = ['--config', join(scratch, 'cluster.json'), '--snapshot', snapshot];
    expect((await run('wait', '--role', 'replica', '--id', '1', ...common)).status).toBe(0);
    const recorded = JSON.parse(readFileSync(snapshot, 'utf8'));
    expect(recorded.addresses['127.0.0.1']).toBe('127.0.0.1');
    expect((await run('check', '--snapshot', snapshot)).status).toBe(0);
    expect((await run('check', '--snapshot', snapshot, '--path', '/readyz')).status).toBe(1);
    writeFileSync(snapshot, JSON.stringify({ ...recorded, addresses: { ...recorded.addresses, localhost: '10.9.9.9' } }));
    const moved = await run('check', '--snapshot', snapshot);
    expect(moved.status).toBe(1);
    expect(moved.stderr).toMatch(/moved/);
  });

  it('wait gives up on a name that never resolves', async () => {
    writeFileSync(
      join(scratch, 'bad.json'),
      JSON.stringify({ ...config, sequencers: [{ id: 1, host: 'no-such-host.invalid', port: 2, metricsPort: 3 }] }),
    );
    const result = await run(
      'wait',
      '--role',
      'replica',
      '--id',
      '1',
      '--config',
      join(scratch, 'bad.json'),
      '--snapshot',
      join(scratch, 'x.json'),
      '--timeout-s',
      '0',
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no-such-host\.invalid/);
  });
});
