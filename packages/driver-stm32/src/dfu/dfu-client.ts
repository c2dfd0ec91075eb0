import { ErrorCodes, type FactoryError, isFactoryError, throwIfAborted, withDeadline } from "@factory/core";
import { PKG, Stm32ErrorCodes, stm32Error } from "../errors";
import {
  DescriptorType,
  DfuRequest,
  dfuStateName,
  dfuStatusName,
  GET_DESCRIPTOR,
  LANGID_EN_US,
} from "./constants";
import type { UsbDeviceLike, UsbSetup } from "./usb-types";

/** The 6-byte answer to GETSTATUS. */
export interface DfuStatusReport {
  status: number;
  /** bwPollTimeout: how long the host must wait before the next GETSTATUS, ms. */
  pollTimeoutMs: number;
  state: number;
  iString: number;
}

export interface DfuClientOptions {
  /** Per control transfer bound, ms (default 5000). */
  transferTimeoutMs?: number;
  /** Port description for messages. */
  where: string;
}

/**
 * DFU 1.1 class requests on one interface of an open device. Every call is bounded in time and
 * maps USB failures onto coded errors: a vanished device is `PORT_DISCONNECTED`, a stalled
 * request is `PROTOCOL_ERROR` (the caller reads GETSTATUS to learn why).
 */
export class DfuClient {
  readonly transferTimeoutMs: number;

  constructor(
    readonly device: UsbDeviceLike,
    readonly interfaceNumber: number,
    private readonly options: DfuClientOptions,
  ) {
    this.transferTimeoutMs = options.transferTimeoutMs ?? 5000;
  }

  private setup(request: number, value: number): UsbSetup {
    return { requestType: "class", recipient: "interface", request, value, index: this.interfaceNumber };
  }

  /** A class IN request returning exactly what the device sent. */
  async in(request: number, value: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.controlIn(this.setup(request, value), length, requestName(request), signal);
  }

  /** A class OUT request with optional data. */
  async out(
    request: number,
    value: number,
    data: Uint8Array | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const what = requestName(request);
    const result = await this.transfer(what, signal, () =>
      this.device.controlTransferOut(this.setup(request, value), data, this.transferTimeoutMs),
    );
    if (result.status !== "ok") throw this.stall(what);
    if (data && result.bytesWritten !== data.length) {
      throw stm32Error(
        ErrorCodes.PROTOCOL_ERROR,
        `${what} on ${this.options.where} sent ${result.bytesWritten} of ${data.length} bytes`,
      );
    }
  }

  async getStatus(signal?: AbortSignal): Promise<DfuStatusReport> {
    const b = await this.in(DfuRequest.GETSTATUS, 0, 6, signal);
    if (b.length < 6) {
      throw stm32Error(
        ErrorCodes.PROTOCOL_ERROR,
        `GETSTATUS on ${this.options.where} returned ${b.length} bytes, not 6`,
      );
    }
    return {
      status: b[0]!,
      pollTimeoutMs: b[1]! | (b[2]! << 8) | (b[3]! << 16),
      state: b[4]!,
      iString: b[5]!,
    };
  }

  clearStatus(signal?: AbortSignal): Promise<void> {
    return this.out(DfuRequest.CLRSTATUS, 0, undefined, signal);
  }

  abort(signal?: AbortSignal): Promise<void> {
    return this.out(DfuRequest.ABORT, 0, undefined, signal);
  }

  async getState(signal?: AbortSignal): Promise<number> {
    const b = await this.in(DfuRequest.GETSTATE, 0, 1, signal);
    if (b.length < 1)
      throw stm32Error(ErrorCodes.PROTOCOL_ERROR, `GETSTATE on ${this.options.where} returned nothing`);
    return b[0]!;
  }

  dnload(block: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    return this.out(DfuRequest.DNLOAD, block, data, signal);
  }

  upload(block: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.in(DfuRequest.UPLOAD, block, length, signal);
  }

  /** Standard GET_DESCRIPTOR to the device. */
  getDescriptor(type: number, index: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const setup: UsbSetup = {
      requestType: "standard",
      recipient: "device",
      request: GET_DESCRIPTOR,
      value: (type << 8) | index,
      index: type === DescriptorType.STRING ? LANGID_EN_US : 0,
    };
    return this.controlIn(setup, length, "GET_DESCRIPTOR", signal);
  }

  private async controlIn(
    setup: UsbSetup,
    length: number,
    what: string,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const result = await this.transfer(what, signal, () =>
      this.device.controlTransferIn(setup, length, this.transferTimeoutMs),
    );
    if (result.status !== "ok" || !result.data) throw this.stall(what);
    const view = result.data;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  }

  private async transfer<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    throwIfAborted(signal, PKG);
    try {
      return await withDeadline(
        `${what} on ${this.options.where}`,
        { signal, timeoutMs: this.transferTimeoutMs + 500 },
        () => fn(),
        PKG,
      );
    } catch (error) {
      throw this.mapError(what, error);
    }
  }

  private stall(what: string): FactoryError {
    return stm32Error(ErrorCodes.PROTOCOL_ERROR, `The device on ${this.options.where} stalled ${what}`, {
      details: { request: what, stalled: true },
    });
  }

  private mapError(what: string, error: unknown): FactoryError {
    if (isFactoryError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    const name = error instanceof Error ? error.name : "";
    if (/stall|pipe/i.test(message)) return this.stall(what);
    if (
      name === "NotFoundError" ||
      /disconnect|no such device|not found|no device|LIBUSB_ERROR_NO_DEVICE/i.test(message)
    ) {
      return stm32Error(
        ErrorCodes.PORT_DISCONNECTED,
        `The DFU device on ${this.options.where} went away during ${what}`,
        {
          cause: error,
        },
      );
    }
    if (/timed? ?out/i.test(message)) {
      return stm32Error(
        ErrorCodes.TIMEOUT,
        `The DFU device on ${this.options.where} did not answer ${what}`,
        { cause: error },
      );
    }
    return stm32Error(ErrorCodes.PROTOCOL_ERROR, `${what} on ${this.options.where} failed: ${message}`, {
      cause: error,
    });
  }

  /** The coded error for a GETSTATUS that reports a failure. */
  statusError(report: DfuStatusReport, during: string): FactoryError {
    return stm32Error(
      Stm32ErrorCodes.STM32_DFU_STATUS,
      `The DFU device on ${this.options.where} reported ${dfuStatusName(report.status)} in ${dfuStateName(report.state)} during ${during}`,
      {
        details: {
          status: report.status,
          statusName: dfuStatusName(report.status),
          state: report.state,
          stateName: dfuStateName(report.state),
          during,
        },
      },
    );
  }
}

function requestName(request: number): string {
  return Object.entries(DfuRequest).find(([, v]) => v === request)?.[0] ?? `request ${request}`;
}
