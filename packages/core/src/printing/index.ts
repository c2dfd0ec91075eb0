export * from "./states";
