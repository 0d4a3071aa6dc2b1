// Tells subscribers (watch streams) that this replica applied a batch, so they read the new history
// from the store; the signal carries no data, so a slow subscriber never holds events in memory here.
export class AppliedSignal {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}
