// The error-code registry: every code an error is built with anywhere in src/ is registered, none is registered
// without being used, and README's error table is the one the registry generates.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { registeredCodes } from '../src/errors/codes.js';
import { regenerateReadme } from '../scripts/readme-sections.js';
import { projectRoot } from './support/project.js';

interface CodeUse {
  readonly code: string;
  readonly at: string;
}

/**
 * Every `new X(…)` and `super(…)` in src/ whose callee has a parameter named `code` and builds an AppError: the
 * string literal types that argument can have (a literal, or a union of them such as AuthFailureCode). Read through
 * the type checker, so codes passed through helpers and variables count too; a code typed as plain `string` is
 * reported, since nothing could then say which codes it may carry.
 */
function codesBuiltInSource(): { uses: CodeUse[]; untyped: string[] } {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(projectRoot, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  assert.ok(parsed);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const appErrorFile = path.join(projectRoot, 'src', 'errors', 'app-error.ts');
  const appError = program.getSourceFile(appErrorFile);
  assert.ok(appError, 'src/errors/app-error.ts is part of the build');
  const appErrorSymbol = checker.getSymbolAtLocation(
    appError.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === 'AppError')!.name!,
  )!;
  const isAppError = (type: ts.Type, seen = new Set<ts.Type>()): boolean => {
    if (!type.isClassOrInterface() || seen.has(type)) return false;
    seen.add(type);
    return type.getSymbol() === appErrorSymbol || (checker.getBaseTypes(type) ?? []).some((base) => isAppError(base, seen));
  };

  const enclosingClassType = (node: ts.Node): ts.Type => {
    let at: ts.Node | undefined = node;
    while (at && !ts.isClassLike(at)) at = at.parent;
    return checker.getTypeAtLocation(at ?? node);
  };

  const uses: CodeUse[] = [];
  const untyped: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(path.join(projectRoot, 'src'))) continue;
    const visit = (node: ts.Node): void => {
      const isSuper = ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword;
      if (ts.isNewExpression(node) || isSuper) {
        const call = node as ts.NewExpression | ts.CallExpression;
        const built = ts.isNewExpression(node) ? checker.getTypeAtLocation(node) : enclosingClassType(node);
        const signature = checker.getResolvedSignature(call);
        const index = signature?.parameters.findIndex((p) => p.name === 'code') ?? -1;
        const arg = index >= 0 ? call.arguments?.[index] : undefined;
        if (arg && isAppError(built)) {
          const { line } = file.getLineAndCharacterOfPosition(arg.getStart());
          const at = `${path.relative(projectRoot, file.fileName)}:${line + 1}`;
          const type = checker.getTypeAtLocation(arg);
          // An error class handing its own `code` parameter on to AppError passes codes through; it uses none.
          if (type.aliasSymbol && PASS_THROUGH.has(type.aliasSymbol.name)) return ts.forEachChild(node, visit);
          const members = type.isUnion() ? type.types : [type];
          if (members.every((m) => m.isStringLiteral())) {
            for (const m of members) uses.push({ code: (m as ts.StringLiteralType).value, at });
          } else {
            untyped.push(`${at}: ${checker.typeToString(type)}`);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { uses, untyped };
}

const PASS_THROUGH = new Set(['ErrorCode', 'CodeWithStatus']);

let scanned: ReturnType<typeof codesBuiltInSource> | undefined;
const scan = (): ReturnType<typeof codesBuiltInSource> => (scanned ??= codesBuiltInSource());

describe('error codes', () => {
  it('when any module in src/ builds an error, then its code is in src/errors/codes.ts', () => {
    const { uses, untyped } = scan();
    const registered = new Set(registeredCodes().map((c) => c.code));
    assert.deepEqual(untyped, [], 'every error code is a literal or a union of literals');
    assert.ok(uses.length > 50, `found ${uses.length} places that build coded errors`);
    const unregistered = uses.filter((u) => !registered.has(u.code as never)).map((u) => `${u.code} (${u.at})`);
    assert.deepEqual(unregistered, [], 'register these codes in src/errors/codes.ts, then run npm run gen:docs');
  });

  it('when a code is registered, then some module in src/ still uses it', () => {
    const { uses } = scan();
    const used = new Set(uses.map((u) => u.code));
    const stale = registeredCodes().filter((c) => !used.has(c.code)).map((c) => c.code);
    assert.deepEqual(stale, [], 'these registered codes are never raised: remove them from src/errors/codes.ts');
  });

  it('when README is compared with the registry, then its error table is the generated one (npm run gen:docs)', async () => {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8');
    assert.equal(readme, regenerateReadme(readme));
    for (const { code, status } of registeredCodes()) assert.match(readme, new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });
});
