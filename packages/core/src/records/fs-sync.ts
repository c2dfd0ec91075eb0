import { open } from "node:fs/promises";

/**
 * Flushes a folder's entries (a new or renamed file) to disk. Platforms that cannot open a folder
 * for fsync (Windows) skip it; there the rename itself is the durability point.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let h: Awaited<ReturnType<typeof open>> | undefined;
  try {
    h = await open(dir, "r");
    await h.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw e;
  } finally {
    await h?.close();
  }
}
