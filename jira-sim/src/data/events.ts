/** Changes the data side announces; the webhook hub turns them into Jira's payloads. */
import type { SimUser } from '../context.js';
import type { ChangeGroup, Comment, Issue, IssueLink, Project, Version } from './model.js';

export type IssueEventName = 'jira:issue_created' | 'jira:issue_updated' | 'jira:issue_deleted';
export type CommentEventName = 'comment_created' | 'comment_updated' | 'comment_deleted';
export type VersionEventName =
  | 'jira:version_created'
  | 'jira:version_updated'
  | 'jira:version_released'
  | 'jira:version_unreleased'
  | 'jira:version_moved'
  | 'jira:version_deleted';
export type ProjectEventName = 'project_created' | 'project_updated' | 'project_deleted';
export type LinkEventName = 'issuelink_created' | 'issuelink_deleted';

export type SimEvent =
  | {
      kind: 'issue';
      name: IssueEventName;
      issueEventTypeName: string;
      issue: Issue;
      changelog?: ChangeGroup;
      comment?: Comment;
      user: SimUser | undefined;
    }
  | { kind: 'comment'; name: CommentEventName; issue: Issue; comment: Comment; user: SimUser | undefined }
  | {
      kind: 'version';
      name: VersionEventName;
      version: Version;
      mergedTo?: Version;
      user: SimUser | undefined;
    }
  | { kind: 'project'; name: ProjectEventName; project: Project; user: SimUser | undefined }
  | { kind: 'issuelink'; name: LinkEventName; link: IssueLink; user: SimUser | undefined };

export const ALL_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'comment_created',
  'comment_updated',
  'comment_deleted',
  'jira:version_created',
  'jira:version_updated',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_moved',
  'jira:version_deleted',
  'project_created',
  'project_updated',
  'project_deleted',
  'issuelink_created',
  'issuelink_deleted',
] as const;

export type EventSink = { emit(event: SimEvent): void };
