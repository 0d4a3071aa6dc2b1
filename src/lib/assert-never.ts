/** Compile-time exhaustiveness: a switch that forgets a new case fails to type-check where it calls this. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
