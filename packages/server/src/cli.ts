import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { type CliCommand, type CliIO, createLogger, isFactoryError } from "@factory/core";
import { resolveConfig } from "./config";
import { ROLES, tokenSha256 } from "./http/auth";
import { startServer } from "./server";
import type { StationsConfig } from "./stations/config";
import { debugCommand, labelCommand } from "./stations/station-cli";

const SERVE_USAGE = `factory serve [--config file.json] [--port N] [--host ADDR] [--database URL|FILE] [--cdn DIR]

Runs the production server. With no configuration: SQLite in ./.factory/factory.db, port 8080
(or a free port when 8080 is taken), a generated master key and admin token (printed once).
Environment overrides: FACTORY_HOST, FACTORY_PORT, FACTORY_DATABASE_URL (postgres://… or a
SQLite file), FACTORY_MASTER_KEY, FACTORY_ADMIN_TOKEN, FACTORY_CDN_ROOT,
FACTORY_STUCK_AFTER_SECONDS, FACTORY_LOG_LEVEL. Logs are JSON lines on stderr.`;

async function serve(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      database: { type: "string" },
      cdn: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const env = {
    ...io.env,
    ...(values.port !== undefined && { FACTORY_PORT: values.port }),
    ...(values.host !== undefined && { FACTORY_HOST: values.host }),
    ...(values.database !== undefined && { FACTORY_DATABASE_URL: values.database }),
    ...(values.cdn !== undefined && { FACTORY_CDN_ROOT: values.cdn }),
  };
  const config = resolveConfig({
    cwd: io.cwd,
    env,
    ...(values.config !== undefined && { configFile: values.config }),
  });
  const logger = createLogger({
    level: config.logLevel,
    sink: (r) =>
      io.stderr.write(
        `${JSON.stringify({ time: r.time.toISOString(), level: r.level, msg: r.message, ...r.fields })}\n`,
      ),
  });
  const options = {
    database: config.database,
    masterKey: config.masterKey,
    tokens: config.tokens,
    host: config.host,
    stuckAfterMs: config.stuckAfterMs,
    logger,
    ...(config.cdnRoot !== undefined && { cdnRoot: config.cdnRoot }),
    ...(config.bodyLimitBytes !== undefined && { bodyLimitBytes: config.bodyLimitBytes }),
    ...(config.rateLimitPerSecond !== undefined && { rateLimitPerSecond: config.rateLimitPerSecond }),
    ...(config.stations !== undefined && { stations: config.stations as StationsConfig }),
    baseDir: config.baseDir,
  };
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ ...options, port: config.port });
  } catch (error) {
    if (!config.portIsDefault || !isFactoryError(error, "CONFIG_INVALID")) throw error;
    io.stderr.write(`Port ${config.port} is busy; using a free port instead.\n`);
    server = await startServer({ ...options, port: 0 });
  }
  for (const notice of config.notices) io.stdout.write(`${notice}\n`);
  io.stdout.write(`Factory server listening on ${server.url} (${config.database.kind})\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}

async function token(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { role: { type: "string" }, name: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help || !values.role || !values.name || !ROLES.includes(values.role as never)) {
    io.stdout.write(`${TOKEN_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const secret = randomBytes(24).toString("base64url");
  io.stdout.write(
    `token: ${secret}\nconfig entry: ${JSON.stringify({ name: values.name, role: values.role, tokenSha256: tokenSha256(secret) })}\n`,
  );
  return 0;
}

const TOKEN_USAGE = `factory server-token --role unit|station|operator|admin --name NAME

Generates an API token. Prints the token (give it to the unit agent or station) and the config
entry to add under "tokens" (it holds only the token's sha256).`;

/** Commands `@factory/server` adds to the `factory` CLI. */
export const commands: Record<string, CliCommand> = {
  serve: { summary: "Run the production server (API, dashboard, CDN)", usage: SERVE_USAGE, run: serve },
  "server-token": { summary: "Generate an API token for a role", usage: TOKEN_USAGE, run: token },
  label: labelCommand,
  debug: debugCommand,
};
