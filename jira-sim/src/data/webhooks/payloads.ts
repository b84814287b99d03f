/**
 * Jira's webhook bodies, built from the same renderer as the REST API. Shapes follow the
 * captured deliveries in /work/shared/fixtures/jira-webhooks (checked by payloads.test.ts).
 */
import { LINK_TYPES } from '../catalog.js';
import type { SimEvent } from '../events.js';
import type { JsonObject, Renderer } from '../render.js';

export function buildPayload(event: SimEvent, render: Renderer, timestamp: number): JsonObject {
  const base: JsonObject = { timestamp, webhookEvent: event.name };
  switch (event.kind) {
    case 'issue': {
      const out: JsonObject = {
        ...base,
        issue_event_type_name: event.issueEventTypeName,
        user: render.user(event.user),
        issue: withoutExpand(render.issue(event.issue)),
      };
      if (event.changelog)
        out.changelog = { id: event.changelog.id, items: event.changelog.items.map((i) => ({ ...i })) };
      if (event.comment) out.comment = render.comment(event.comment);
      return out;
    }
    case 'comment': {
      // Comment events carry a trimmed issue, as Jira Cloud sends it.
      const full = render.issue(event.issue, {
        fields: ['summary', 'issuetype', 'project', 'assignee', 'priority', 'status'],
      });
      return { ...base, comment: render.comment(event.comment), issue: withoutExpand(full) };
    }
    case 'version': {
      const out: JsonObject = { ...base, version: render.version(event.version) };
      if (event.mergedTo) out.mergedTo = render.version(event.mergedTo);
      return out;
    }
    case 'project': {
      const p = event.project;
      return {
        ...base,
        project: {
          self: `${render.api}/project/${p.id}`,
          id: Number(p.id),
          key: p.key,
          name: p.name,
          avatarUrls: render.avatarUrls('project', p.id),
          projectLead: render.userByKey(p.leadKey),
          assigneeType: 'unassigned',
        },
      };
    }
    case 'issuelink': {
      const link = event.link;
      const type = LINK_TYPES.find((t) => t.id === link.typeId)!;
      return {
        ...base,
        issueLink: {
          id: Number(link.id),
          sourceIssueId: Number(link.inwardId),
          destinationIssueId: Number(link.outwardId),
          issueLinkType: {
            id: Number(type.id),
            name: type.name,
            outwardName: type.outward,
            inwardName: type.inward,
            isSubTaskLinkType: false,
            isSystemLinkType: false,
          },
          systemLink: false,
        },
      };
    }
  }
}

function withoutExpand(issue: JsonObject): JsonObject {
  const { expand: _expand, ...rest } = issue;
  return rest;
}
