// MLflow's Model Registry in a file store, laid out as MLflow 2.x's registry
// FileStore writes it (so `mlflow ui --backend-store-uri <store>` lists the models):
//   models/<name>/meta.yaml            name, creation/last-updated timestamps, description, aliases
//   models/<name>/tags/<key>           raw value, no trailing newline
//   models/<name>/version-<n>/meta.yaml  name, version (int), source, run_id, current_stage None, status READY, ...
//   models/<name>/version-<n>/tags/<key>
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalStoreError } from './errors';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml';
import type { CreateModelVersionOptions, ModelVersion, RegisteredModel } from './types';

function atomicWrite(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** MLflow refuses names with a path separator or '%' (they become folder names). */
function checkName(name: string): void {
  if (!name || /[/\\%]/.test(name) || name === '.' || name === '..') {
    throw new LocalStoreError(`Invalid name: '${name}'. Registered model name cannot be empty or contain '/', '\\' or '%'`, 'INVALID_PARAMETER_VALUE');
  }
}

function readTags(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    if (e.name.includes('.tmp-')) continue;
    if (e.isDirectory()) Object.assign(out, readTags(path.join(dir, e.name), `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = fs.readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

function writeTags(dir: string, tags: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (!k || k.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new LocalStoreError(`invalid tag key '${k}'`, 'INVALID_PARAMETER_VALUE');
    atomicWrite(path.join(dir, ...k.split('/')), v);
  }
}

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v));

export class FileRegistry {
  constructor(readonly root: string) {}

  private modelDir(name: string): string {
    checkName(name);
    return path.join(this.root, 'models', name);
  }

  private versions(name: string): ModelVersion[] {
    const dir = this.modelDir(name);
    const out: ModelVersion[] = [];
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const m = /^version-(\d+)$/.exec(d);
      const text = m ? (() => { try { return fs.readFileSync(path.join(dir, d, 'meta.yaml'), 'utf8'); } catch { return undefined; } })() : undefined;
      if (text === undefined) continue;
      const meta = parsePyYaml(text, path.join(dir, d, 'meta.yaml'));
      if (meta.current_stage === 'Deleted_Internal') continue;
      out.push({
        name, version: String(meta.version), source: String(meta.source ?? ''), runId: str(meta.run_id), status: str(meta.status),
        currentStage: str(meta.current_stage), creationTimestamp: num(meta.creation_timestamp), description: str(meta.description),
        tags: readTags(path.join(dir, d, 'tags')),
      });
    }
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    const dir = this.modelDir(name);
    let text: string;
    try { text = fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const meta = parsePyYaml(text, path.join(dir, 'meta.yaml'));
    const versions = this.versions(name);
    // MLflow's latest_versions: the newest version of each stage.
    const latest = new Map<string, ModelVersion>();
    for (const v of versions) latest.set(v.currentStage ?? 'None', v);
    return {
      name, creationTimestamp: num(meta.creation_timestamp), lastUpdatedTimestamp: num(meta.last_updated_timestamp),
      description: str(meta.description), tags: readTags(path.join(dir, 'tags')), latestVersions: [...latest.values()],
    };
  }

  async createRegisteredModel(name: string, o: { tags?: Record<string, string>; description?: string } = {}): Promise<RegisteredModel> {
    const dir = this.modelDir(name);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new LocalStoreError(`Registered Model (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
      throw e;
    }
    const now = Date.now();
    atomicWrite(path.join(dir, 'meta.yaml'), dumpPyYaml({ aliases: [], creation_timestamp: now, description: o.description ?? null, last_updated_timestamp: now, name }));
    writeTags(path.join(dir, 'tags'), o.tags);
    return (await this.getRegisteredModel(name))!;
  }

  async createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    const dir = this.modelDir(o.name);
    const metaFile = path.join(dir, 'meta.yaml');
    if (!fs.existsSync(metaFile)) throw new LocalStoreError(`Registered Model with name=${o.name} not found`, 'RESOURCE_DOES_NOT_EXIST');
    // The version folder is created exclusively: two processes never get the same number.
    for (let attempt = 0; attempt < 20; attempt++) {
      const version = Math.max(0, ...fs.readdirSync(dir).map((d) => Number(/^version-(\d+)$/.exec(d)?.[1] ?? 0))) + 1;
      const vdir = path.join(dir, `version-${version}`);
      try { fs.mkdirSync(vdir); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const now = Date.now();
      atomicWrite(path.join(vdir, 'meta.yaml'), dumpPyYaml({
        aliases: [], creation_timestamp: now, current_stage: 'None', description: o.description ?? null, last_updated_timestamp: now,
        name: o.name, run_id: o.runId ?? null, run_link: null, source: o.source, status: 'READY', status_message: null,
        storage_location: o.source, user_id: null, version,
      }));
      writeTags(path.join(vdir, 'tags'), o.tags);
      const meta = parsePyYaml(fs.readFileSync(metaFile, 'utf8'), metaFile);
      atomicWrite(metaFile, dumpPyYaml({ ...(meta as { [k: string]: YamlValue }), last_updated_timestamp: now }));
      return this.versions(o.name).find((v) => v.version === String(version))!;
    }
    throw new LocalStoreError(`could not allocate a version folder under ${dir}`, 'INTERNAL_ERROR');
  }
}
