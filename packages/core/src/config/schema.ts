import { z } from "zod";
import { parseOffset, parseSize } from "./sizes";
import type { FactoryConfigInput } from "./types";

/**
 * The zod schema of a config file as written (snake_case, as in the seed's
 * `factory-config.yaml`). Objects are strict: an unknown key is an error, so a typo never
 * silently falls back to a default. Normalization to {@link FactoryConfig} happens afterwards.
 */

const text = z.string({ error: "expected text" }).trim().min(1, { error: "expected non-empty text" });

const httpUrl = text.refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
  error: 'expected an http:// or https:// URL such as "http://localhost:3002"',
});

const envName = text.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: "expected the name of an environment variable (letters, digits and _)",
});

const size = z
  .union([z.number(), z.string()], { error: 'expected a size such as "4MB", "512KB" or a number of bytes' })
  .transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined) {
      ctx.addIssue({
        code: "custom",
        message: 'expected a size such as "4MB", "512KB" or a number of bytes',
      });
      return z.NEVER;
    }
    return bytes;
  });

const offset = z
  .union([z.number(), z.string()], { error: 'expected a flash offset such as 0x10000 or "0x10000"' })
  .transform((value, ctx) => {
    const parsed = parseOffset(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: "custom", message: 'expected a flash offset such as 0x10000 or "0x10000"' });
      return z.NEVER;
    }
    return parsed;
  });

const seconds = z
  .number({ error: "expected a number of seconds" })
  .positive({ error: "expected a number of seconds greater than 0" });

const count = z
  .number({ error: "expected a whole number" })
  .int({ error: "expected a whole number" })
  .nonnegative({ error: "expected a whole number of 0 or more" });

const port = z.union(
  [
    text,
    z.strictObject({
      path: text,
      label: text.optional(),
    }),
  ],
  { error: 'expected a port path such as "/dev/ttyUSB0" or { path, label }' },
);

const station = z.strictObject({
  station_id: text,
  ports: z.array(port, { error: "expected a list of ports" }).min(1, { error: "expected at least one port" }),
  board_type: text,
});

const settings = z.looseObject({
  baud: z
    .number({ error: "expected a baud rate such as 115200" })
    .int({ error: "expected a whole baud rate" })
    .positive({ error: "expected a baud rate greater than 0" })
    .optional(),
  reset: text.optional(),
});

const boardConfig = z.strictObject({
  platform: text,
  board_model: text.optional(),
  flash_size: size.optional(),
  firmware_path: text,
  bootloader_path: text.optional(),
  partition_table_path: text.optional(),
  driver: text.optional(),
  offsets: z
    .strictObject({
      bootloader: offset.optional(),
      partition_table: offset.optional(),
      app: offset.optional(),
    })
    .optional(),
  settings: settings.optional(),
});

const qualityGates = z.strictObject({
  max_firmware_size: z
    .record(z.string(), size, { error: "expected a mapping of board type to size" })
    .optional(),
  max_flash_time: seconds.optional(),
  max_retry_attempts: count.optional(),
});

const consoleTest = z.strictObject({
  name: text,
  command: z.string({ error: "expected the command text to send" }),
  expected_response: z.string({ error: "expected the text the device answers with" }),
  timeout: seconds.optional(),
});

const testing = z.strictObject({
  enabled: z.boolean({ error: "expected true or false" }).optional(),
  tests: z.array(consoleTest, { error: "expected a list of tests" }).optional(),
});

const logLevel = z
  .string({ error: "expected a log level: DEBUG, INFO, WARNING or ERROR" })
  .transform((value) => value.trim().toLowerCase())
  .pipe(
    z.enum(["debug", "info", "warning", "warn", "error", "critical"], {
      error: "expected a log level: DEBUG, INFO, WARNING or ERROR",
    }),
  );

const logging = z.strictObject({
  level: logLevel.optional(),
  console_output: z.boolean({ error: "expected true or false" }).optional(),
  max_file_size: size.optional(),
  backup_count: count.optional(),
  file: text.optional(),
});

const registration = z.strictObject({
  url: httpUrl.optional(),
  token_env: envName.optional(),
  timeout: seconds.optional(),
});

const label = z.strictObject({
  qr_payload: text.optional(),
  lines: z.array(z.string({ error: "expected text" }), { error: "expected a list of text lines" }).optional(),
  printer: text.optional(),
});

/** The whole file. */
export const factoryConfigSchema = z.strictObject(
  {
    provisioning_service_url: httpUrl.optional(),
    ota_service_url: httpUrl.optional(),
    device_service_url: httpUrl.optional(),
    registration: registration.optional(),
    batch_id: text.optional(),
    output_dir: text.optional(),
    stations: z.array(station, { error: "expected a list of stations" }).optional(),
    board_configs: z
      .record(z.string(), boardConfig, { error: "expected a mapping of board type to its configuration" })
      .optional(),
    quality_gates: qualityGates.optional(),
    testing: testing.optional(),
    logging: logging.optional(),
    label: label.optional(),
  },
  { error: "expected a mapping of config keys" },
);

/** The validated file, sizes and offsets already converted to numbers. */
export type ParsedConfigFile = z.output<typeof factoryConfigSchema>;

/** Compile-time guard: every config `defineConfig` accepts is one the schema was written for. */
export const inputFitsSchema = (input: FactoryConfigInput): z.input<typeof factoryConfigSchema> => input;
