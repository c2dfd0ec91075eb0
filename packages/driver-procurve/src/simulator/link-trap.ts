import { parseOid, Tag } from "./ber";
import { encodeMessage, encodeV1Trap, encodeVarBind, type VarBind } from "./message";

/** Where the simulator sends its traps. */
export interface TrapTarget {
  host: string;
  port: number;
  /** Trap community (defaults to the simulator's community). A secret: never logged. */
  community?: string;
  /** `2c` (default) sends SNMPv2-Trap PDUs, `1` the SNMPv1 Trap-PDU a ProCurve sends by default. */
  version?: "1" | "2c";
}

const SYS_UPTIME = parseOid("1.3.6.1.2.1.1.3.0");
const SNMP_TRAP_OID = parseOid("1.3.6.1.6.3.1.1.4.1.0");
const LINK_DOWN = parseOid("1.3.6.1.6.3.1.1.5.3");
const LINK_UP = parseOid("1.3.6.1.6.3.1.1.5.4");
const IF_INDEX = parseOid("1.3.6.1.2.1.2.2.1.1");
const IF_ADMIN = parseOid("1.3.6.1.2.1.2.2.1.7");
const IF_OPER = parseOid("1.3.6.1.2.1.2.2.1.8");

export interface LinkTrapInput {
  up: boolean;
  ifIndex: number;
  /** sysUpTime, centiseconds. */
  upTime: number;
  community: string;
  /** For the v1 form: the agent's sysObjectID and IPv4 address. */
  enterprise: string;
  agentAddress: string;
}

/**
 * A linkUp / linkDown notification as IF-MIB defines it (RFC 2863): sysUpTime.0, snmpTrapOID.0,
 * then ifIndex.n, ifAdminStatus.n, ifOperStatus.n. The v1 form carries generic-trap 3 / 2 with
 * the same three objects.
 */
export function encodeLinkTrap(input: LinkTrapInput, version: "1" | "2c", requestId: number): Buffer {
  const objects: VarBind[] = [
    { oid: [...IF_INDEX, input.ifIndex], value: { type: Tag.Integer, value: input.ifIndex } },
    { oid: [...IF_ADMIN, input.ifIndex], value: { type: Tag.Integer, value: 1 } },
    { oid: [...IF_OPER, input.ifIndex], value: { type: Tag.Integer, value: input.up ? 1 : 2 } },
  ];
  const community = Buffer.from(input.community, "utf8");
  if (version === "1") {
    const addr = /^\d+\.\d+\.\d+\.\d+$/.test(input.agentAddress)
      ? input.agentAddress.split(".").map(Number)
      : [0, 0, 0, 0];
    return encodeV1Trap(community, {
      enterprise: parseOid(input.enterprise),
      agentAddress: addr,
      generic: input.up ? 3 : 2,
      specific: 0,
      timestamp: input.upTime,
      varbinds: objects,
    });
  }
  const varbinds: VarBind[] = [
    { oid: SYS_UPTIME, value: { type: Tag.TimeTicks, value: input.upTime } },
    { oid: SNMP_TRAP_OID, value: { type: Tag.Oid, value: input.up ? LINK_UP : LINK_DOWN } },
    ...objects,
  ];
  return encodeMessage(1, community, Tag.TrapV2, [requestId, 0, 0], varbinds.map(encodeVarBind));
}
