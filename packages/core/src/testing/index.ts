export * from "./peers";
export * from "./memory-unit-store";
export * from "./unit-store-conformance";
