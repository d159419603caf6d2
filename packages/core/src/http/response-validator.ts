/**
 * Checks every response against the OpenAPI document (docs/decisions.md D85): the status must be
 * one the operation documents and the body must match that status's schema. Off by default; the
 * test suite turns it on for every server it starts, in-process or as a child process, through
 * JIEMA_VALIDATE_RESPONSES, and fails the test that observed an undocumented response.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { buildOpenApi } from './openapi.js';
import { compileRoute, matchPath, type Route } from './route.js';

export interface ResponseViolation {
  method: string;
  path: string;
  status: number;
  operationId: string;
  problem: string;
  body: string;
}

export type ViolationReporter = (violation: ResponseViolation) => void;

type Json = Record<string, any>;

/** On when JIEMA_VALIDATE_RESPONSES is 1 or true. */
export const responseValidationFromEnv = (): boolean => /^(1|true)$/i.test(process.env.JIEMA_VALIDATE_RESPONSES ?? '');

/**
 * The reporter the environment asks for: each violation is logged, and appended as a JSON line to
 * `<JIEMA_RESPONSE_VIOLATIONS_DIR>/<pid>.jsonl` when that is set (how a test learns of a child
 * process's violations).
 */
export function defaultViolationReporter(log: { error(o: object): void }): ViolationReporter {
  return (v) => {
    log.error({ event: 'http.response_undocumented', ...v });
    const dir = process.env.JIEMA_RESPONSE_VIOLATIONS_DIR;
    if (dir) appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(v)}\n`);
  };
}

export interface ResponseValidator {
  /** The problem with this response, or undefined when the document describes it. */
  check(method: string, path: string, status: number, body: string): { operationId: string; problem: string } | undefined;
}

/** Compiled schemas, shared by every app of the process (tests start hundreds): by schema text. */
const compiledByText = new Map<string, ValidateFunction>();
let ajv: import('ajv').default | undefined;

function compile(schema: Json, defs: Json): ValidateFunction {
  const text = JSON.stringify({ ...schema, $defs: defs }).replaceAll('"#/components/schemas/', '"#/$defs/');
  let v = compiledByText.get(text);
  if (!v) {
    // ajv is only loaded when validation is on; production servers never pay for it.
    if (!ajv) {
      const { default: Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as { default: typeof import('ajv').default };
      ajv = new Ajv2020({ strict: false, allErrors: true });
    }
    v = ajv.compile(JSON.parse(text) as Json);
    compiledByText.set(text, v);
  }
  return v;
}

/** What the document says of one route: built from the route alone, the first time it answers. */
interface Described {
  operation: Json;
  components: Json;
  validators: Map<number, ValidateFunction>;
}
const describedRoutes = new WeakMap<Route, Described>();

function describe(route: Route): Described {
  let d = describedRoutes.get(route);
  if (!d) {
    const doc = buildOpenApi([route], { version: 'validation' }) as Json;
    d = {
      operation: doc.paths[route.path.replace(/:(\w+)/g, '{$1}')][route.method.toLowerCase()] as Json,
      components: doc.components as Json,
      validators: new Map(),
    };
    describedRoutes.set(route, d);
  }
  return d;
}

export function createResponseValidator(routes: readonly Route[]): ResponseValidator {
  const compiled = routes.map(compileRoute);
  return {
    check(method, path, status, body) {
      const c = compiled.find((x) => x.route.method === method && matchPath(x, path));
      if (!c) return undefined;
      const { operationId } = c.route;
      const described = describe(c.route);
      const { operation, components } = described;
      const ref = operation.responses[String(status)] as Json | undefined;
      const response = (ref?.$ref ? components.responses[String(ref.$ref).split('/').pop()!] : ref) as Json | undefined;
      if (!response)
        return {
          operationId,
          problem: `status ${status} is not documented for ${operationId} (documented: ${Object.keys(operation.responses).join(', ')})`,
        };
      // A stream of server-sent events: its status is what can be checked here.
      if (response.content?.['text/event-stream']) return undefined;
      // A documented answer that is not JSON (the metrics' text): its status is what can be checked.
      if (!response.content?.['application/json']) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return { operationId, problem: 'the body is not JSON' };
      }
      let validate = described.validators.get(status);
      if (!validate)
        described.validators.set(
          status,
          (validate = compile(response.content['application/json'].schema as Json, (components.schemas ?? {}) as Json)),
        );
      if (validate(value)) return undefined;
      const errors = (validate.errors ?? []).map(
        (e) =>
          `${e.instancePath || '(body)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`,
      );
      return { operationId, problem: `the body does not match the documented schema of ${operationId} ${status}: ${errors.join('; ')}` };
    },
  };
}

/** Wraps a request listener: each response it ends is checked, and reported when undocumented. */
export function withResponseValidation(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  validator: ResponseValidator,
  report: ViolationReporter,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const path = url.split('?')[0]!;
      const chunk = args[0];
      const body = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      // HEAD answers carry no body: only their status is checked, as the GET's.
      const asMethod = method === 'HEAD' ? 'GET' : method;
      const problem = validator.check(asMethod, path, res.statusCode, method === 'HEAD' ? 'null' : body);
      if (problem && !(method === 'HEAD' && problem.problem.startsWith('the body'))) {
        report({
          method,
          path,
          status: res.statusCode,
          operationId: problem.operationId,
          problem: problem.problem,
          body: body.slice(0, 2_000),
        });
      }
      return end(...args);
    };
    listener(req, res);
  };
}
