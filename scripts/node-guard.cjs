// Which Node versions can run Sluice: package.json's `engines.node`, checked before anything
// else runs. Plain CommonJS in old syntax on purpose, so even a Node far too old to run the
// project can read it and print one line instead of a syntax error.
'use strict';

function parse(version) {
  var parts = String(version).replace(/^v/, '').split('.');
  return [Number(parts[0]) || 0, Number(parts[1]) || 0, Number(parts[2]) || 0];
}

function compare(a, b) {
  for (var i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** One comparator: `>=20.19.0`, `<21`, `^22.12.0`, `24.x`, or an exact version. */
function matches(version, comparator) {
  var m = /^(>=|<=|>|<|\^|=)?v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(comparator);
  if (!m) throw new Error('unsupported range comparator "' + comparator + '" in engines.node');
  var op = m[1] || '=';
  var wanted = [
    Number(m[2]),
    m[3] === 'x' || m[3] === undefined ? 0 : Number(m[3]),
    m[4] === 'x' || m[4] === undefined ? 0 : Number(m[4]),
  ];
  var c = compare(version, wanted);
  if (op === '^') return version[0] === wanted[0] && c >= 0;
  if (op === '>=') return c >= 0;
  if (op === '>') return c > 0;
  if (op === '<=') return c <= 0;
  if (op === '<') return c < 0;
  // `=`: as many parts as given must be equal (`24` and `24.x` mean any 24).
  if (m[3] === undefined || m[3] === 'x') return version[0] === wanted[0];
  if (m[4] === undefined || m[4] === 'x') return version[0] === wanted[0] && version[1] === wanted[1];
  return c === 0;
}

/** Whether `version` satisfies `range` (`||` alternatives of space-separated comparators). */
function satisfies(version, range) {
  var v = parse(version);
  return range.split('||').some(function (alternative) {
    return alternative
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every(function (comparator) {
        return matches(v, comparator);
      });
  });
}

/** The one line to print when this Node cannot run Sluice, or null when it can. */
function nodeVersionProblem(version, range) {
  if (satisfies(version, range)) return null;
  return (
    'Node ' +
    String(version).replace(/^v/, '') +
    ' cannot run Sluice: it needs Node ' +
    range +
    ' (`nvm install` reads .nvmrc) [NODE_UNSUPPORTED]'
  );
}

module.exports = { satisfies: satisfies, nodeVersionProblem: nodeVersionProblem };
