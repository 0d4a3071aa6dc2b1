// Offline checks of deploy/: each function takes parsed files and returns the problems it found (empty =
// fine), so the tests can run it on the real files and on deliberately broken copies.
import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { peerPortOf, validateClusterConfig, type ClusterConfig } from '../../../src/config/cluster.js';
import { XDP_CAPABILITIES } from '../../../src/sequencer/xdp/capabilities.js';

// Parsed YAML is untyped; these checks probe it field by field and report what is missing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = any;

/** Seconds each process needs after SIGTERM (close-with-grace delays in src/cli/commands). */
export const STOP_GRACE_S = { replica: 10, sequencer: 5 } as const;

const MODELS: Record<string, { new (data: Doc): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const nameOf = (doc: Doc): string => `${doc?.kind}/${doc?.metadata?.name}`;

/** Schema validation of every object with the kubernetes-models class for its apiVersion/kind. */
export function kubeSchemaProblems(docs: Doc[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    const Model = MODELS[`${doc?.apiVersion}/${doc?.kind}`];
    if (Model === undefined) {
      problems.push(`${nameOf(doc)}: no schema for ${doc?.apiVersion} ${doc?.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (err) {
      problems.push(`${nameOf(doc)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function podLabels(workload: Doc): Record<string, string> {
  return workload.spec?.template?.metadata?.labels ?? {};
}

function envOf(container: Doc, name: string): string | undefined {
  return container?.env?.find((e: Doc) => e.name === name)?.value;
}

/** The container port a probe or Service targetPort names (by name or number), or undefined. */
function containerPort(container: Doc, ref: string | number | undefined): Doc {
  return container?.ports?.find((p: Doc) => p.name === ref || p.containerPort === ref);
}

function parseConfig(text: string | undefined, source: string): { config?: ClusterConfig; problems: string[] } {
  try {
    return { config: validateClusterConfig(JSON.parse(text ?? ''), source), problems: [] };
  } catch (err) {
    return { problems: [(err as Error).message] };
  }
}

function checkWorkloadBasics(workload: Doc, graceS: number, problems: string[]): void {
  const name = nameOf(workload);
  const spec = workload.spec?.template?.spec ?? {};
  if (!selects(workload.spec?.selector?.matchLabels, podLabels(workload)))
    problems.push(`${name}: selector does not match the pod template labels`);
  if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${name}: pod securityContext.runAsNonRoot is not true`);
  if (!((spec.terminationGracePeriodSeconds ?? 30) > graceS))
    problems.push(`${name}: terminationGracePeriodSeconds must exceed the process's ${graceS} s stop grace`);
  const terms = [
    ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Doc) => t.podAffinityTerm),
  ];
  if (!terms.some((t: Doc) => t?.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector?.matchLabels, podLabels(workload)))) {
    problems.push(`${name}: no pod anti-affinity across kubernetes.io/hostname selecting its own pods`);
  }
  for (const c of spec.containers ?? []) {
    if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${name}: container ${c.name} allows privilege escalation`);
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${name}: container ${c.name} has no ${kind}.${resource}`);
      }
    }
  }
}

/** cluster.json from the ConfigMap mounted at MRTOM_CONFIG, or a problem. */
function checkConfigMount(workload: Doc, configMaps: Doc[], problems: string[]): string | undefined {
  const name = nameOf(workload);
  const spec = workload.spec.template.spec;
  const container = spec.containers?.[0];
  const configPath = envOf(container, 'MRTOM_CONFIG');
  if (configPath === undefined) {
    problems.push(`${name}: MRTOM_CONFIG is not set`);
    return undefined;
  }
  const mount = container.volumeMounts?.find((m: Doc) => m.mountPath === posix.dirname(configPath));
  const volume = spec.volumes?.find((v: Doc) => v.name === mount?.name);
  const configMap = configMaps.find((cm) => cm.metadata?.name === volume?.configMap?.name);
  const item = volume?.configMap?.items?.find((i: Doc) => i.path === posix.basename(configPath));
  const text = configMap?.data?.[item?.key ?? posix.basename(configPath)];
  if (text === undefined) problems.push(`${name}: MRTOM_CONFIG ${configPath} is not a mounted ConfigMap key`);
  return text;
}

/** Replicas and sequencers read the cluster key (MRTOM_CLUSTER_KEY_FILE) from a mounted Secret holding that
 *  key: it authenticates the peer listener and every datagram, so all of them need the same one. */
function checkClusterKeySecret(workload: Doc, problems: string[]): void {
  const spec = workload.spec?.template?.spec ?? {};
  const container = spec.containers?.[0];
  const keyPath = envOf(container, 'MRTOM_CLUSTER_KEY_FILE');
  const mount = container?.volumeMounts?.find((m: Doc) => m.mountPath === (keyPath === undefined ? undefined : posix.dirname(keyPath)));
  const secret = spec.volumes?.find((v: Doc) => v.name === mount?.name)?.secret;
  const item = secret?.items?.find((i: Doc) => i.path === posix.basename(keyPath ?? ''));
  if (keyPath === undefined || item === undefined)
    problems.push(`${nameOf(workload)}: MRTOM_CLUSTER_KEY_FILE ${keyPath} is not a mounted Secret key`);
}

/** Cross-references among the Kubernetes objects and the cluster.json they carry. */
export function kubeCrossRefProblems(docs: Doc[], packageVersion: string): string[] {
  const problems: string[] = [];
  const of = (kind: string): Doc[] => docs.filter((d) => d?.kind === kind);
  const statefulSets = of('StatefulSet');
  const deployments = of('Deployment');
  const services = of('Service');
  if (statefulSets.length !== 1) return [`expected one StatefulSet, found ${statefulSets.length}`];
  const sts = statefulSets[0];
  const stsName: string = sts.metadata?.name;
  const replicaPod = sts.spec?.template?.spec ?? {};
  const replicaContainer = replicaPod.containers?.[0];

  checkWorkloadBasics(sts, STOP_GRACE_S.replica, problems);
  if (sts.spec?.podManagementPolicy !== 'Parallel') problems.push(`${nameOf(sts)}: podManagementPolicy is not Parallel`);
  if (replicaPod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution === undefined) {
    problems.push(`${nameOf(sts)}: replicas need required (not only preferred) anti-affinity`);
  }

  // Services: the StatefulSet's governing Service is headless and publishes not-ready pods.
  const peers = services.find((s) => s.metadata?.name === sts.spec?.serviceName);
  if (peers === undefined) problems.push(`${nameOf(sts)}: serviceName ${sts.spec?.serviceName} is not a Service here`);
  else {
    if (peers.spec?.clusterIP !== 'None') problems.push(`${nameOf(peers)}: peer Service is not headless`);
    if (peers.spec?.publishNotReadyAddresses !== true) problems.push(`${nameOf(peers)}: peer Service must publish not-ready addresses`);
    if (!selects(peers.spec?.selector, podLabels(sts))) problems.push(`${nameOf(peers)}: does not select the replica pods`);
  }
  const client = services.find((s) => s.spec?.clusterIP !== 'None' && selects(s.spec?.selector, podLabels(sts)));
  if (client === undefined) problems.push('no client (non-headless) Service selects the replica pods');
  for (const service of services) {
    const targets = [sts, ...deployments].filter((w) => selects(service.spec?.selector, podLabels(w)));
    if (targets.length === 0) problems.push(`${nameOf(service)}: selects no pods`);
    for (const port of service.spec?.ports ?? []) {
      for (const target of targets) {
        const cp = containerPort(target.spec.template.spec.containers?.[0], port.targetPort ?? port.port);
        if (cp === undefined) problems.push(`${nameOf(service)}: port ${port.name} targets no container port of ${nameOf(target)}`);
        else if ((cp.protocol ?? 'TCP') !== (port.protocol ?? 'TCP') || cp.containerPort !== port.port) {
          problems.push(
            `${nameOf(service)}: port ${port.name} (${port.protocol} ${port.port}) differs from ${nameOf(target)}'s (${cp.protocol} ${cp.containerPort})`,
          );
        }
      }
    }
  }

  const pdb = of('PodDisruptionBudget').find((p) => selects(p.spec?.selector?.matchLabels, podLabels(sts)));
  if (pdb === undefined) problems.push('no PodDisruptionBudget selects the replica pods');
  else if (pdb.spec?.maxUnavailable !== 1) problems.push(`${nameOf(pdb)}: maxUnavailable is not 1`);

  // cluster.json against the objects.
  const configText = checkConfigMount(sts, of('ConfigMap'), problems);
  const { config, problems: configProblems } = parseConfig(configText, 'ConfigMap cluster.json');
  problems.push(...configProblems);
  if (config === undefined) return problems;
  if (sts.spec?.replicas !== config.replicas.length)
    problems.push(`${nameOf(sts)}: replicas ${sts.spec?.replicas} but cluster.json lists ${config.replicas.length}`);
  const mounts: Doc[] = replicaContainer?.volumeMounts ?? [];
  const claimNames = (sts.spec?.volumeClaimTemplates ?? []).map((t: Doc) => t.metadata?.name);
  config.replicas.forEach((replica, ordinal) => {
    if (replica.id !== ordinal + 1)
      problems.push(`cluster.json replica #${ordinal} has id ${replica.id}, but pod ordinal ${ordinal} runs id ${ordinal + 1}`);
    const stableName = `${stsName}-${ordinal}.${sts.spec?.serviceName}`;
    if (replica.host !== stableName && !replica.host.startsWith(`${stableName}.`))
      problems.push(`cluster.json replica ${replica.id} host ${replica.host} is not ${stableName}[.<ns>.svc...]`);
    const http = containerPort(replicaContainer, 'http');
    if (http?.containerPort !== replica.httpPort)
      problems.push(`replica ${replica.id}: httpPort ${replica.httpPort} but container port http is ${http?.containerPort}`);
    const udp = replicaContainer?.ports?.filter((p: Doc) => p.protocol === 'UDP') ?? [];
    if (udp.length !== 1 || udp[0].containerPort !== replica.udpPort)
      problems.push(`replica ${replica.id}: udpPort ${replica.udpPort} is not the container's one UDP port`);
    const peer = containerPort(replicaContainer, 'peer');
    if (peer?.containerPort !== peerPortOf(replica) || peer?.protocol !== 'TCP')
      problems.push(`replica ${replica.id}: peerPort ${peerPortOf(replica)} but container port peer is ${peer?.containerPort}`);
    const dataMount = mounts.find((m) => m.mountPath === replica.dataDir);
    if (dataMount === undefined || !claimNames.includes(dataMount.name))
      problems.push(`replica ${replica.id}: dataDir ${replica.dataDir} is not a volumeClaimTemplate mount`);
  });
  const httpPort = config.replicas[0]!.httpPort;
  const probePort = (probe: Doc): number | undefined => containerPort(replicaContainer, probe?.httpGet?.port)?.containerPort;
  if (replicaContainer?.readinessProbe?.httpGet?.path !== '/readyz' || probePort(replicaContainer.readinessProbe) !== httpPort)
    problems.push('replica readinessProbe is not GET /readyz on httpPort');
  if (replicaContainer?.startupProbe?.httpGet?.path !== '/livez' || probePort(replicaContainer.startupProbe) !== httpPort)
    problems.push('replica startupProbe is not GET /livez on httpPort');
  checkClusterKeySecret(sts, problems);
  checkLiveness(nameOf(sts), replicaContainer, httpPort, problems);
  checkScrape(sts, httpPort, problems);
  checkReplicaIdFromOrdinal(sts, config, problems);

  checkSequencers(deployments, services, config, problems);
  checkImages([sts, ...deployments], packageVersion, problems);
  return problems;
}

/** Liveness is /livez: either directly, or through peers.mjs check (which GETs /livez first). */
function checkLiveness(name: string, container: Doc, port: number, problems: string[]): void {
  const probe = container?.livenessProbe;
  const viaHttp = probe?.httpGet?.path === '/livez' && containerPort(container, probe.httpGet.port)?.containerPort === port;
  const command: string[] = probe?.exec?.command ?? [];
  const viaHelper =
    command.includes('deploy/bin/peers.mjs') && command.includes('check') && command[command.indexOf('--path') + 1] === '/livez';
  if (!viaHttp && !viaHelper) problems.push(`${name}: livenessProbe is neither GET /livez nor peers.mjs check --path /livez`);
}

function checkScrape(workload: Doc, port: number, problems: string[]): void {
  const annotations = workload.spec?.template?.metadata?.annotations ?? {};
  if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/port'] !== String(port)) {
    problems.push(`${nameOf(workload)}: prometheus annotations do not point at port ${port}`);
  }
}

/** Runs the container command's id line with each pod name and compares with cluster.json's ids. */
function checkReplicaIdFromOrdinal(sts: Doc, config: ClusterConfig, problems: string[]): void {
  const script: string = sts.spec?.template?.spec?.containers?.[0]?.command?.join('\n') ?? '';
  const idLine = script.split('\n').find((line) => line.trim().startsWith('export MRTOM_REPLICA_ID='));
  if (idLine === undefined || !/exec node bin\/mrtom-kv\.js replica\b/.test(script)) {
    problems.push(`${nameOf(sts)}: command does not export MRTOM_REPLICA_ID and exec the replica`);
    return;
  }
  config.replicas.forEach((replica, ordinal) => {
    const id = execFileSync('/bin/sh', ['-c', `${idLine}; echo "$MRTOM_REPLICA_ID"`], {
      env: { POD_NAME: `${sts.metadata.name}-${ordinal}` },
    })
      .toString()
      .trim();
    if (id !== String(replica.id))
      problems.push(`${nameOf(sts)}: pod ordinal ${ordinal} computes id ${id}, cluster.json says ${replica.id}`);
  });
}

function checkSequencers(deployments: Doc[], services: Doc[], config: ClusterConfig, problems: string[]): void {
  const sequencerDeployments = deployments.filter(
    (d) => envOf(d.spec?.template?.spec?.containers?.[0], 'MRTOM_SEQUENCER_ID') !== undefined,
  );
  if (sequencerDeployments.length !== config.sequencers.length)
    problems.push(`${sequencerDeployments.length} sequencer Deployments for ${config.sequencers.length} sequencers in cluster.json`);
  for (const sequencer of config.sequencers) {
    const deployment = sequencerDeployments.find(
      (d) => envOf(d.spec.template.spec.containers[0], 'MRTOM_SEQUENCER_ID') === String(sequencer.id),
    );
    if (deployment === undefined) {
      problems.push(`no Deployment runs sequencer ${sequencer.id}`);
      continue;
    }
    const name = nameOf(deployment);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    checkWorkloadBasics(deployment, STOP_GRACE_S.sequencer, problems);
    checkClusterKeySecret(deployment, problems);
    if (deployment.spec.replicas !== 1 || deployment.spec.strategy?.type !== 'Recreate')
      problems.push(`${name}: must be 1 replica with strategy Recreate (one pod per DNS name)`);
    const stableName = `${pod.hostname}.${pod.subdomain}`;
    if (sequencer.host !== stableName && !sequencer.host.startsWith(`${stableName}.`))
      problems.push(`cluster.json sequencer ${sequencer.id} host ${sequencer.host} is not ${stableName}[...]`);
    const governing = services.find((s) => s.metadata?.name === pod.subdomain);
    if (
      governing?.spec?.clusterIP !== 'None' ||
      governing?.spec?.publishNotReadyAddresses !== true ||
      !selects(governing.spec.selector, podLabels(deployment))
    ) {
      problems.push(`${name}: subdomain ${pod.subdomain} is not a headless, not-ready-publishing Service selecting it`);
    }
    for (const other of sequencerDeployments) {
      if (other !== deployment && selects(deployment.spec.selector?.matchLabels, podLabels(other)))
        problems.push(`${name}: selector also matches ${nameOf(other)}'s pods`);
    }
    const udp = container.ports?.filter((p: Doc) => p.protocol === 'UDP') ?? [];
    if (udp.length !== 1 || udp[0].containerPort !== sequencer.port)
      problems.push(`sequencer ${sequencer.id}: port ${sequencer.port} is not the container's one UDP port`);
    const metrics = containerPort(container, 'metrics')?.containerPort;
    if (metrics !== sequencer.metricsPort)
      problems.push(`sequencer ${sequencer.id}: metricsPort ${sequencer.metricsPort} but container port metrics is ${metrics}`);
    if (!/exec node bin\/mrtom-kv\.js sequencer\b/.test(container.command?.join('\n') ?? ''))
      problems.push(`${name}: command does not exec the sequencer`);
    checkLiveness(name, container, sequencer.metricsPort ?? -1, problems);
    checkScrape(deployment, sequencer.metricsPort ?? -1, problems);
  }
}

function checkImages(workloads: Doc[], packageVersion: string, problems: string[]): void {
  for (const workload of workloads) {
    for (const c of workload.spec?.template?.spec?.containers ?? []) {
      if (c.image !== `mrtom-kv:${packageVersion}`)
        problems.push(`${nameOf(workload)}: image ${c.image} is not mrtom-kv:${packageVersion}`);
    }
  }
}

/** RFC 6902 add/replace, enough for kustomize patches of the XDP overlay. */
export function applyJsonPatch(target: Doc, ops: Doc[]): Doc {
  const result = structuredClone(target);
  for (const op of ops) {
    if (op.op !== 'add' && op.op !== 'replace') throw new Error(`unsupported patch op ${op.op}`);
    const keys = (op.path as string)
      .split('/')
      .slice(1)
      .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop()!;
    let parent = result;
    for (const key of keys) {
      parent = parent?.[Array.isArray(parent) ? Number(key) : key];
      if (parent === undefined) throw new Error(`patch path ${op.path} does not exist`);
    }
    if (Array.isArray(parent)) {
      if (last === '-') parent.push(op.value);
      else if (op.op === 'add') parent.splice(Number(last), 0, op.value);
      else parent[Number(last)] = op.value;
    } else {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace of missing ${op.path}`);
      parent[last] = op.value;
    }
  }
  return result;
}

/** One patch of an overlay: the objects it targets and its RFC 6902 operations. */
export interface OverlayPatch {
  target: { kind: string; labelSelector: string };
  ops: Doc[];
}

/** What a kustomize overlay does to the base, as far as deploy/k8s-xdp uses it. */
export interface Overlay {
  patches: OverlayPatch[];
  /** The cluster.json that replaces the base ConfigMap's. */
  clusterJson: string;
}

function patchedTargets(baseDocs: Doc[], patch: OverlayPatch, problems: string[]): Doc[] {
  const selector = Object.fromEntries([patch.target.labelSelector.split('=')]);
  const targets = baseDocs.filter((d) => d.kind === patch.target.kind && selects(selector, d.metadata?.labels));
  if (targets.length === 0) problems.push(`XDP overlay: a patch targets no ${patch.target.kind} with ${patch.target.labelSelector}`);
  return targets.flatMap((target) => {
    try {
      return [applyJsonPatch(target, patch.ops)];
    } catch (err) {
      problems.push(`${nameOf(target)}: ${(err as Error).message}`);
      return [];
    }
  });
}

/** Whether a pod may never share a node with pods of `component`. */
function avoidsNodeOf(pod: Doc, component: string): boolean {
  const terms: Doc[] = pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.some(
    (t) => t.topologyKey === 'kubernetes.io/hostname' && t.labelSelector?.matchLabels?.['app.kubernetes.io/component'] === component,
  );
}

/**
 * The XDP overlay applied to the base gives valid Deployments and StatefulSet in which: the sequencers
 * run the XDP plane on a named interface with host networking and the capabilities the agent checks for
 * (src/sequencer/xdp/capabilities.ts), the replicas
 * have host networking (to join the group on the node's NIC), no two of them share a node, and the
 * cluster.json names a multicast group with a datagram limit that fits one 1500-byte frame.
 */
export function xdpOverlayProblems(baseDocs: Doc[], overlay: Overlay): string[] {
  const problems: string[] = [];
  const patched = overlay.patches.flatMap((patch) => patchedTargets(baseDocs, patch, problems));
  problems.push(...kubeSchemaProblems(patched));
  const sequencers = patched.filter((d) => d.kind === 'Deployment' && envOf(d.spec.template.spec.containers[0], 'MRTOM_SEQUENCER_ID'));
  const replicas = patched.filter((d) => d.kind === 'StatefulSet');
  if (sequencers.length === 0) problems.push('XDP overlay: no sequencer Deployment patched');
  if (replicas.length === 0) problems.push('XDP overlay: the replicas are not patched onto the host network');
  for (const workload of [...sequencers, ...replicas]) {
    const pod = workload.spec.template.spec;
    if (pod.hostNetwork !== true || pod.dnsPolicy !== 'ClusterFirstWithHostNet')
      problems.push(`${nameOf(workload)}: XDP needs hostNetwork with dnsPolicy ClusterFirstWithHostNet`);
    for (const component of ['sequencer', 'replica'])
      if (!avoidsNodeOf(pod, component)) problems.push(`${nameOf(workload)}: may share a node with a ${component}`);
  }
  for (const sequencer of sequencers) {
    const container = sequencer.spec.template.spec.containers[0];
    const caps: string[] = container.securityContext?.capabilities?.add ?? [];
    const lacking = Object.keys(XDP_CAPABILITIES).filter((c) => !caps.includes(c));
    if (lacking.length > 0) problems.push(`${nameOf(sequencer)}: XDP needs ${lacking.map((c) => `CAP_${c}`).join(', ')}`);
    if (envOf(container, 'MRTOM_DATAPLANE') !== 'xdp') problems.push(`${nameOf(sequencer)}: MRTOM_DATAPLANE is not xdp`);
    if (!envOf(container, 'MRTOM_XDP_INTERFACE')) problems.push(`${nameOf(sequencer)}: no MRTOM_XDP_INTERFACE`);
  }
  try {
    const config = validateClusterConfig(JSON.parse(overlay.clusterJson), 'deploy/k8s-xdp/cluster.json');
    if (config.multicast === undefined) problems.push('deploy/k8s-xdp/cluster.json: the XDP plane needs a multicast group');
    if (config.datagramBytesMax > 1472) problems.push('deploy/k8s-xdp/cluster.json: datagramBytesMax does not fit one 1500-byte frame');
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inSubnet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4ToInt(address) / size) === Math.floor(ipv4ToInt(base ?? '') / size);
}

/** compose.yaml against the cluster.json it mounts (`readConfig` reads a path relative to compose's folder). */
export function composeProblems(compose: Doc, readConfig: (relativePath: string) => string | undefined): string[] {
  const problems: string[] = [];
  const services: Record<string, Doc> = compose.services ?? {};
  const networks = Object.entries(compose.networks ?? {});
  const subnet: string | undefined = (networks[0]?.[1] as Doc)?.ipam?.config?.[0]?.subnet;
  const role = (s: Doc): 'replica' | 'sequencer' | undefined =>
    s.environment?.MRTOM_REPLICA_ID !== undefined ? 'replica' : s.environment?.MRTOM_SEQUENCER_ID !== undefined ? 'sequencer' : undefined;
  let configText: string | undefined;
  const addresses = new Map<string, string>();
  const dataVolumes = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    const kind = role(service);
    if (kind === undefined) {
      problems.push(`${name}: sets neither MRTOM_REPLICA_ID nor MRTOM_SEQUENCER_ID`);
      continue;
    }
    const configPath: string | undefined = service.environment?.MRTOM_CONFIG;
    const bind = (service.volumes ?? []).map((v: string) => v.split(':')).find((parts: string[]) => parts[1] === configPath);
    const text = bind === undefined ? undefined : readConfig(bind[0]);
    if (text === undefined) problems.push(`${name}: MRTOM_CONFIG ${configPath} is not a bind-mounted file`);
    else if (configText === undefined) configText = text;
    else if (text !== configText) problems.push(`${name}: mounts a different cluster.json`);
    if (service.healthcheck?.test === undefined) problems.push(`${name}: no healthcheck`);
    if (service.restart === undefined) problems.push(`${name}: no restart policy`);
    if (!new RegExp(`exec node bin/mrtom-kv\\.js ${kind}\\b`).test([service.command ?? []].flat().join('\n')))
      problems.push(`${name}: command does not exec the ${kind}`);
    const network = Object.values(service.networks ?? {})[0] as Doc;
    const address: string | undefined = network?.ipv4_address;
    if (address === undefined || subnet === undefined || !inSubnet(address, subnet))
      problems.push(`${name}: no fixed ipv4_address inside the network's subnet ${subnet}`);
    else if (addresses.has(address)) problems.push(`${name}: ipv4_address ${address} also used by ${addresses.get(address)}`);
    else addresses.set(address, name);
  }
  const { config, problems: configProblems } = parseConfig(configText, 'compose cluster.json');
  problems.push(...configProblems);
  if (config === undefined) return problems;
  for (const replica of config.replicas) {
    const entry = Object.entries(services).find(([, s]) => s.environment?.MRTOM_REPLICA_ID === String(replica.id));
    if (entry === undefined) {
      problems.push(`no service runs replica ${replica.id}`);
      continue;
    }
    const [name, service] = entry;
    if (replica.host !== name && replica.host !== service.hostname)
      problems.push(`replica ${replica.id} host ${replica.host} is not its service name ${name}`);
    const data = (service.volumes ?? []).map((v: string) => v.split(':')).find((parts: string[]) => parts[1] === replica.dataDir);
    if (data === undefined || !(data[0] in (compose.volumes ?? {})))
      problems.push(`${name}: dataDir ${replica.dataDir} is not a named volume`);
    else if (dataVolumes.has(data[0])) problems.push(`${name}: data volume ${data[0]} is shared with ${dataVolumes.get(data[0])}`);
    else dataVolumes.set(data[0], name);
    checkComposeClusterKey(compose, name, service, problems);
    const published = (service.ports ?? []).map((p: string) => Number(p.split(':').at(-1)));
    if (!published.includes(replica.httpPort)) problems.push(`${name}: httpPort ${replica.httpPort} is not published`);
  }
  for (const sequencer of config.sequencers) {
    const entry = Object.entries(services).find(([, s]) => s.environment?.MRTOM_SEQUENCER_ID === String(sequencer.id));
    if (entry === undefined) problems.push(`no service runs sequencer ${sequencer.id}`);
    else if (sequencer.host !== entry[0] && sequencer.host !== entry[1].hostname)
      problems.push(`sequencer ${sequencer.id} host ${sequencer.host} is not its service name ${entry[0]}`);
    else checkComposeClusterKey(compose, entry[0], entry[1], problems);
  }
  return problems;
}

/** A compose service reads the cluster key from a secret it declares (replicas and sequencers alike). */
function checkComposeClusterKey(compose: Doc, name: string, service: Doc, problems: string[]): void {
  const keyFile: string | undefined = service.environment?.MRTOM_CLUSTER_KEY_FILE;
  const keySecret = keyFile?.startsWith('/run/secrets/') ? keyFile.slice('/run/secrets/'.length) : undefined;
  if (keySecret === undefined || !(service.secrets ?? []).includes(keySecret) || compose.secrets?.[keySecret] === undefined)
    problems.push(`${name}: MRTOM_CLUSTER_KEY_FILE ${keyFile} is not a declared secret of the service`);
}

export type Unit = Map<string, Array<[string, string]>>;

export function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Array<[string, string]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = [];
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 0) throw new Error(`not a unit line: ${line}`);
    section.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return unit;
}

const valuesOf = (unit: Unit, section: string, key: string): string[] =>
  (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);

/** A template unit for `role`, and (for replicas) its StateDirectory against the example cluster.json. */
export function systemdProblems(role: 'replica' | 'sequencer', unit: Unit, exampleConfig: ClusterConfig): string[] {
  const problems: string[] = [];
  const required: Array<[string, string, string | RegExp]> = [
    ['Unit', 'Description', /\S/],
    ['Unit', 'After', /network-online\.target/],
    ['Service', 'ExecStart', new RegExp(`bin/mrtom-kv\\.js ${role} --id %i$`)],
    ['Service', 'User', /\S/],
    ['Service', 'EnvironmentFile', /\S/],
    ['Service', 'Restart', 'on-failure'],
    ['Service', 'NoNewPrivileges', 'yes'],
    ['Service', 'ProtectSystem', 'strict'],
    ['Service', 'ProtectHome', 'yes'],
    ['Service', 'PrivateTmp', 'yes'],
    ['Install', 'WantedBy', 'multi-user.target'],
  ];
  for (const [section, key, expected] of required) {
    const values = valuesOf(unit, section, key);
    const ok = values.some((v) => (typeof expected === 'string' ? v === expected : expected.test(v)));
    if (!ok) problems.push(`${role} unit: [${section}] ${key} missing or not ${expected}`);
  }
  if (valuesOf(unit, 'Service', 'MemoryDenyWriteExecute').includes('yes'))
    problems.push(`${role} unit: MemoryDenyWriteExecute=yes breaks V8's JIT`);
  const stopS = Number.parseInt(valuesOf(unit, 'Service', 'TimeoutStopSec')[0] ?? '90', 10);
  if (!(stopS > STOP_GRACE_S[role]))
    problems.push(`${role} unit: TimeoutStopSec ${stopS}s must exceed the ${STOP_GRACE_S[role]} s stop grace`);
  if (role === 'replica') {
    const stateDirectory = valuesOf(unit, 'Service', 'StateDirectory')[0];
    if (stateDirectory === undefined) problems.push('replica unit: no StateDirectory');
    const dataDirs = new Set<string>();
    for (const replica of exampleConfig.replicas) {
      const expected = `/var/lib/${stateDirectory?.replaceAll('%i', String(replica.id))}`;
      if (replica.dataDir !== expected)
        problems.push(
          `example cluster.json replica ${replica.id}: dataDir ${replica.dataDir} is not the unit's StateDirectory ${expected}`,
        );
      if (dataDirs.has(replica.dataDir)) problems.push(`example cluster.json: dataDir ${replica.dataDir} is shared`);
      dataDirs.add(replica.dataDir);
    }
  }
  return problems;
}

/**
 * The image must start from compiled code with production dependencies only: a build stage runs
 * `npm run build`, the final stage installs with `npm ci --omit=dev` and copies dist/ from the build
 * stage, every stage is node:20-bookworm-slim, and the image ends as a non-root user.
 */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const froms = lines.filter((l) => l.startsWith('FROM '));
  if (froms.length < 2) problems.push('Dockerfile: not a two-stage build');
  if (!froms.every((l) => /^FROM node:20-bookworm-slim(\s|$)/.test(l))) problems.push('Dockerfile: a stage is not node:20-bookworm-slim');
  const finalStage = lines.slice(lines.lastIndexOf(froms.at(-1) ?? ''));
  const buildStages = lines.slice(0, lines.length - finalStage.length);
  if (!buildStages.some((l) => /^RUN .*\bnpm run build\b/.test(l))) problems.push('Dockerfile: no build stage runs npm run build');
  const ci = finalStage.find((l) => /^RUN .*\bnpm ci\b/.test(l));
  if (ci === undefined) problems.push('Dockerfile: the final stage runs no npm ci');
  else if (!/--omit[= ]dev/.test(ci) || /--include[= ]dev/.test(ci)) problems.push('Dockerfile: the final stage installs devDependencies');
  if (!finalStage.some((l) => /^COPY --from=\S+ \S*\/dist \.\/dist$/.test(l)))
    problems.push('Dockerfile: the final stage does not copy dist/ from the build');
  const user = finalStage.filter((l) => l.startsWith('USER ')).at(-1);
  if (user === undefined || /^USER (root|0)(:|$)/.test(user)) problems.push('Dockerfile: does not end as a non-root USER');
  if (!finalStage.some((l) => /^ENTRYPOINT .*bin\/mrtom-kv\.js/.test(l)))
    problems.push('Dockerfile: ENTRYPOINT does not run bin/mrtom-kv.js');
  return problems;
}
