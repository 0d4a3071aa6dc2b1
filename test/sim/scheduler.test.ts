// The scheduler defines the order of everything in a run: events run by time, ties by scheduling order,
// and the clock never moves backwards or past the limit it was given.
import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('runs events in time order, and events due at the same time in the order they were scheduled', async () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    scheduler.after(5, () => ran.push('b@5'));
    scheduler.after(1, () => ran.push('a@1'));
    scheduler.after(5, () => ran.push('c@5'));
    scheduler.after(3, () => {
      ran.push('d@3');
      scheduler.after(0, () => ran.push('e@3 (scheduled during d)'));
      scheduler.after(2, () => ran.push('f@5 (after b and c)'));
    });
    await scheduler.runUntil(100);
    expect(ran).toEqual(['a@1', 'd@3', 'e@3 (scheduled during d)', 'b@5', 'c@5', 'f@5 (after b and c)']);
  });

  it('stops at the time limit, leaves later events pending, and moves the clock to the limit', async () => {
    const scheduler = new Scheduler();
    const times: number[] = [];
    for (const delay of [10, 20, 30]) scheduler.after(delay, () => times.push(scheduler.nowMs));
    expect(await scheduler.runUntil(25)).toBe(2);
    expect(times).toEqual([10, 20]);
    expect(scheduler.nowMs).toBe(25);
    expect(scheduler.pendingCount).toBe(1);
    await scheduler.runUntil(30);
    expect(times).toEqual([10, 20, 30]);
  });

  it('stops as soon as the stop condition holds after an event', async () => {
    const scheduler = new Scheduler();
    let count = 0;
    for (let i = 1; i <= 10; i += 1) scheduler.after(i, () => (count += 1));
    await scheduler.runUntil(100, () => count === 4);
    expect(count).toBe(4);
    expect(scheduler.nowMs).toBe(4);
  });

  it('keeps order across many interleaved events (heap property)', async () => {
    const scheduler = new Scheduler();
    const times: number[] = [];
    for (let i = 0; i < 500; i += 1) scheduler.after((i * 7919) % 101, () => times.push(scheduler.nowMs));
    await scheduler.runUntil(1000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toHaveLength(500);
  });

  it('refuses negative and non-finite delays', async () => {
    const scheduler = new Scheduler();
    expect(() => scheduler.after(-1, () => {})).toThrow(RangeError);
    expect(() => scheduler.after(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => scheduler.after(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
  });
});
