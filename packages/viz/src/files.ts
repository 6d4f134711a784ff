// The workspace's one atomic file writer lives in @matryoshka/tokenizer (no tensor code, like viz);
// viz re-exports it as part of its public API. It is synchronous and creates the parent directory.
export { writeFileAtomic } from '@matryoshka/tokenizer';
export type { WriteFileAtomicOptions } from '@matryoshka/tokenizer';
