import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { createError, ErrorCodes, type Logger, noopLogger } from "@factory/core";
import { agentFiles } from "./agent-files";

/**
 * Copies the agent files into `<cdnRoot>/agent/` so units can fetch them from the CDN
 * (`/cdn/agent/factory-agent.sh`, with Range, ETag and the manifest's sha256). Files already
 * identical are left alone; each write goes through a temporary file and a rename. Resolves the
 * paths written; rejects `FILE_NOT_FOUND` when the directory cannot be written.
 */
export async function publishAgentToCdn(cdnRoot: string, logger: Logger = noopLogger): Promise<string[]> {
  const dir = path.join(cdnRoot, "agent");
  const written: string[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const f of agentFiles()) {
      const target = path.join(dir, f.name);
      const current = await readFile(target).catch(() => undefined);
      if (current?.equals(f.body)) continue;
      const tmp = path.join(dir, `.${f.name}.${process.pid}.tmp`);
      await writeFile(tmp, f.body, { mode: f.name.endsWith(".sh") ? 0o755 : 0o644 });
      await rename(tmp, target);
      written.push(target);
    }
  } catch (cause) {
    throw createError("server", ErrorCodes.FILE_NOT_FOUND, `Cannot publish the unit agent into ${dir}`, {
      cause,
      details: { dir },
    });
  }
  if (written.length > 0) logger.info("unit agent published to the CDN", { dir, files: written.length });
  return written;
}
