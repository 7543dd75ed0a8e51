import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import { importSchema } from '../../../../src/modules/imports/imports.schema.js';
import { ApiError, type Problem } from '../../lib/api.js';
import type { ImportView } from './import-queries.js';

export interface UploadProgress {
  loaded: number;
  total: number;
}

function asProblem(v: unknown): Problem | null {
  return typeof v === 'object' && v !== null && 'status' in v && 'title' in v && 'code' in v ? (v as Problem) : null;
}

/**
 * Sends the file as the raw request body (the server streams it to disk as it arrives). This is
 * XMLHttpRequest rather than fetch because only XHR reports upload progress.
 */
export function uploadImportFile(
  file: File,
  object: ObjectName,
  csrfToken: string,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<ImportView> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const qs = new URLSearchParams({ object, fileName: file.name || 'upload.csv' });
    xhr.open('POST', `/api/v1/imports?${qs.toString()}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onerror = () =>
      reject(
        new ApiError({
          title: 'Cannot reach the server',
          status: 0,
          code: 'network_error',
          detail: 'Check your connection and try again.',
        }),
      );
    xhr.onabort = () => reject(new ApiError({ title: 'Upload cancelled', status: 0, code: 'aborted' }));
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const parsed = importSchema.safeParse(json);
        if (parsed.success) resolve(parsed.data);
        else reject(new ApiError({ title: 'Unexpected answer from the server', status: xhr.status, code: 'bad_response' }));
        return;
      }
      reject(
        new ApiError(
          asProblem(json) ?? {
            title: xhr.statusText || 'Upload failed',
            status: xhr.status,
            code: 'http_error',
            detail: `The server answered ${xhr.status}.`,
          },
        ),
      );
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Refuses files that are clearly not CSV before sending them, with what to do instead. */
export function precheckFile(file: File): string | null {
  const name = file.name.toLowerCase();
  if (file.size === 0) return 'The file is empty. Export it again from your CRM or spreadsheet, with its header row.';
  if (/\.(xlsx|xlsm|xls|numbers|ods)$/.test(name))
    return 'This is a spreadsheet workbook, not a CSV file. Save it as CSV (in Excel: File › Save as › CSV UTF-8) and upload that.';
  if (/\.(zip|gz|pdf|docx?|png|jpe?g)$/.test(name)) return 'Keel imports CSV files. Export the data as CSV and upload that.';
  return null;
}
