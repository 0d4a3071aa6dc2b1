// The processes of the conformance suite, each in its host's namespace: replica probes (probe.ts) reached
// over IPC, and the sequencer under test (the CLI's `sequencer` verb, either data plane). Output is kept
// (bounded) so a failing test can show it; stop() ends them with SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeDatagram, type Datagram } from '../../../src/mrtom/messages.js';
import { waitFor } from '../../integration/harness/wait.js';
import type { ProbeCommand, ProbeEvent } from './probe.js';
import { inNamespace, type Host } from './topology.js';

const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const START_DEADLINE_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LINES_MAX = 400;
/** How long a test waits for datagrams it expects. */
export const RECEIVE_DEADLINE_MS = 5_000;

function keepOutput(child: ChildProcess, lines: string[]): void {
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_MAX));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Received {
  via: 'unicast' | 'multicast';
  from: string;
  /** null when the bytes are not an MRTOM datagram. */
  datagram: Datagram | null;
}

export class Probe {
  readonly received: Received[] = [];
  readonly output: string[] = [];

  private constructor(
    readonly host: Host,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    keepOutput(child, this.output);
  }

  static async start(host: Host, port: number, group?: { address: string; port: number }): Promise<Probe> {
    const args = [PROBE, host.ip, String(port), ...(group === undefined ? [] : [group.address, String(group.port)])];
    const child = spawn('ip', inNamespace(host, [process.execPath, '--import', 'tsx', ...args]), {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const probe = new Probe(host, port, child);
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`probe in ${host.ns} exited (${code}): ${probe.output.join('\n')}`)));
      child.on('message', (event: ProbeEvent) => {
        if ('ready' in event) resolve();
        else {
          const bytes = Buffer.from(event.datagram.bytes, 'base64');
          let datagram: Datagram | null = null;
          try {
            datagram = decodeDatagram(bytes);
          } catch {
            // Not an MRTOM datagram: kept as such, so a test can say it arrived.
          }
          probe.received.push({ via: event.datagram.via, from: event.datagram.from, datagram });
        }
      });
    });
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`probe in ${host.ns} not ready in ${START_DEADLINE_MS} ms`)), START_DEADLINE_MS).unref(),
    );
    await Promise.race([ready, deadline]);
    return probe;
  }

  send(to: { host: string; port: number }, bytes: Uint8Array): void {
    this.child.send({ send: { ...to, bytes: Buffer.from(bytes).toString('base64') } } satisfies ProbeCommand);
  }

  /** Waits until `pick` finds something in what was received so far. */
  waitFor<T>(what: string, pick: (received: readonly Received[]) => T | undefined): Promise<T> {
    return waitFor(`${this.host.name}: ${what}`, async () => pick(this.received), RECEIVE_DEADLINE_MS);
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ stop: true } satisfies ProbeCommand);
    await stopChild(this.child);
  }
}

/** A server verb of the CLI (`sequencer` or `replica`) in a namespace, with the HTTP side it serves. */
export class MrtomProcess {
  readonly output: string[] = [];
  private readonly exited: Promise<number | null>;

  /** `runAs`: a command the process runs under (e.g. setpriv with fewer privileges than root). */
  static sequencer(
    host: Host,
    configPath: string,
    dataPlane: readonly string[],
    metricsUrl: string,
    runAs: readonly string[] = [],
  ): MrtomProcess {
    return new MrtomProcess(host, ['sequencer', '--config', configPath, ...dataPlane], metricsUrl, runAs);
  }

  static replica(host: Host, configPath: string, id: number, httpUrl: string): MrtomProcess {
    return new MrtomProcess(host, ['replica', '--config', configPath, '--id', String(id)], httpUrl, []);
  }

  private constructor(
    host: Host,
    verb: readonly string[],
    private readonly metricsUrl: string,
    runAs: readonly string[],
  ) {
    const args = [...runAs, process.execPath, '--import', 'tsx', MAIN, ...verb, '--log-level', 'info'];
    this.child = spawn('ip', inNamespace(host, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    keepOutput(this.child, this.output);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  private readonly child: ChildProcess;

  /** Resolves once /livez answers; rejects with the output if the process exits first. */
  async ready(): Promise<void> {
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    await waitFor(
      'the process to serve /livez',
      async () => {
        if (exitCode !== undefined) throw new Error(`the process exited (${exitCode}):\n${this.output.join('\n')}`);
        return fetch(`${this.metricsUrl}/livez`).then(
          (res) => (res.ok ? true : undefined),
          () => undefined,
        );
      },
      START_DEADLINE_MS,
    );
  }

  /** The value of every sample of `metric`, keyed by its label set as printed ('' for none). */
  async metric(metric: string): Promise<Map<string, number>> {
    const text = await (await fetch(`${this.metricsUrl}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`).exec(line);
      if (match) out.set(match[1] ?? '', Number(match[2]));
    }
    return out;
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Exits with the process's exit code (its output is kept). */
  exit(): Promise<number | null> {
    return this.exited;
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
  }
}
