/**
 * A small HTTP/1.1 load generator for the server bench: keep-alive connections on raw sockets,
 * one request in flight per connection, each request written in one segment, answers parsed by
 * status line and Content-Length. It costs a fraction of node:http's client per request, so the
 * server, not the client, is what gets measured (the bench prints the client's own ceiling).
 */
import net from "node:net";

export interface LoadResult {
  requests: number;
  /** Answers other than 2xx, and requests whose connection failed. */
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/** Builds the request text for the `n`-th request of `unit`. */
export type RequestFor = (unit: number, n: number) => string;

class Connection {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
    });
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", () => this.fail());
    this.socket.on("close", () => this.fail());
  }

  /** Sends one request; resolves with the answer's status (0 when the connection failed). */
  send(text: string): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      if (this.socket.destroyed) this.fail();
      else this.socket.write(text);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail() {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(0);
  }

  private onData(d: Buffer) {
    this.buffer = this.buffer.length === 0 ? d : Buffer.concat([this.buffer, d]);
    for (;;) {
      const headEnd = this.buffer.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const head = this.buffer.subarray(0, headEnd).toString("latin1");
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
      if (!length) {
        // The server answers with a length; anything else is a broken answer for this client.
        this.socket.destroy();
        return;
      }
      const total = headEnd + 4 + Number(length[1]);
      if (this.buffer.length < total) return;
      const status = Number(head.slice(9, 12));
      this.buffer = this.buffer.subarray(total);
      const w = this.waiting;
      this.waiting = undefined;
      w?.(status);
    }
  }
}

async function openConnections(url: URL, count: number): Promise<Connection[]> {
  const connections = Array.from({ length: count }, () => new Connection(url.hostname, Number(url.port)));
  await Promise.all(connections.map((c) => c.ready));
  return connections;
}

function summarize(latencies: number[], errors: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1) ?? 0,
  };
}

/**
 * Saturation: `connections` requests always in flight (a new one as soon as an answer
 * arrives), requests spread over `units` round robin. Gives the peak rate.
 */
export async function closedLoop(o: {
  url: string;
  units: number;
  connections: number;
  seconds: number;
  request: RequestFor;
}): Promise<LoadResult> {
  const connections = await openConnections(new URL(o.url), o.connections);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + o.seconds * 1000;
  await Promise.all(
    connections.map(async (c) => {
      while (performance.now() < end) {
        const i = next++;
        const text = o.request(i % o.units, Math.floor(i / o.units));
        const t = performance.now();
        const status = await c.send(text);
        latencies.push(performance.now() - t);
        if (status < 200 || status > 299) errors++;
        if (status === 0) return;
      }
    }),
  );
  for (const c of connections) c.close();
  return summarize(latencies, errors, (performance.now() - started) / 1000);
}

/**
 * A fixed offered rate, as the units of a line produce it: `units` keep-alive connections (one
 * per unit), request i is due at start + i / rate and goes to unit i mod units. Latency counts
 * from the moment a request was due, so a server (or client) that falls behind shows it in the
 * percentiles instead of silently sending less.
 */
export async function openLoop(o: {
  url: string;
  units: number;
  rate: number;
  seconds: number;
  request: RequestFor;
}): Promise<LoadResult> {
  const connections = await openConnections(new URL(o.url), o.units);
  const latencies: number[] = [];
  let errors = 0;
  const backlog: number[][] = connections.map(() => []);
  const busy = new Array<boolean>(o.units).fill(false);
  const total = Math.floor(o.rate * o.seconds);
  let issued = 0;
  let answered = 0;
  let lastAnswer = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  const dueAt = (i: number) => started + (i * 1000) / o.rate;

  const dispatch = (unit: number) => {
    const i = backlog[unit]!.shift();
    if (i === undefined) {
      busy[unit] = false;
      return;
    }
    busy[unit] = true;
    void connections[unit]!.send(o.request(unit, Math.floor(i / o.units))).then((status) => {
      lastAnswer = performance.now();
      latencies.push(lastAnswer - dueAt(i));
      if (status < 200 || status > 299) errors++;
      if (++answered === total) finish();
      dispatch(unit);
    });
  };
  const tick = () => {
    const now = performance.now();
    while (issued < total && dueAt(issued) <= now) {
      const unit = issued % o.units;
      backlog[unit]!.push(issued++);
      if (!busy[unit]) dispatch(unit);
    }
    if (issued < total) setTimeout(tick, Math.max(0, dueAt(issued) - performance.now()));
  };
  tick();
  const limit = setTimeout(finish, o.seconds * 1000 + 30_000);
  await finished;
  clearTimeout(limit);
  for (const c of connections) c.close();
  // The rate achieved: answers over the time until the last one (longer than the schedule when
  // the server fell behind).
  return summarize(
    latencies,
    errors + (total - answered),
    Math.max(o.seconds, (lastAnswer - started) / 1000),
  );
}
