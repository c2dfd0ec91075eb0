import { createError, ErrorCodes } from "@factory/core";
import { z } from "zod";

/** A driver named by package, as written in config: `{ driver: "@factory/driver-procurve", options: {…} }`. */
const driverRef = z
  .object({
    /** npm package that exports the factory. */
    driver: z.string().min(1),
    /** Named export holding the factory, when not the default export. */
    export: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const placeholder = /\{(serial|mac|admin_password|services_password)\}/g;
const publicText = z
  .string()
  .max(512)
  .refine((s) => !/\{(admin_password|services_password)\}/.test(s), {
    message: "only {serial} and {mac} may appear here (passwords go in secret fields)",
  });

const templateSchema = z
  .object({
    title: publicText.default("PrivateBox"),
    /** Printed in this order below the title and serial. */
    fields: z
      .array(
        z
          .object({
            caption: z.string().min(1).max(32),
            /** Text with `{serial}`, `{mac}`, `{admin_password}`, `{services_password}`. */
            value: z.string().min(1).max(256),
            /** Defaults to true when the value holds a password. */
            secret: z.boolean().optional(),
            monospace: z.boolean().optional(),
          })
          .strict(),
      )
      .max(12)
      .default([
        { caption: "SSH", value: "{admin_password}" },
        { caption: "Web", value: "{services_password}" },
      ]),
    /** QR content, e.g. `https://privatebox.dk/setup?serial={serial}`; no QR when empty. */
    qr: publicText.optional(),
    footer: publicText.optional(),
    widthMm: z.number().positive().max(300).default(100),
    heightMm: z.number().positive().max(300).default(60),
  })
  .strict();

const labelSchema = z
  .object({
    /** Audit name of the station (default `label-station`). */
    name: z.string().min(1).max(64).default("label-station"),
    /** Overrides the shared `stations.switch`. */
    switch: driverRef.optional(),
    port: z.string().min(1).max(32).default("21"),
    printer: driverRef,
    template: templateSchema.default(templateSchema.parse({})),
    askBeforePrint: z.boolean().default(true),
    timeouts: z
      .object({ backend: z.number().int().min(100).optional(), print: z.number().int().min(100).optional() })
      .strict()
      .optional(),
    /** The production server to work against when the station runs on another host. */
    backend: z
      .object({ url: z.string().url(), token: z.string().min(16) })
      .strict()
      .optional(),
  })
  .strict();

const sshSchema = z
  .object({
    username: z.string().min(1).max(64),
    /** TCP port of the unit's SSH server (default 22). */
    port: z.number().int().min(1).max(65535).default(22),
    password: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    passphrase: z.string().optional(),
    /**
     * `fingerprints`: accept only host keys whose SHA256 fingerprint is listed. `any`: accept
     * every host key (units generate theirs on first boot and are reinstalled often; use only on
     * the isolated factory network).
     */
    hostKeys: z
      .discriminatedUnion("policy", [
        z.object({ policy: z.literal("any") }).strict(),
        z.object({ policy: z.literal("fingerprints"), sha256: z.array(z.string().min(8)).min(1) }).strict(),
      ])
      .default({ policy: "any" }),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .refine((s) => s.password !== undefined || s.privateKeyFile !== undefined, {
    message: "give a password or a privateKeyFile",
  });

const debugSchema = z
  .object({
    name: z.string().min(1).max(64).default("debug-station"),
    switch: driverRef.optional(),
    port: z.string().min(1).max(32).default("22"),
    ssh: sshSchema,
    /** Where the unit's address comes from, in order (default: its requests to this server, then ARP). */
    addressSources: z
      .array(z.enum(["contacts", "arp"]))
      .min(1)
      .default(["contacts", "arp"]),
    /** Bound for each command, ms. */
    commandTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
    /** Largest output kept per command, bytes. */
    maxOutputBytes: z.number().int().min(1024).max(4_000_000).default(1_000_000),
  })
  .strict();

export const stationsSchema = z
  .object({
    /** The switch both stations watch (each may name its own instead). */
    switch: driverRef.optional(),
    label: labelSchema.optional(),
    debug: debugSchema.optional(),
  })
  .strict();

export type StationsConfig = z.input<typeof stationsSchema>;
export type ResolvedStationsConfig = z.output<typeof stationsSchema>;
export type LabelStationConfig = z.output<typeof labelSchema>;
export type DebugStationConfig = z.output<typeof debugSchema>;
export type LabelTemplateConfig = z.output<typeof templateSchema>;
export type DriverRef = z.output<typeof driverRef>;

/** Validates the `stations` section of the server config; bad input → `CONFIG_INVALID` naming the field. */
export function parseStationsConfig(raw: unknown): ResolvedStationsConfig {
  const parsed = stationsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw createError(
      "server",
      ErrorCodes.CONFIG_INVALID,
      `stations.${i.path.join(".") || "(root)"}: ${i.message}`,
    );
  }
  const c = parsed.data;
  for (const [name, s] of [
    ["label", c.label],
    ["debug", c.debug],
  ] as const) {
    if (s && !s.switch && !c.switch) {
      throw createError(
        "server",
        ErrorCodes.CONFIG_INVALID,
        `stations.${name} needs a switch (stations.switch or stations.${name}.switch)`,
      );
    }
  }
  return c;
}

/** The placeholders a label template may use. */
export const TEMPLATE_PLACEHOLDER = placeholder;
