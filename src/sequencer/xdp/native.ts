// The native addon (addon.c) as the agent sees it: libbpf's object loading, XDP attach as a bpf_link, and
// map reads and writes. Built by `npm run build:xdp` next to the BPF object (src/sequencer/xdp/build.sh).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where build.sh puts the BPF object and the addon; the same from src/ (tsx) and from dist/. */
export const XDP_BUILD_DIR = fileURLToPath(new URL('../../../dist/xdp/', import.meta.url));
export const BPF_OBJECT_PATH = `${XDP_BUILD_DIR}sequencer.bpf.o`;
const ADDON_PATH = `${XDP_BUILD_DIR}mrtom_bpf.node`;

/** An opened, loaded BPF object (opaque to JS). */
export type BpfObject = { readonly __brand: 'BpfObject' };

export interface BpfAddon {
  /** Opens and loads the object, the maps named in `mapEntries` sized to that many entries. Throws with
   *  libbpf's messages, the verifier's log among them, when the kernel refuses a program. */
  open(path: string, mapEntries: Record<string, number>): BpfObject;
  close(object: BpfObject): void;
  mapFd(object: BpfObject, name: string): number;
  /** Returns the bpf_link's fd; closing it detaches the program (so does the process's exit). */
  attach(object: BpfObject, program: string, ifindex: number, native: boolean): number;
  closeFd(fd: number): void;
  /** False when the key is absent. */
  lookup(fd: number, key: Buffer, value: Buffer, flags: number): boolean;
  update(fd: number, key: Buffer, value: Buffer, flags: number): boolean;
  possibleCpus(): number;
}

/** bpf(2) map flags (include/uapi/linux/bpf.h). */
export const BPF_ANY = 0;
export const BPF_F_LOCK = 4;

export function loadBpfAddon(): BpfAddon {
  for (const path of [ADDON_PATH, BPF_OBJECT_PATH]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:xdp\` (needs clang and libbpf-dev)`);
  }
  return createRequire(import.meta.url)(ADDON_PATH) as BpfAddon;
}
