export { FlagdDefinitionsProvider } from "./flagd-definitions-provider.js";
export { databaseSource, fileSource, staticSource, type DefinitionsSource, type FeatureFlagsTable, type FlagsDatabase } from "./definitions-source.js";
