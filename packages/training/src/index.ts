export * from './loop-exports';
export * from './cli/exports';
