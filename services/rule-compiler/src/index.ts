// @aami/rule-compiler: the domain functions the API gateway and the CLI call (list presets, list the
// effective rules of a config, validate an override or a custom rule, dry-run a config, read the
// compile status), plus the pieces the service is built from.
export { loadPresetCatalog, parsePresetCatalog, getPreset, presetRuleNames, DEFAULT_PRESETS_DIR, type PresetCatalog, type CatalogRule } from './preset-catalog.ts';
export { Preset, PresetRule, Threshold, Component, PresetName, RuleName } from './preset-schema.ts';
export { listPresets, type PresetSummary } from './presets-list.ts';
export { effectiveRules, type EffectiveRule, type EffectiveRuleSet, type RuleSource } from './effective-rules.ts';
export { validateOverride, applyOverride, checkOverride } from './overrides.ts';
export { validateCustomRule, type CustomRuleCheckOptions } from './custom-rules.ts';
export { compileConfig, hashFiles, type CompileOptions, type CompileOutput } from './compile.ts';
export { Compiler, ReloadFailedError, type CompileOutcome, type CandidateReport } from './compiler.ts';
export { readCompileStatus, CompileStatus, CompileState, STATUS_FILE } from './status.ts';
export { renderTemplate, checkTemplate } from './annotation-template.ts';
export { checkGeneratedTree, runTool, DEFAULT_TOOLS, type ToolPaths } from './validator.ts';
export { loadRuleCompilerSettings, type RuleCompilerSettings } from './settings.ts';
export { createApp as createCompilerApp, type CompilerApi } from './app.ts';
export { startRuleCompiler, type RuleCompilerService } from './service.ts';
