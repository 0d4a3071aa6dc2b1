// What the agent needs to know about the interface it attaches to, from sysfs (no extra tools).
import { readFile } from 'node:fs/promises';

export interface NetworkInterface {
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
}

export async function readInterface(name: string): Promise<NetworkInterface> {
  const read = (file: string): Promise<string> =>
    readFile(`/sys/class/net/${name}/${file}`, 'utf8').then(
      (text) => text.trim(),
      () => {
        throw new Error(`no network interface named ${name}`);
      },
    );
  const [ifindex, mac, mtu] = await Promise.all([read('ifindex'), read('address'), read('mtu')]);
  return { name, ifindex: Number(ifindex), mac, mtu: Number(mtu) };
}
