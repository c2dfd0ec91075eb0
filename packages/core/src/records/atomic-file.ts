import { randomBytes } from "node:crypto";
import { link, mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import { type SignalOptions, throwIfAborted } from "../abort";
import { fsyncDirectory } from "./fs-sync";

/**
 * Writes `data` to a new file in `dir` so that the file either does not exist or is complete,
 * whatever happens: write a temporary file, fsync it, hard-link it under its final name (which
 * fails instead of replacing an existing file), remove the temporary name, fsync the folder.
 * `names` yields candidate names; the first free one is used. Resolves with the full path.
 */
export async function writeNewFileAtomic(
  dir: string,
  names: Iterable<string>,
  data: Uint8Array,
  options: SignalOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  throwIfAborted(options.signal);
  const tmp = path.join(dir, `.tmp-${randomBytes(6).toString("hex")}`);
  const h = await open(tmp, "wx");
  try {
    try {
      let offset = 0;
      while (offset < data.length) offset += (await h.write(data, offset, data.length - offset)).bytesWritten;
      await h.sync();
    } finally {
      await h.close();
    }
    throwIfAborted(options.signal);
    for (const name of names) {
      const target = path.join(dir, name);
      try {
        await link(tmp, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw e;
      }
      await unlink(tmp);
      await fsyncDirectory(dir);
      return target;
    }
    throw new Error("no free file name");
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
