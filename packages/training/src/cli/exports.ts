// The command-line layer's public API (the flag parser and one-line errors), re-exported by the
// package's src/index.ts. The runner's own flags and run directories live in @matryoshka/experiment.
export { UserError, HelpRequested } from './errors';
export { parseFlags, givenFlags, mergeFlagSpecs, formatUsage, keyOf, pathOf, getAt, settingDefaults } from './flags';
export type {
  FlagSpec,
  FlagType,
  FlagScalar,
  FlagValue,
  FlagValues,
  ParseFlagsOptions,
  ValueOf,
  SettingsAt,
  DefaultsAt,
  FlagsOf,
  ParsedFlags,
} from './flags';
