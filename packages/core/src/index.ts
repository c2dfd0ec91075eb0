/**
 * @factory/core: contracts, the provisioning pipeline, stations, credentials, config and records.
 * No hardware, database or HTTP dependency: drivers are injected or loaded by package name.
 */
export * from "./abort";
export * from "./board-line";
export type * from "./cli-command";
export * from "./config";
export * from "./contracts";
export * from "./credentials";
export * from "./errors";
export * from "./images";
export * from "./labeling";
export * from "./logger";
export * from "./mac";
export * from "./pipeline";
export * from "./plugin";
export * from "./printing";
export * from "./records";
export * from "./registration";
export * from "./station";
export * from "./unit-agent";
export * from "./unit-store";
