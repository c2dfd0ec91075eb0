import path from "node:path";
import { parseArgs } from "node:util";
import {
  type CliCommand,
  type CliIO,
  CONFIG_FILE_NAMES,
  findConfigFile,
  formatConfig,
  loadConfig,
} from "@factory/core";
import { usageError } from "../usage-error";

const USAGE = `Usage: factory config check [FILE] [--json] [--load-drivers]

Validates a line's config before any device is touched: the YAML and its keys, image files and
their quality gates, ports listed twice, stations naming unknown board types, driver packages.
Prints the normalized config (absolute paths, sizes in bytes, defaults filled) and exits 0, or
prints every problem as FILE:LINE:COL key.path: message and exits 1.

FILE defaults to the first of ${CONFIG_FILE_NAMES.join(", ")} in the working directory.

Options:
  --json           print the normalized config as JSON instead of YAML
  --load-drivers   import each driver package and check it flashes its platform
                   (default: only check that the package is installed)
  -h, --help       show this help`;

export const configCheck: CliCommand = {
  summary: "validate a factory-config.yaml and print it normalized",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean", default: false },
        "load-drivers": { type: "boolean", default: false },
      },
    });
    if (positionals.length > 1) throw usageError(`expected one config file, got ${positionals.length}`);
    let file = positionals[0];
    if (file === undefined) {
      const found = await findConfigFile(io.cwd);
      if (!found)
        throw usageError(`no config file given, and none of ${CONFIG_FILE_NAMES.join(", ")} in ${io.cwd}`);
      file = path.relative(io.cwd, found) || found;
    }
    const config = await loadConfig(file, {
      cwd: io.cwd,
      signal: io.signal,
      drivers: values["load-drivers"] ? "load" : "resolve",
    });
    io.stdout.write(formatConfig(config, values.json ? "json" : "yaml"));
    const stations = config.stations.length;
    const boards = Object.keys(config.boardConfigs).length;
    io.stderr.write(
      `ok ${file}: ${stations} station${stations === 1 ? "" : "s"}, ${boards} board config${boards === 1 ? "" : "s"}\n`,
    );
    return 0;
  },
};
