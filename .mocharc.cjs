// Specs are compiled by tsc with the rest of the project (npm test type-checks first), so mocha
// runs the JavaScript under dist/ and source maps point failures back at the .ts files.
module.exports = {
  require: ['source-map-support/register', 'dist/spec/helpers/setup.js'],
  timeout: 30000,
  recursive: true,
  exit: false,
};
