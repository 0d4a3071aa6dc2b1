/** Compile-time exhaustiveness: a new input kind that a switch forgets fails to type-check here. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
