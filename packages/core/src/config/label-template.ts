/**
 * Label and QR payload templates: `https://pair.example.com/{device_id}?p={password}`.
 * `{name}` is replaced by the unit's field; `{{` and `}}` are literal braces.
 */

/** Fields a template may use. */
export const LABEL_FIELDS = [
  "device_id",
  "serial",
  "mac",
  "board_type",
  "board_model",
  "platform",
  "station_id",
  "port",
  "batch_id",
  "firmware_version",
  "password",
  "device_secret",
  "provisioning_token",
  "date",
] as const;

export type LabelTemplateField = (typeof LABEL_FIELDS)[number];

/** Placeholder names used in `template`, in order, and any unbalanced brace position. */
export function labelTemplateFields(template: string): { fields: string[]; unbalancedAt?: number } {
  const fields: string[] = [];
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if ((ch === "{" || ch === "}") && template[i + 1] === ch) {
      i += 2;
      continue;
    }
    if (ch === "}") return { fields, unbalancedAt: i };
    if (ch === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) return { fields, unbalancedAt: i };
      fields.push(template.slice(i + 1, end).trim());
      i = end + 1;
      continue;
    }
    i++;
  }
  return { fields };
}

/** Fills a template. Unknown fields render empty; `values` are used as given. */
export function renderLabelTemplate(
  template: string,
  values: Partial<Record<LabelTemplateField, string>>,
): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, name: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return values[(name ?? "").trim() as LabelTemplateField] ?? "";
  });
}
