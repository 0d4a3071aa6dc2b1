// Half 2 of the simulator's seed sweep (sweep.ts): thousands of seeded runs of the production replica
// process, sequencer host and store under faults, each checked for safety, liveness and linearizability.
import { describe } from 'vitest';
import { sweepPart } from './sweep.js';

describe('simulator sweep', () => sweepPart(1, 2));
