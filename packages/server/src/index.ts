export { agentConfigTemplate, agentFiles, agentRoutes, agentScriptPath, publishAgentToCdn } from "./agent";
export type { CdnOptions, ManifestEntry } from "./cdn";
export { createCdnHandler, parseRange } from "./cdn";
export type { ResolvedConfig, ServerFileConfig } from "./config";
export { resolveConfig } from "./config";
export type { MasterKey } from "./crypto/envelope";
export { generateMasterKey, parseMasterKey } from "./crypto/envelope";
export type { EventBridge, EventBus, ServerEvent } from "./events";
export { createEventBus } from "./events";
export type { AppOptions } from "./http/app";
export { createApp } from "./http/app";
export type { Caller, Role, TokenConfig, TokenTable } from "./http/auth";
export { createTokenTable, tokenSha256 } from "./http/auth";
export { openApiDocument } from "./openapi";
export { createPgNotifyBridge } from "./pg-notify";
export type { DatabaseConfig, RunningServer, ServerOptions } from "./server";
export { startServer } from "./server";
export type {
  DebugRun,
  LabelStateView,
  RunningStations,
  StationsConfig,
  StationsOptions,
} from "./stations";
export {
  collectLogs,
  createStations,
  DebugStation,
  LabelRunner,
  labelTemplateFromConfig,
  parseStationsConfig,
  SEED_LOG_LIST,
} from "./stations";
export type {
  BatchReport,
  BoardRecord,
  BoardRecordFilter,
  BoardRecordStore,
  Page,
  PageOptions,
} from "./stores/board-records";
export { boardRecordStoreOf } from "./stores/board-records";
export type { PgUnitStore, PgUnitStoreOptions } from "./stores/pg-store";
export { createPgUnitStore } from "./stores/pg-store";
export type { SqliteUnitStore, SqliteUnitStoreOptions } from "./stores/sqlite-store";
export { createSqliteUnitStore, readStoreFiles } from "./stores/sqlite-store";
export { startStuckMonitor } from "./stuck";
