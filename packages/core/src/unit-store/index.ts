export * from "./errors";
export * from "./metrics";
export * from "./stable-json";
export * from "./validation";
