// The write-ahead log's files on a real disk: one folder, segment files created zero-filled at full size
// and made durable (data and directory entry) before use, written with positioned writes. With `sync`, a
// file is opened O_DSYNC, so a write is durable when it completes — one libuv thread-pool hop per group,
// the cheapest durable write measured here (docs/performance.md).
import { constants, write as writeCallback } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalFile, WalFolder } from './files.js';

/** Zero-filling writes this much at a time. */
const ZERO_CHUNK_BYTES = 1024 * 1024;

export function nodeWalFolder(dir: string, sync: boolean): WalFolder {
  const path = (name: string): string => join(dir, name);
  return {
    async list() {
      await mkdir(dir, { recursive: true });
      return readdir(dir);
    },
    async read(name) {
      return new Uint8Array(await readFile(path(name)));
    },
    async create(name, bytes) {
      const file = await open(path(name), 'wx');
      try {
        const zeros = Buffer.alloc(Math.min(ZERO_CHUNK_BYTES, bytes));
        for (let at = 0; at < bytes; at += zeros.length) await file.write(zeros, 0, Math.min(zeros.length, bytes - at), at);
        await file.datasync();
      } finally {
        await file.close();
      }
      const folder = await open(dir, 'r');
      try {
        await folder.sync(); // The new name survives a crash too.
      } finally {
        await folder.close();
      }
    },
    async open(name) {
      const file = await open(path(name), constants.O_WRONLY | (sync ? constants.O_DSYNC : 0));
      const { fd } = file;
      const walFile: WalFile = {
        // The callback form: one thread-pool hop, no promise machinery on the hot path.
        write: (offset, data) =>
          new Promise((resolve, reject) => writeCallback(fd, data, 0, data.byteLength, offset, (err) => (err ? reject(err) : resolve()))),
        close: () => file.close(),
      };
      return walFile;
    },
    async remove(name) {
      await rm(path(name), { force: true });
    },
  };
}
