export * from "./create-station";
export * from "./polling-watcher";
