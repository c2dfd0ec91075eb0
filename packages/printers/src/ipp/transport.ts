import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { abortedError, ErrorCodes, isFactoryError, withDeadline } from "@factory/core";
import { PKG, printerError } from "../errors";
import { decodeIpp, encodeIpp, type IppMessage } from "./encoding";

/** An IPP printer's address: `ipp://host:631/printers/<queue>` (or `ipps://`, `http(s)://`). */
export interface IppEndpoint {
  /** The printer-uri sent in requests (`ipp://…`). */
  printerUri: string;
  /** Where the HTTP POST goes. */
  http: URL;
}

/** Parses a printer URL; anything but ipp/ipps/http/https is `CONFIG_INVALID`. */
export function parseIppUrl(url: string): IppEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw printerError(
      ErrorCodes.CONFIG_INVALID,
      `"${url}" is not a printer URL (ipp://host:631/printers/<queue>)`,
      { cause },
    );
  }
  const schemes: Record<string, [string, string, number]> = {
    "ipp:": ["ipp:", "http:", 631],
    "ipps:": ["ipps:", "https:", 631],
    "http:": ["ipp:", "http:", 80],
    "https:": ["ipps:", "https:", 443],
  };
  const scheme = schemes[parsed.protocol];
  if (!scheme || !parsed.hostname) {
    throw printerError(
      ErrorCodes.CONFIG_INVALID,
      `"${url}" is not a printer URL (ipp://host:631/printers/<queue>)`,
    );
  }
  const port = parsed.port ? Number(parsed.port) : scheme[2];
  const http = new URL(`${scheme[1]}//${parsed.hostname}:${port}${parsed.pathname}`);
  const printerUri = `${scheme[0]}//${parsed.hostname}:${port}${parsed.pathname}`;
  return { printerUri, http };
}

const MAX_RESPONSE = 1 << 20;

/**
 * Sends one IPP request over HTTP POST (`Content-Type: application/ipp`) and decodes the reply.
 * Refused or dropped connections reject with `PRINTER_OFFLINE`, a non-200 HTTP status with
 * `PRINTER_REJECTED`, no reply within `timeoutMs` with `TIMEOUT`, a cancel with `ABORTED`.
 */
export async function ippExchange(
  endpoint: IppEndpoint,
  message: IppMessage,
  options: { signal?: AbortSignal | undefined; timeoutMs: number },
): Promise<IppMessage> {
  const body = encodeIpp(message);
  const where = endpoint.http.host;
  return withDeadline(
    `The IPP request to ${where}`,
    options,
    (signal) =>
      new Promise<IppMessage>((resolve, reject) => {
        const send = endpoint.http.protocol === "https:" ? httpsRequest : httpRequest;
        const req = send(endpoint.http, {
          method: "POST",
          headers: { "Content-Type": "application/ipp", "Content-Length": body.length },
          signal,
        });
        req.on("error", (error: NodeJS.ErrnoException) => {
          if (signal.aborted) return reject(abortedError(signal, PKG));
          reject(
            printerError(
              ErrorCodes.PRINTER_OFFLINE,
              `The print spooler at ${where} cannot be reached (${error.code ?? error.message})`,
              {
                cause: error,
                details: { url: endpoint.http.href, errno: error.code },
              },
            ),
          );
        });
        req.on("response", (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            const auth = res.statusCode === 401 || res.statusCode === 403;
            return reject(
              printerError(
                ErrorCodes.PRINTER_REJECTED,
                `The print spooler at ${where} answered HTTP ${res.statusCode}${auth ? " (it asks for a login; allow job submission from this station)" : ""}`,
                { details: { status: res.statusCode, url: endpoint.http.href } },
              ),
            );
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE) {
              req.destroy();
              reject(
                printerError(
                  ErrorCodes.PRINTER_REJECTED,
                  `The print spooler at ${where} sent an oversized IPP reply`,
                ),
              );
            } else chunks.push(c);
          });
          res.on("error", (error) =>
            reject(
              printerError(
                ErrorCodes.PRINTER_OFFLINE,
                `The print spooler at ${where} dropped the connection`,
                { cause: error },
              ),
            ),
          );
          res.on("end", () => {
            try {
              resolve(decodeIpp(Buffer.concat(chunks)));
            } catch (error) {
              reject(error);
            }
          });
        });
        req.end(body);
      }),
    PKG,
  ).catch((error: unknown) => {
    if (isFactoryError(error)) throw error;
    throw printerError(ErrorCodes.PRINTER_OFFLINE, `The IPP request to ${where} failed`, { cause: error });
  });
}
