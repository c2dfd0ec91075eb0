/**
 * A real OpenSSH server standing in for a unit on the debug port: a local account `factory-unit`
 * (key and password login, /bin/sh) whose commands run for real on this machine. Needs root.
 */
import { OPENSSH_PEER, type OpenSshd, startOpenSshd } from "@factory/core/testing";

export const UNIT_USER = "factory-unit";
export const UNIT_PASSWORD = "unit-debug-Pw-9";
export const SSHD_PEER = OPENSSH_PEER;

export const isRoot = () => process.getuid?.() === 0;

export type UnitSshd = OpenSshd & { clientKey: string; clientKeyFile: string };

export async function startUnitSshd(): Promise<UnitSshd> {
  const sshd = await startOpenSshd({
    user: UNIT_USER,
    password: UNIT_PASSWORD,
    home: "/tmp",
    clientKey: true,
  });
  return sshd as UnitSshd;
}
