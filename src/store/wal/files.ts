// The files a write-ahead log lives in, as a port: production's are node:fs files in a folder
// (node-files.ts); the simulator's are a simulated disk's (test/sim/sim-disk.ts) that tears and loses
// writes the way a crashed machine does. Segment files are created at their full size, zero-filled, so a
// write never grows a file (and a synced write needs no metadata update).

export interface WalFile {
  /** Writes `bytes` at `offset`; resolves once they are as durable as the folder was opened to make them. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface WalFolder {
  /** Names of the files in the folder, in no particular order. */
  list(): Promise<string[]>;
  /** A file's whole content. */
  read(name: string): Promise<Uint8Array>;
  /** Creates a zero-filled file of `bytes` and makes it (and its name) durable before resolving. */
  create(name: string, bytes: number): Promise<void>;
  /** Opens an existing file for writing. */
  open(name: string): Promise<WalFile>;
  remove(name: string): Promise<void>;
}
