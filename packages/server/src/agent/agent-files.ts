import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createError, ErrorCodes, passwordWordList } from "@factory/core";

/** One file the server hands to units: its bytes, sha256 and a strong ETag. */
export interface AgentFile {
  name: string;
  body: Buffer;
  sha256: string;
  etag: string;
  contentType: string;
}

// The script ships in the package's `agent/` folder: ../../agent from src/agent, ../agent from dist.
const SCRIPT_CANDIDATES = ["../../agent/factory-agent.sh", "../agent/factory-agent.sh"];

/** Absolute path of the unit agent script shipped with @factory/server. */
export function agentScriptPath(): string {
  for (const rel of SCRIPT_CANDIDATES) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw createError(
    "server",
    ErrorCodes.FILE_NOT_FOUND,
    "The unit agent script (agent/factory-agent.sh) is missing from the @factory/server package; reinstall it",
  );
}

function file(name: string, body: Buffer, contentType: string): AgentFile {
  const sha256 = createHash("sha256").update(body).digest("hex");
  return { name, body, sha256, etag: `"${sha256.slice(0, 32)}"`, contentType };
}

let cached: AgentFile[] | undefined;

/**
 * The files under `/agent/`: the script, the password word list the script draws from (the same
 * list as core's `generatePassword`), and `SHA256SUMS` over both (for `sha256sum -c`). Read once.
 */
export function agentFiles(): AgentFile[] {
  if (cached) return cached;
  const script = file(
    "factory-agent.sh",
    readFileSync(agentScriptPath()),
    "text/x-shellscript; charset=utf-8",
  );
  const words = file(
    "words.txt",
    Buffer.from(`${passwordWordList().join("\n")}\n`),
    "text/plain; charset=utf-8",
  );
  const sums = file(
    "SHA256SUMS",
    Buffer.from(`${script.sha256}  ${script.name}\n${words.sha256}  ${words.name}\n`),
    "text/plain; charset=utf-8",
  );
  cached = [script, words, sums];
  return cached;
}

/**
 * A starting `factory-agent.conf` for units of this server: the server URL as the unit reached it
 * and every setting with its default, commented. The unit token is never part of it.
 */
export function agentConfigTemplate(serverUrl: string): string {
  return `# factory-agent.conf: configuration of the unit agent (factory-agent.sh).
# KEY=value lines (environment variables of the same name win) and "test NAME KIND ARGS..." lines.
FACTORY_SERVER=${serverUrl}
# The unit token (role "unit"); keep it out of this file when the file is served.
# FACTORY_TOKEN_FILE=/etc/factory/unit-token
# FACTORY_STATE_DIR=/var/lib/factory-agent
# FACTORY_WAN_IFACE=vmbr0
# FACTORY_HEARTBEAT_SECONDS=60
# FACTORY_CONNECT_TIMEOUT=5
# FACTORY_REQUEST_TIMEOUT=30
# FACTORY_RETRY_BASE_MS=1000
# FACTORY_RETRY_MAX_MS=60000
# FACTORY_REPORT_DEADLINE_SECONDS=86400
# FACTORY_TEST_TIMEOUT=10
# FACTORY_HOOK_TIMEOUT=300
# FACTORY_BUILD_TIMEOUT=14400
# FACTORY_STAGES=installing deploying_opnsense deploying_services self_test isolation reporting
# FACTORY_LOGS=/tmp/privatebox-bootstrap.log /var/log/privatebox-guest-setup.log
# FACTORY_SERVICES=pveproxy pvedaemon
# FACTORY_ISOLATE_CMD=/usr/local/sbin/remove-wan-ip
# FACTORY_ISOLATION_CHECK_CMD=/usr/local/sbin/check-isolation
# FACTORY_RESTORE_WAN_CMD=/usr/local/sbin/restore-wan-ip
#
# Self-tests (kinds: http URL [STATUS[,STATUS|2xx]] [insecure] | tcp HOST PORT |
#   dns NAME SERVER[:PORT] [EXPECTED_IPV4] | systemd UNIT... | route [HOST:PORT] [GATEWAY] | cmd COMMAND...)
# test internet route 1.1.1.1:443
`;
}
