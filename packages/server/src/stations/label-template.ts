import type { Label, LabelTemplate } from "@factory/core";
import { type LabelTemplateConfig, TEMPLATE_PLACEHOLDER } from "./config";

const PASSWORD = /\{(admin_password|services_password)\}/;

/**
 * Builds the station's {@link LabelTemplate} from config: `{serial}`, `{mac}`,
 * `{admin_password}` and `{services_password}` are filled in; a field holding a password is
 * marked secret and printed in the unambiguous monospace face unless the config says otherwise.
 *
 * @example
 * const template = labelTemplateFromConfig({ title: "PrivateBox", qr: "https://privatebox.dk/setup?serial={serial}", … });
 */
export function labelTemplateFromConfig(config: LabelTemplateConfig): LabelTemplate {
  return (unit, credentials): Label => {
    const values: Record<string, string> = {
      serial: unit.serial,
      mac: unit.mac,
      admin_password: credentials.adminPassword,
      services_password: credentials.servicesPassword,
    };
    const fill = (text: string) => text.replace(TEMPLATE_PLACEHOLDER, (_, key: string) => values[key] ?? "");
    return {
      title: fill(config.title),
      serial: unit.serial,
      fields: config.fields.map((f) => {
        const secret = f.secret ?? PASSWORD.test(f.value);
        return {
          caption: f.caption,
          value: fill(f.value),
          ...(secret && { secret: true }),
          ...((f.monospace ?? secret) && { monospace: true }),
        };
      }),
      ...(config.qr && { qr: fill(config.qr) }),
      ...(config.footer && { footer: fill(config.footer) }),
      widthMm: config.widthMm,
      heightMm: config.heightMm,
    };
  };
}
