// Lints Cypher with Neo4j's own parser and semantic analysis
// (@neo4j-cypher/language-support, the engine behind Neo4j's editors).
//
// stdin:  {"schema": {labels, relationshipTypes, propertyKeys, graphSchema},
//          "versions": ["CYPHER 5", ...],
//          "queries": [{"name": "...", "text": "...", "parameters": {...}}]}
// stdout: [{"name", "version", "diagnostics": [{"severity", "message", "line", "column",
//           "deprecated"}]}]
//
// Functions and procedures come from the catalogue of a real Neo4j database that the
// package ships (testData.mockSchema): built-in and GDS functions only, so a query that
// needs APOC is reported, and built-in or GDS procedures (GDS is an optional plugin that the
// store probes for before it uses it).
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };
const PROCEDURE_PREFIXES = ['db.', 'dbms.', 'tx.', 'gds.'];

function builtInCatalogue(versions) {
  const functions = {};
  const procedures = {};
  for (const version of versions) {
    const knownFunctions = testData.mockSchema.functions?.[version] ?? {};
    const knownProcedures = testData.mockSchema.procedures?.[version] ?? {};
    functions[version] = Object.fromEntries(
      Object.entries(knownFunctions).filter(
        ([name, fn]) => fn.isBuiltIn || name.startsWith('gds.'),
      ),
    );
    procedures[version] = Object.fromEntries(
      Object.entries(knownProcedures).filter(([name]) =>
        PROCEDURE_PREFIXES.some((prefix) => name.startsWith(prefix)),
      ),
    );
  }
  return { functions, procedures };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const input = await readStdin();
const versions = input.versions ?? ['CYPHER 5'];
const catalogue = builtInCatalogue(versions);
const results = [];
for (const query of input.queries) {
  for (const version of versions) {
    const schema = {
      ...input.schema,
      ...catalogue,
      defaultLanguage: version,
      parameters: query.parameters ?? {},
    };
    const { diagnostics } = lintCypherQuery(query.text, schema, {
      consoleCommandsEnabled: false,
    });
    results.push({
      name: query.name,
      version,
      diagnostics: diagnostics.map((d) => ({
        severity: SEVERITY[d.severity] ?? String(d.severity),
        message: d.message,
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        deprecated: (d.tags ?? []).includes(2),
      })),
    });
  }
}
process.stdout.write(JSON.stringify(results));
