/** The layering rules of polar-flows (README "Layout"); `npm run lint` fails on a violation. */
module.exports = {
  forbidden: [
    {
      name: "http-is-the-outer-layer",
      comment:
        "Only server/ (and the benchmarks) may import server/: the run core, tools, triggers and the console's API are called by HTTP, never the other way round.",
      severity: "error",
      from: { path: "^(?!server/|bench/)" },
      to: { path: "^server/" },
    },
    {
      name: "polar-is-self-contained",
      comment:
        "The Polar gateway and simulator import only polar/ and the small shared helpers in lib/.",
      severity: "error",
      from: { path: "^polar/" },
      to: {
        path: "^(?!polar/|lib/|node_modules/)[^/]+/",
        dependencyTypesNot: [
          "npm",
          "npm-dev",
          "core",
          "npm-no-pkg",
          "npm-unknown",
          "unknown",
          "undetermined",
        ],
      },
    },
    {
      name: "no-circular",
      comment:
        "No two files import each other, directly or through others — type imports included.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|data|coverage)/" },
    // Type-only imports count: a cycle through types is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
