// The DLMI lymphocytosis layout, as distributed: `clinical_annotation.csv`
// (ID, LABEL, GENDER, DOB, LYMPH_COUNT; LABEL 1 malignant, 0 reactive, -1 the
// challenge's unlabelled test patients) and one folder of cell images per
// patient, `trainset/<ID>/*.jpg` (or `testset/<ID>/`). Every image is an item
// whose group is its patient; the patient's row is copied into `extra` with
// AGE (from the year that ends DOB) added, so `dataset.bags: ID` and
// `dataset.metadata: [AGE, LYMPH_COUNT]` work as written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import type { Dataset, DatasetItem } from './types';
import { BadInputCollector, DataError } from './bad-input';
import { findColumn, readCsv, requireColumn } from './csv';
import { isImageName, IMAGE_EXT } from './files';

/** Age = this year minus the year of birth (the synthetic set uses the same year; standardisation makes the choice irrelevant to models). */
export const DLMI_REFERENCE_YEAR = 2023;

export const DLMI_LABELS: Record<string, string> = { '0': 'reactive', '1': 'malignant' };
const IMAGE_DIRS = ['trainset', 'testset'];

/** The year of a date of birth: `11/3/1933`, `3-11-1933`, `1933-11-03`; undefined when there is none. */
export function birthYear(dob: string): number | undefined {
  const t = dob.trim();
  const m = /(?:^|\D)(\d{4})\s*$/.exec(t) ?? /^(\d{4})(?:\D|$)/.exec(t);
  return m ? Number(m[1]) : undefined;
}

/** Patients with LABEL -1 (the challenge's test set) are not returned: `unlabelled` counts them. */
export function loadDlmi(cfg: DatasetConfig, bad: BadInputCollector): Dataset & { unlabelled: number } {
  const root = cfg.root;
  const file = cfg.manifest ?? (root ? path.join(root, 'clinical_annotation.csv') : undefined);
  if (!file || !fs.existsSync(file)) {
    throw new DataError(`dataset.format dlmi: ${file ?? 'clinical_annotation.csv'} does not exist. Point dataset.root at the unpacked DLMI folder (clinical_annotation.csv, trainset/, testset/) or set dataset.manifest`);
  }
  const base = root ?? path.dirname(file);
  const t = readCsv(file);
  const col = (key: keyof DatasetConfig['columns'], guesses: string[], what: string) => {
    const configured = cfg.columns[key];
    if (configured) return requireColumn(t, configured, `dataset.columns.${key}`);
    const found = findColumn(t, guesses);
    if (!found) throw new DataError(`${file} has no ${what} column (looked for ${guesses.join(', ')}). Columns: ${t.header.join(', ')}. Set dataset.columns.${key}`);
    return found;
  };
  const idCol = col('id', ['ID', 'patient', 'patient_id'], 'patient ID');
  const labelCol = col('label', ['LABEL', 'label'], 'LABEL');
  const dobCol = findColumn(t, ['DOB', 'date_of_birth']);
  const genderCol = findColumn(t, ['GENDER', 'sex']);
  const items: DatasetItem[] = [];
  let unlabelled = 0;
  const seen = new Set<string>();
  for (const row of t.rows) {
    const v = row.values, where = `${file}:${row.line}`;
    const id = v[idCol]?.trim();
    if (!id) { bad.add(where, `empty ${idCol}: fill it in or delete the row`); continue; }
    if (seen.has(id)) { bad.add(where, `patient ${id} is listed twice: keep one row`, id); continue; }
    seen.add(id);
    const raw = (v[labelCol] ?? '').trim();
    if (raw === '-1') { unlabelled++; continue; }
    const label = DLMI_LABELS[String(Number(raw))] ?? (raw.toLowerCase() in { reactive: 1, malignant: 1 } ? raw.toLowerCase() : undefined);
    if (!label) { bad.add(where, `LABEL '${raw}' of ${id} is not 0 (reactive), 1 (malignant) or -1 (unlabelled): fix it`, id); continue; }
    const extra: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (k !== '' && k !== labelCol) extra[k] = x.trim();
    // Spellings of one category differ in the real file (F and f).
    if (genderCol) extra[genderCol] = extra[genderCol].toUpperCase();
    if (dobCol) {
      const year = birthYear(v[dobCol] ?? '');
      if (year === undefined) { bad.add(where, `DOB '${v[dobCol]}' of ${id} has no 4-digit year: fix it`, id); continue; }
      extra.AGE = String(DLMI_REFERENCE_YEAR - year);
    }
    const dir = IMAGE_DIRS.map((d) => path.join(base, d, id)).find((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
    if (!dir) { bad.add(where, `patient ${id} has no image folder (looked for ${IMAGE_DIRS.map((d) => `${d}/${id}/`).join(' and ')} under ${base}): restore it or delete the row`, id); continue; }
    const files = fs.readdirSync(dir).filter(isImageName).sort();
    if (files.length === 0) { bad.add(dir, `patient ${id}'s folder holds no images (.jpg, .png, ...): restore them or delete the row`, id); continue; }
    for (const f of files) {
      items.push({ id: `${id}/${f.replace(IMAGE_EXT, '')}`, path: path.join(dir, f), label, group: id, extra, source: `${where} (${path.join(path.basename(dir), f)})` });
    }
  }
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { format: 'dlmi', root: base, classes, items, unlabelled };
}
