/** ProCurve models the simulator can pose as: identity and front ports. See PROTOCOLS.md §5.1. */
export interface SimulatedModel {
  /** HP product number. */
  product: string;
  sysObjectId: string;
  sysDescr: string;
  /** Default host name (sysName). */
  sysName: string;
  /** Front ports, named `1`…`n`. */
  ports: number;
  /** Port speed in Mbit/s by port number. */
  speedMbps(port: number): number;
}

const gigabit = (): number => 1000;
/** 10/100 ports with gigabit ports at the end. */
const fastWithGig =
  (fast: number) =>
  (port: number): number =>
    port > fast ? 1000 : 100;

/** The models, by the name used in `model`. */
export const SIMULATED_MODELS = {
  "2810-24G": {
    product: "J9021A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.63",
    sysDescr:
      "ProCurve J9021A Switch 2810-24G, revision N.11.15, ROM N.10.01 (/sw/code/build/bass(ppne_swt))",
    sysName: "ProCurve Switch 2810-24G",
    ports: 24,
    speedMbps: gigabit,
  },
  "2810-48G": {
    product: "J9022A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.64",
    sysDescr:
      "ProCurve J9022A Switch 2810-48G, revision N.11.15, ROM N.10.01 (/sw/code/build/bass(ppne_swt))",
    sysName: "ProCurve Switch 2810-48G",
    ports: 48,
    speedMbps: gigabit,
  },
  "2510-24": {
    product: "J9019A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.61",
    sysDescr: "ProCurve J9019A Switch 2510-24, revision Q.10.02, ROM Q.10.02 (/sw/code/build/harp(harp))",
    sysName: "ProCurve Switch 2510-24",
    ports: 26,
    speedMbps: fastWithGig(24),
  },
  "2510-48": {
    product: "J9020A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.62",
    sysDescr: "ProCurve J9020A Switch 2510-48, revision Q.10.02, ROM Q.10.02 (/sw/code/build/harp(harp))",
    sysName: "ProCurve Switch 2510-48",
    ports: 50,
    speedMbps: fastWithGig(48),
  },
  "2530-24G-PoEP": {
    product: "J9773A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.137",
    sysDescr: "HP J9773A 2530-24G-PoEP Switch, revision YA.16.02.0008, ROM YA.15.19",
    sysName: "HP-2530-24G-PoEP",
    ports: 28,
    speedMbps: gigabit,
  },
  "2530-48G": {
    product: "J9775A",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.139",
    sysDescr: "HP J9775A 2530-48G Switch, revision YA.16.11.0014, ROM YA.15.20",
    sysName: "HP-2530-48G",
    ports: 52,
    speedMbps: gigabit,
  },
} as const satisfies Record<string, SimulatedModel>;

export type SimulatedModelName = keyof typeof SIMULATED_MODELS;
