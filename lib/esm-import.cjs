// Loads an ES module from CommonJS. TypeScript compiling to CommonJS rewrites `import()` into
// `require()`, which cannot load ESM-only packages with top-level await (vega 6, vega-lite 6);
// a real .cjs file keeps the dynamic import. Lives outside src/ so that both src/ (tsx) and
// dist/ (tsc, which does not copy .cjs files) reach it at ../../lib/esm-import.cjs.
module.exports = (specifier) => import(specifier);
