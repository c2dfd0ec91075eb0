export * from "./durable-queue";
export * from "./http-registrar";
