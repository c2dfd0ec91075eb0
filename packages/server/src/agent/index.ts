export type { AgentFile } from "./agent-files";
export { agentConfigTemplate, agentFiles, agentScriptPath } from "./agent-files";
export { publishAgentToCdn } from "./publish";
export { agentRoutes } from "./routes";
