export type { CheckOptions } from "./checks";
export { closestMatch, didYouMean, editDistance } from "./did-you-mean";
export { formatConfig } from "./format-config";
export type { ConfigIssue, ConfigPath } from "./issues";
export { formatIssue, formatPath } from "./issues";
export type { LabelTemplateField } from "./label-template";
export { LABEL_FIELDS, labelTemplateFields, renderLabelTemplate } from "./label-template";
export type { LoadConfigOptions, ParseConfigOptions } from "./load-config";
export {
  CONFIG_FILE_NAMES,
  defineConfig,
  findConfigFile,
  loadConfig,
  parseConfig,
  validateConfig,
} from "./load-config";
export { defaultOffsets, KNOWN_PLATFORMS } from "./platform-defaults";
export { formatOffset, formatSize, parseOffset, parseSize } from "./sizes";
export type * from "./types";
