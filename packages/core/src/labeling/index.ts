export * from "./http-backend";
export * from "./label-station";
export * from "./store-backend";
export type * from "./types";
