// Registering a model version: create the registered model when absent (another
// process creating it at the same moment is fine), then add a version.
import { LocalStoreError, MlflowError } from './errors';
import type { CreateModelVersionOptions, ModelVersion, RegisteredModel, Store } from './types';

export interface RegisteredVersion {
  model: RegisteredModel;
  version: ModelVersion;
  /** True when this call created the registered model. */
  createdModel: boolean;
}

const alreadyExists = (e: unknown) => (e instanceof MlflowError || e instanceof LocalStoreError) && e.errorCode === 'RESOURCE_ALREADY_EXISTS';

export async function registerModelVersion(store: Store, o: CreateModelVersionOptions & { modelDescription?: string }): Promise<RegisteredVersion> {
  const where = `the Model Registry of ${store.uri}`;
  const wrap = (what: string) => (e: unknown): never => {
    throw new Error(`cannot ${what} in ${where}: ${(e as Error).message}`);
  };
  let model = await store.getRegisteredModel(o.name).catch(wrap(`look up registered model '${o.name}'`));
  let createdModel = false;
  if (!model) {
    try {
      model = await store.createRegisteredModel(o.name, { description: o.modelDescription });
      createdModel = true;
    } catch (e) {
      if (!alreadyExists(e)) wrap(`create registered model '${o.name}'`)(e);
      model = await store.getRegisteredModel(o.name).catch(wrap(`look up registered model '${o.name}'`));
      if (!model) wrap(`create registered model '${o.name}'`)(e);
    }
  }
  const version = await store.createModelVersion({ name: o.name, source: o.source, runId: o.runId, tags: o.tags, description: o.description })
    .catch(wrap(`add a version to registered model '${o.name}'`));
  return { model: model!, version, createdModel };
}
