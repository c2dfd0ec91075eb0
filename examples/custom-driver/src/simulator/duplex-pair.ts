import { Duplex } from "node:stream";

/**
 * Two connected in-memory byte streams, like the two ends of a serial cable: bytes written to one
 * are read from the other. Destroying either end (an unplug) closes both.
 */
export function createDuplexPair(): [host: Duplex, device: Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        const other = peer();
        if (other.destroyed) return callback(new Error("The other end is gone"));
        other.push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(error, callback) {
        const other = peer();
        if (!other.destroyed) other.destroy();
        callback(error);
      },
    });
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}
