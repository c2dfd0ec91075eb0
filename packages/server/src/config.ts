import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createError, ErrorCodes } from "@factory/core";
import { z } from "zod";
import { generateMasterKey, type MasterKey, parseMasterKey } from "./crypto/envelope";
import { ROLES, type TokenConfig, tokenSha256 } from "./http/auth";
import type { DatabaseConfig } from "./server";

const fileSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    database: z
      .discriminatedUnion("kind", [
        z.object({
          kind: z.literal("sqlite"),
          file: z.string().min(1),
          synchronous: z.enum(["normal", "full"]).optional(),
        }),
        z.object({
          kind: z.literal("postgres"),
          url: z.string().min(1),
          maxConnections: z.number().int().min(1).max(500).optional(),
        }),
      ])
      .optional(),
    masterKey: z.string().optional(),
    masterKeyFile: z.string().optional(),
    tokens: z
      .array(
        z.object({
          name: z.string().min(1).max(64),
          role: z.enum(ROLES as [string, ...string[]]),
          token: z.string().min(16).optional(),
          tokenSha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/i)
            .optional(),
        }),
      )
      .optional(),
    cdnRoot: z.string().optional(),
    stuckAfterSeconds: z.number().positive().optional(),
    bodyLimitBytes: z.number().int().min(1024).optional(),
    rateLimitPerSecond: z.number().min(0).optional(),
    logLevel: z.enum(["debug", "info", "warn", "error"]).optional(),
    /** Labeling and debug stations; validated by the stations module. */
    stations: z.unknown().optional(),
  })
  .strict();

export type ServerFileConfig = z.infer<typeof fileSchema>;

export interface ResolvedConfig {
  host: string;
  port: number;
  /** True when no port was configured: `serve` falls back to a free one if 8080 is taken. */
  portIsDefault: boolean;
  database: DatabaseConfig;
  masterKey: MasterKey;
  tokens: TokenConfig[];
  cdnRoot?: string;
  stuckAfterMs: number;
  bodyLimitBytes?: number;
  rateLimitPerSecond?: number;
  logLevel: "debug" | "info" | "warn" | "error";
  /** The `stations` section as written (validated when the stations start). */
  stations?: unknown;
  /** The config file's directory (else the working directory): station paths resolve from here. */
  baseDir: string;
  /** Notes for the operator (generated key, generated admin token): printed once by `serve`. */
  notices: string[];
}

const invalid = (message: string, cause?: unknown) =>
  createError("server", ErrorCodes.CONFIG_INVALID, message, cause === undefined ? undefined : { cause });

/**
 * Reads the server configuration: embedded defaults ← config file (JSON) ← environment
 * (`FACTORY_HOST`, `FACTORY_PORT`, `FACTORY_DATABASE_URL`, `FACTORY_MASTER_KEY`,
 * `FACTORY_ADMIN_TOKEN`, `FACTORY_CDN_ROOT`, `FACTORY_STUCK_AFTER_SECONDS`, `FACTORY_LOG_LEVEL`).
 * With nothing configured: SQLite at `./.factory/factory.db`, port 8080, a master key generated
 * into `./.factory/master.key` (0600) and an admin token generated once (only its sha256 is kept).
 */
export function resolveConfig(options: {
  cwd: string;
  env: Record<string, string | undefined>;
  configFile?: string;
}): ResolvedConfig {
  const { cwd, env } = options;
  let file: ServerFileConfig = {};
  if (options.configFile) {
    const p = path.resolve(cwd, options.configFile);
    if (!existsSync(p))
      throw createError("server", ErrorCodes.CONFIG_NOT_FOUND, `Config file ${p} does not exist`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(p, "utf8"));
    } catch (cause) {
      throw invalid(`Config file ${p} is not valid JSON`, cause);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw invalid(`Config file ${p}: ${i.path.join(".") || "(root)"}: ${i.message}`);
    }
    file = parsed.data;
  }
  const stateDir = path.join(cwd, ".factory");
  const notices: string[] = [];

  const dbUrl = env.FACTORY_DATABASE_URL;
  const database: DatabaseConfig = dbUrl
    ? /^postgres(ql)?:\/\//.test(dbUrl)
      ? { kind: "postgres", url: dbUrl }
      : { kind: "sqlite", file: path.resolve(cwd, dbUrl.replace(/^sqlite:(\/\/)?/, "")) }
    : file.database
      ? file.database.kind === "sqlite"
        ? { ...file.database, file: path.resolve(cwd, file.database.file) }
        : file.database
      : { kind: "sqlite", file: path.join(stateDir, "factory.db") };

  let masterKey: MasterKey;
  const keyText = env.FACTORY_MASTER_KEY ?? file.masterKey;
  if (keyText) masterKey = parseMasterKey(keyText);
  else {
    const keyFile = path.resolve(cwd, file.masterKeyFile ?? path.join(stateDir, "master.key"));
    if (existsSync(keyFile)) masterKey = parseMasterKey(readFileSync(keyFile, "utf8"));
    else {
      masterKey = generateMasterKey();
      mkdirSync(path.dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, `${masterKey.bytes.toString("hex")}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
      notices.push(
        `Generated a master key in ${keyFile}. Keep it off the database disk (set FACTORY_MASTER_KEY) in production.`,
      );
    }
  }

  const tokens: TokenConfig[] = (file.tokens ?? []).map((t) => ({
    name: t.name,
    role: t.role as TokenConfig["role"],
    ...(t.token !== undefined && { token: t.token }),
    ...(t.tokenSha256 !== undefined && { tokenSha256: t.tokenSha256 }),
  }));
  if (env.FACTORY_ADMIN_TOKEN) tokens.push({ name: "admin", role: "admin", token: env.FACTORY_ADMIN_TOKEN });
  if (tokens.length === 0) {
    const saved = path.join(stateDir, "admin-token.sha256");
    if (existsSync(saved))
      tokens.push({ name: "admin", role: "admin", tokenSha256: readFileSync(saved, "utf8").trim() });
    else {
      const token = randomBytes(24).toString("base64url");
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(saved, `${tokenSha256(token)}\n`, { mode: 0o600 });
      tokens.push({ name: "admin", role: "admin", token });
      notices.push(`Generated admin token (shown once, only its hash is kept in ${saved}): ${token}`);
    }
  }

  const portText = env.FACTORY_PORT;
  const port = portText !== undefined ? Number(portText) : (file.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalid(`FACTORY_PORT must be a port number, not ${portText}`);
  const stuckText = env.FACTORY_STUCK_AFTER_SECONDS;
  const stuckAfterSeconds = stuckText !== undefined ? Number(stuckText) : (file.stuckAfterSeconds ?? 300);
  if (!(stuckAfterSeconds > 0)) throw invalid("FACTORY_STUCK_AFTER_SECONDS must be a positive number");
  const level = env.FACTORY_LOG_LEVEL ?? file.logLevel ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level))
    throw invalid("FACTORY_LOG_LEVEL must be debug, info, warn or error");
  const cdnRoot = env.FACTORY_CDN_ROOT ?? file.cdnRoot;
  return {
    host: env.FACTORY_HOST ?? file.host ?? "0.0.0.0",
    port,
    portIsDefault: portText === undefined && file.port === undefined,
    database,
    masterKey,
    tokens,
    ...(cdnRoot !== undefined && { cdnRoot: path.resolve(cwd, cdnRoot) }),
    stuckAfterMs: stuckAfterSeconds * 1000,
    ...(file.bodyLimitBytes !== undefined && { bodyLimitBytes: file.bodyLimitBytes }),
    ...(file.rateLimitPerSecond !== undefined && { rateLimitPerSecond: file.rateLimitPerSecond }),
    logLevel: level as ResolvedConfig["logLevel"],
    ...(file.stations !== undefined && { stations: file.stations }),
    baseDir: options.configFile ? path.dirname(path.resolve(cwd, options.configFile)) : cwd,
    notices,
  };
}
