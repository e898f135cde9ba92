// Offline validation of a Kubernetes manifest against the API's JSON schemas, strict about unknown fields as
// `kubectl apply` (server-side field validation "Strict") is.
//
// The schemas come from kubernetes-models, which compiles the Kubernetes OpenAPI definitions (and, for CRDs such
// as the Prometheus Operator's, their published schemas) into ajv validators. Those schemas do not forbid
// additional properties, so a misspelt field such as `securityContxt` would pass them; the API server refuses it.
// To catch that too, the validator runs over a proxy of the manifest that records which property names the schema
// looks up: ajv's compiled code reads every property its schema declares, so a key of an object that the schema
// inspected and never asked for is a field the API does not know. Objects the schema walks as maps (labels,
// annotations, ConfigMap data) are enumerated and accept any key; free-form objects are never entered.

/** Packages holding the models of API groups outside Kubernetes itself. */
const crdModelPackages: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

interface KubeModel {
  prototype: { validate(this: unknown): void };
}

interface SchemaError {
  instancePath: string;
  message?: string;
}

/** Where the validator looked: property names read per object, and objects it enumerated as maps. */
class ReadRecorder {
  readonly reads = new WeakMap<object, Set<string>>();
  readonly enumerated = new WeakSet<object>();
  private readonly proxies = new WeakMap<object, object>();

  wrap<T>(value: T): T {
    if (value === null || typeof value !== 'object') return value;
    const target = value as object;
    const known = this.proxies.get(target);
    if (known) return known as T;
    const proxy = new Proxy(target, {
      get: (obj, key, receiver) => {
        if (typeof key === 'string') this.readsOf(obj).add(key);
        return this.wrap(Reflect.get(obj, key, receiver));
      },
      has: (obj, key) => {
        if (typeof key === 'string') this.readsOf(obj).add(key);
        return Reflect.has(obj, key);
      },
      ownKeys: (obj) => {
        this.enumerated.add(obj);
        return Reflect.ownKeys(obj);
      },
    });
    this.proxies.set(target, proxy);
    return proxy as T;
  }

  private readsOf(obj: object): Set<string> {
    let set = this.reads.get(obj);
    if (!set) this.reads.set(obj, (set = new Set()));
    return set;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON Pointer segment escaping (RFC 6901), so paths read like ajv's `instancePath`. */
function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function unknownFields(value: unknown, recorder: ReadRecorder, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => unknownFields(item, recorder, pointer(path, index), out));
    return;
  }
  if (!isPlainObject(value)) return;
  const reads = recorder.reads.get(value);
  // Never entered by the schema: a free-form value, whatever it holds.
  if (!reads) return;
  for (const key of Object.keys(value)) {
    // Walked as a map (labels, ConfigMap data): every key is acceptable; its values still have their schema.
    if (recorder.enumerated.has(value) || reads.has(key)) unknownFields(value[key], recorder, pointer(path, key), out);
    else out.push(`${pointer(path, key)}: unknown field "${key}"`);
  }
}

/** `apiVersion` and `kind` → the module of its kubernetes-models class, e.g. `kubernetes-models/apps/v1/Deployment`. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  if (!/^[a-z0-9.-]*$/.test(group) || !/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return undefined;
  }
  const crdPackage = crdModelPackages[group];
  if (crdPackage) return `${crdPackage}/${group}/${version}/${kind}`;
  if (group.includes('.') && !group.endsWith('.k8s.io')) return undefined;
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

async function loadModel(apiVersion: string, kind: string): Promise<KubeModel | undefined> {
  const specifier = modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  try {
    const mod = (await import(specifier)) as Record<string, unknown>;
    const model = mod[kind] as KubeModel | undefined;
    return typeof model?.prototype?.validate === 'function' ? model : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every way `manifest` breaks its Kubernetes API schema, as `<JSON pointer>: <problem>` lines; empty when it is valid.
 * A kind without a known schema is itself a problem, so nothing passes unchecked.
 */
export async function kubeSchemaErrors(manifest: unknown): Promise<string[]> {
  if (!isPlainObject(manifest)) return [': a manifest must be an object'];
  const { apiVersion, kind } = manifest;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [': apiVersion and kind must be strings'];
  const model = await loadModel(apiVersion, kind);
  if (!model) return [`: no Kubernetes schema known for apiVersion ${apiVersion}, kind ${kind}`];

  const recorder = new ReadRecorder();
  const errors: string[] = [];
  try {
    // The model's validate() runs its compiled schema over `this`: give it the recording proxy.
    model.prototype.validate.call(recorder.wrap(manifest));
  } catch (err) {
    const schemaErrors = (err as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(schemaErrors)) throw err;
    for (const e of schemaErrors) errors.push(`${e.instancePath}: ${e.message ?? 'is invalid'}`);
  }
  unknownFields(manifest, recorder, '', errors);
  return errors;
}

/** Throws with every problem, prefixed by `kind/name`, unless `manifest` is valid. */
export async function assertValidKubeManifest(manifest: unknown): Promise<void> {
  const errors = await kubeSchemaErrors(manifest);
  if (errors.length === 0) return;
  const m = isPlainObject(manifest) ? manifest : {};
  const meta = isPlainObject(m.metadata) ? m.metadata : {};
  const name = `${String(m.kind ?? '?')}/${String(meta.name ?? '?')}`;
  throw new Error(`${name} does not match the Kubernetes API schema:\n  ${errors.join('\n  ')}`);
}
