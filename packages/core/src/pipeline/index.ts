export * from "./console-tests";
export * from "./gates";
export * from "./identity-guard";
export * from "./plan";
export * from "./provision";
export * from "./record";
export * from "./retry";
export * from "./types";
