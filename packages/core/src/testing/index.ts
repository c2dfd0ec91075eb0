export * from "./peers";
