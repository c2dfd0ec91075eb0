export * from "./peers";
export * from "./memory-unit-store";
export * from "./unit-store-conformance";
export * from "./fake-switch";
export * from "./switch-conformance";
