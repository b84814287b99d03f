/**
 * REST for filing defects from failed executions: the execution's uploaded logs and
 * screenshots, the createmeta-driven form, and the filing itself (Idempotency-Key header).
 * Testers and admins alike may file: it is the everyday job of whoever ran the test.
 */
import { bodyLimit } from 'hono/body-limit';
import { requireUser } from '../../accounts/middleware.js';
import { AppError } from '../../errors.js';
import {
  addExecutionAttachments,
  assignableUsers,
  type AttachmentUpload,
  defectFilingInputSchema,
  defectForm,
  type FilingOptions,
  fileDefect,
  listDefectFilings,
  listExecutionAttachments,
  MAX_EXECUTION_ATTACHMENT_BYTES,
} from '../../tm/defects-filing.js';
import { readJson } from '../json.js';
import type { RouteRegistrar } from '../types.js';

const EXAMPLE = '{"fields": {"priority": "High"}, "assignee": "developer", "transition": "In Progress"}';

export function defectsFilingRoutes(options: FilingOptions = {}): RouteRegistrar {
  return (app, deps) => {
    const db = deps.store.db;
    app.use('/api/executions/*', requireUser);

    app.get('/api/executions/:id/attachments', async (c) =>
      c.json({ attachments: await listExecutionAttachments(db, c.req.param('id')) }),
    );
    app.post(
      '/api/executions/:id/attachments',
      // Refuse oversized uploads while they stream in, not after buffering them.
      bodyLimit({
        maxSize: MAX_EXECUTION_ATTACHMENT_BYTES + 64 * 1024,
        onError: () => {
          throw new AppError('attachment_too_large', 'The upload is larger than an execution may keep.', {
            status: 413,
            hint: `Upload at most ${MAX_EXECUTION_ATTACHMENT_BYTES / 1024 / 1024} MiB per execution; compress or trim large logs.`,
          });
        },
      }),
      async (c) => {
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
          throw new AppError('attachment_not_multipart', 'Attachments must be sent as multipart/form-data.', {
            status: 415,
            hint: 'Send the files as multipart/form-data parts named "file" (curl -F file=@log.txt).',
          });
        }
        let form: Record<string, unknown>;
        try {
          form = await c.req.parseBody({ all: true });
        } catch (e) {
          if (e instanceof AppError) throw e;
          throw new AppError('attachment_unreadable', 'The multipart body could not be read.', {
            hint: 'Send the files again as multipart/form-data parts named "file".',
          });
        }
        const raw = form.file;
        const parts = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
          (p): p is File => p instanceof File,
        );
        const files: AttachmentUpload[] = [];
        for (const p of parts)
          files.push({
            filename: p.name,
            contentType: p.type,
            content: new Uint8Array(await p.arrayBuffer()),
          });
        return c.json({ attachments: await addExecutionAttachments(db, c.req.param('id'), files) }, 201);
      },
    );

    app.get('/api/executions/:id/defect-form', async (c) => {
      const issueType = c.req.query('issueType');
      return c.json(
        await defectForm(
          deps,
          c.req.param('id'),
          issueType ? { issueType: issueType.slice(0, 200) } : {},
          options,
        ),
      );
    });
    app.get('/api/executions/:id/assignable-users', async (c) =>
      c.json({
        users: await assignableUsers(
          deps,
          c.req.param('id'),
          (c.req.query('q') ?? '').slice(0, 100),
          options,
        ),
      }),
    );
    app.get('/api/executions/:id/defects', async (c) =>
      c.json({ filings: await listDefectFilings(deps, c.req.param('id')) }),
    );
    app.post('/api/executions/:id/defects', async (c) => {
      const key = c.req.header('idempotency-key') ?? '';
      const input = await readJson(c, defectFilingInputSchema, EXAMPLE);
      const user = c.get('user');
      if (!user) throw new AppError('unauthenticated', 'Sign in first.', { status: 401 });
      const { view, created } = await fileDefect(
        deps,
        { executionId: c.req.param('id'), idempotencyKey: key, input, userId: user.id },
        options,
      );
      if (view.replayed) c.header('idempotent-replayed', 'true');
      return c.json(view, created ? 201 : 200);
    });
  };
}
