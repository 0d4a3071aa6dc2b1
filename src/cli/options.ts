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

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info').env('MRTOM_LOG_LEVEL');
}
