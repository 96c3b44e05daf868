// ESLint for the web app's own scripts (`make lint`): ES modules in the browser.
// Vendor libraries are classic scripts, so their globals are not declared here:
// a module reads them as globalThis.uPlot, globalThis.katex, visibly.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["webapp/static/cairn/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: globals.browser,
    },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      // Modules share through exports; a hook for tests says so where it is set.
      "no-restricted-syntax": ["error", {
        selector: "AssignmentExpression > MemberExpression.left[object.name=/^(window|globalThis|self)$/]",
        message: "Export it from a module instead of putting it on window.",
      }],
    },
  },
];
