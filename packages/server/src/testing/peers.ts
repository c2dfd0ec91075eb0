/**
 * The real peers of the station end-to-end tests, started by the test support of the packages
 * that own them: snmpsimd and snmptrap (driver-procurve), a private cupsd with a cups-pdf queue
 * and the poppler/zbar readers (printers). Test-only; not part of any published package.
 */
export { live as liveProcurve } from "../../../driver-procurve/src/test-support/datasets";
export {
  qBridgeFdbRows,
  type Row,
  switchRows,
  toSnmprec,
} from "../../../driver-procurve/src/test-support/snmprec";
export {
  freeUdpPort,
  SNMPSIM_PEER,
  sendLinkTrap,
  startSnmpsim,
} from "../../../driver-procurve/src/test-support/snmpsim";
export { type CupsPeer, hasCups, startCups } from "../../../printers/src/test-support/cups";
export { decodeBarcodes, pdfText, pdfToPng, zplToPng } from "../../../printers/src/test-support/tools";
