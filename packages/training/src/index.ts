/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
export * from './loop-exports';
