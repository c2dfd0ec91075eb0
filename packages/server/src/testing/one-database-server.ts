import { generateMasterKey } from "../crypto/envelope";
import { startTestServer, type TestServer } from "./harness";

/**
 * Test support for "the server goes away and comes back": each call of the returned function
 * starts a test server on the same SQLite `file` with the same master key, and from the second
 * call on, on the first one's port (so clients configured with its URL reach it again). Stop each
 * server before starting the next. Test-only; not part of the published package.
 */
export function serverOnOneDatabase(file: string): () => Promise<TestServer> {
  const masterKey = generateMasterKey();
  let port: number | undefined;
  return async () => {
    const server = await startTestServer({
      database: { kind: "sqlite", file },
      masterKey,
      ...(port !== undefined && { port }),
    });
    port = server.port;
    return server;
  };
}
