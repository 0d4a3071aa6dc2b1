// The runner's side of the load generators: starts n generator processes for one measured run,
// splits the connections between them, warms them up together, starts their measured phases
// together and collects their results.
import { describeExit, pidOf, startChild, stopChild, type Child } from './child.js';
import type { FromGenerator, GeneratorResult, GeneratorSpec, ToGenerator } from './loadgen-protocol.js';
import { compiledBenchScript, repoDir } from './paths.js';

// Beyond the phase itself: process start, module loading, the last requests' timeouts (10 s).
const phaseSlackMs = 30_000;

export interface Generators {
  pids: number[];
  // Resolves once every generator has finished its warm-up.
  warm(): Promise<void>;
  // Starts every measured phase; resolves with each generator's result.
  measure(): Promise<GeneratorResult[]>;
  stop(): Promise<void>;
}

type Mailbox = (expected: FromGenerator['kind'], timeoutMs: number) => Promise<FromGenerator>;

function mailboxOf(child: Child): Mailbox {
  const queue: FromGenerator[] = [];
  let wake: (() => void) | undefined;
  child.process.on('message', (message) => {
    queue.push(message as FromGenerator);
    wake?.();
  });
  void child.exited.then(() => wake?.());
  return async (expected, timeoutMs) => {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      const message = queue.shift();
      if (message?.kind === 'failed') throw new Error(`${child.name} failed: ${message.message}`);
      if (message !== undefined && message.kind !== expected) throw new Error(`${child.name} sent ${message.kind}, expected ${expected}`);
      if (message !== undefined) return message;
      if (child.process.exitCode !== null || child.process.signalCode !== null) {
        throw new Error(`${child.name} ${describeExit(await child.exited)} before ${expected}: ${child.logTail().trim()}`);
      }
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) throw new Error(`${child.name} sent no ${expected} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
}

function send(child: Child, message: ToGenerator): void {
  child.process.send(message);
}

// Connections split as evenly as possible, each generator getting at least one.
export function splitConnections(connections: number, generatorCount: number): number[] {
  return Array.from(
    { length: generatorCount },
    (_, index) => Math.floor(connections / generatorCount) + (index < connections % generatorCount ? 1 : 0),
  );
}

// Load that is not measured: one generator's warm-up phase, then it is stopped.
export async function warmUp(spec: GeneratorSpec): Promise<void> {
  const generators = await startGenerators(spec, 1);
  try {
    await generators.warm();
  } finally {
    await generators.stop();
  }
}

export async function startGenerators(spec: GeneratorSpec, generatorCount: number): Promise<Generators> {
  const shares = splitConnections(spec.connections, generatorCount);
  const children = shares.map((_, index) =>
    startChild(`load generator ${index + 1}`, process.execPath, [compiledBenchScript('loadgen')], repoDir, { ipc: true }),
  );
  const mailboxes = children.map(mailboxOf);
  const stop = async (): Promise<void> => {
    for (const child of children) if (child.process.connected) child.process.disconnect();
    await Promise.all(children.map(stopChild));
  };
  try {
    await Promise.all(mailboxes.map((receive) => receive('ready', phaseSlackMs)));
    children.forEach((child, index) =>
      send(child, { kind: 'spec', spec: { ...spec, connections: shares[index]!, keyPrefix: `${spec.keyPrefix}/g${index + 1}` } }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pids: children.map(pidOf),
    async warm() {
      await Promise.all(mailboxes.map((receive) => receive('warm', spec.warmupS * 1000 + phaseSlackMs)));
    },
    async measure() {
      for (const child of children) send(child, { kind: 'measure' });
      const messages = await Promise.all(mailboxes.map((receive) => receive('result', spec.durationS * 1000 + phaseSlackMs)));
      return messages.map((message) => (message as Extract<FromGenerator, { kind: 'result' }>).result);
    },
    stop,
  };
}
