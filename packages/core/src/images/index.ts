export * from "./flat-image";
export * from "./intel-hex";
export * from "./intel-hex-writer";
