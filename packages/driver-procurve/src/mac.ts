/** MAC helpers for the forms switches use: OID sub-identifiers, raw octets, ProCurve CLI text. */

/** `aa:bb:cc:dd:ee:ff` from six numbers 0–255, or undefined if they are not that. */
export function macFromOctets(octets: readonly number[]): string | undefined {
  if (octets.length !== 6) return undefined;
  if (!octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255)) return undefined;
  return octets.map((o) => o.toString(16).padStart(2, "0")).join(":");
}

/** A MAC from an OctetString value (6 bytes); undefined for anything else. */
export function macFromValue(value: unknown): string | undefined {
  if (!Buffer.isBuffer(value) || value.length !== 6) return undefined;
  return macFromOctets([...value]);
}

/** ProCurve CLI spelling: `aabbcc-ddeeff`. */
export function toProcurveMac(mac: string): string {
  const hex = mac.replaceAll(":", "");
  return `${hex.slice(0, 6)}-${hex.slice(6)}`;
}

/** MAC tokens in ProCurve CLI output (`0010f3-841dea`), as `aa:bb:cc:dd:ee:ff`. */
export function procurveMacToColon(token: string): string {
  const hex = token.replace("-", "").toLowerCase();
  return hex.match(/../g)!.join(":");
}
