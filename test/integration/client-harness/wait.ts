// Waits for a condition with a bounded deadline, polling it (tests never sleep and hope).
const POLL_MS = 20;

export async function waitFor(what: string, condition: () => boolean, deadlineMs: number): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() >= giveUpAt) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
