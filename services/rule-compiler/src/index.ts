// @aami/rule-compiler: the pieces the service is built from (compile, check with promtool/amtool,
// write, reload), for its own main.ts, the integration tests and the bench. No other service
// imports it: the alert-rules domain they share is in @aami/shared (shared/src/alerts/).
export { validateCustomRule, type CustomRuleCheckOptions } from './custom-rules.ts';
export { compileConfig, hashFiles, type CompileOptions, type CompileOutput } from './compile.ts';
export { Compiler, ReloadFailedError, type CompileOutcome, type CandidateReport } from './compiler.ts';
export { readCompileStatus, initialStatus, STATUS_FILE } from './status.ts';
export { checkGeneratedTree, runTool, DEFAULT_TOOLS, type ToolPaths } from './validator.ts';
export { loadRuleCompilerSettings, type RuleCompilerSettings } from './settings.ts';
export { createApp as createCompilerApp, type CompilerApi } from './app.ts';
export { startRuleCompiler, type RuleCompilerService } from './service.ts';
