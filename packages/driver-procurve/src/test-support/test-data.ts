import { big48, malformed, noBridge, procurve2810Bridge, procurve2810QBridge } from "./datasets";
import { switchRows, toSnmprec } from "./snmprec";

/** The committed data sets, by file name (= snmpsim community). */
export const TEST_DATA: Record<string, string> = {
  "procurve-2810-qbridge": toSnmprec(switchRows(procurve2810QBridge)),
  "procurve-2810-bridge": toSnmprec(switchRows(procurve2810Bridge)),
  "procurve-2810-48-fdb2000": toSnmprec(switchRows(big48(2000))),
  "no-bridge-mib": toSnmprec(switchRows(noBridge)),
  "procurve-malformed": toSnmprec(switchRows(malformed)),
};
