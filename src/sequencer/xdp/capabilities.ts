// The capabilities the XDP agent needs, checked before it loads anything so that a missing one is named
// instead of surfacing as a verifier refusal. CAP_BPF loads programs and maps, CAP_NET_ADMIN attaches to
// an interface, and CAP_PERFMON lets the verifier accept the program's packet-pointer arithmetic with a
// variable offset, which it refuses without it as a Spectre v1 precaution. CAP_SYS_ADMIN covers all three
// (and is what kernels before 5.8 need). Bit numbers from linux/capability.h.
export const XDP_CAPABILITIES = { NET_ADMIN: 12, PERFMON: 38, BPF: 39 } as const;
export type XdpCapability = keyof typeof XDP_CAPABILITIES;
const CAP_SYS_ADMIN = 21;

/** The capabilities in XDP_CAPABILITIES that the effective set of a /proc/<pid>/status text lacks. */
export function missingXdpCapabilities(procStatus: string): XdpCapability[] {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(procStatus)?.[1];
  if (hex === undefined) throw new Error('no CapEff line in /proc/self/status');
  const effective = BigInt(`0x${hex}`);
  const has = (bit: number): boolean => ((effective >> BigInt(bit)) & 1n ? true : false);
  if (has(CAP_SYS_ADMIN)) return [];
  return (Object.keys(XDP_CAPABILITIES) as XdpCapability[]).filter((name) => !has(XDP_CAPABILITIES[name]));
}
