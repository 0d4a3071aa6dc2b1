// The faults a schedule can hold, as data: what happens, to whom, from when and for how long. Targets
// name roles ("the leader") that the nemesis resolves when the fault starts. Every fault has an end that
// undoes it (the heal): links calm down, partitions lift, killed processes restart, paused ones resume.
import type { LinkConditions } from './netfilter.js';
import type { MemberName } from './topology.js';

export type Target = 'leader' | 'follower' | 'serving-sequencer' | 'standby-sequencer' | MemberName;

export type Fault =
  /** netem's conditions on every member's link. */
  | { kind: 'link'; link: LinkConditions }
  /** No traffic between the target and any other member, either way; clients still reach it. */
  | { kind: 'isolate'; target: Target }
  /** outbound: nobody hears the target, it hears everyone; inbound: the reverse. */
  | { kind: 'one-way'; target: Target; direction: 'outbound' | 'inbound' }
  /** kill -9 of every target at once; the heal restarts them. */
  | { kind: 'kill'; targets: Target[] }
  /** SIGSTOP; the heal sends SIGCONT (a zombie that wakes up and finds the world moved on). */
  | { kind: 'pause'; target: Target };

export interface ScheduledFault {
  /** From the start of the workload. */
  atMs: number;
  durationMs: number;
  fault: Fault;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

export function describeLink(link: LinkConditions): string {
  const parts: string[] = [];
  if (link.lossRate > 0) parts.push(`loss ${percent(link.lossRate)}`);
  if (link.delayMs > 0 || link.jitterMs > 0) parts.push(`delay ${link.delayMs}ms ±${link.jitterMs}ms`);
  if (link.reorderRate > 0) parts.push(`reorder ${percent(link.reorderRate)}`);
  if (link.duplicateRate > 0) parts.push(`duplicate ${percent(link.duplicateRate)}`);
  return parts.length === 0 ? 'calm' : parts.join(', ');
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'link':
      return `link ${describeLink(fault.link)}`;
    case 'isolate':
      return `isolate ${fault.target}`;
    case 'one-way':
      return `one-way ${fault.direction} ${fault.target}`;
    case 'kill':
      return `kill -9 ${fault.targets.join(' + ')}`;
    case 'pause':
      return `pause ${fault.target}`;
  }
}
