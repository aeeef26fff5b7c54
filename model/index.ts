export * from './sizeClass.ts';
export * from './model.ts';
export * from './oracle.ts';
