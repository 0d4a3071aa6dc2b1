// Parsers for command-line flags shared by the runner and the baseline server. A bad flag fails
// before any process is started, naming the flag's allowed range.
import { InvalidArgumentError } from 'commander';

export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
}

export function listOf<T>(parseItem: (text: string) => T, itemsMax: number): (text: string) => T[] {
  return (text) => {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    if (items.length === 0 || items.length > itemsMax) {
      throw new InvalidArgumentError(`expected 1 to ${itemsMax} comma-separated items, got "${text}"`);
    }
    return items.map(parseItem);
  };
}

export function oneOf<T extends string>(allowed: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(allowed as readonly string[]).includes(text)) throw new InvalidArgumentError(`"${text}" is not one of ${allowed.join(', ')}`);
    return text as T;
  };
}
