// Option parsers shared by the CLI verbs: each one turns a flag or env value into a typed value or an
// error message that names the flag.
import { InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS } from '../runtime/logger.js';

export function parseIntegerIn(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

/** For flags with a fixed set of numbers: commander's `.choices()` does not apply once `.argParser()` is set. */
export function parseIntegerOneOf(allowed: readonly number[]): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!allowed.includes(value)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}, got "${raw}"`);
    return value;
  };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration flag (`500ms`, `10s`, `5m`, `2h`) in whole milliseconds, at least 1. */
export function parseDurationMs(raw: string): number {
  const match = DURATION.exec(raw.trim());
  const ms = match === null ? Number.NaN : Math.round(Number(match[1]) * DURATION_UNIT_MS[match[2]!]!);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError(`expected a duration such as 500ms, 10s, 5m or 2h, got "${raw}"`);
  return ms;
}

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info').env('MRTOM_LOG_LEVEL');
}

/** `--consistency linearizable|stale` of the reading verbs (linearizable by default, as the API). */
export function consistencyOption(description = 'linearizable or stale'): Option {
  return new Option('--consistency <mode>', description).choices(['linearizable', 'stale']).default('linearizable');
}
