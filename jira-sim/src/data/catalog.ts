/**
 * Jira's fixed vocabularies as this simulator configures them. Ids follow a stock Jira
 * Server (Bug 1, Task 3, Sub-task 5) and the captured webhook fixtures (To Do 10001,
 * In Progress 3, Done 10002, resolution Done 10000), so payloads look familiar.
 */
export type IssueTypeDef = {
  id: string;
  name: string;
  description: string;
  subtask: boolean;
  hierarchyLevel: number;
  avatarId: number;
  /** Fields (besides project, issuetype, summary) that the create screen requires. */
  requiredFields: string[];
};

export const ISSUE_TYPES: IssueTypeDef[] = [
  {
    id: '10000',
    name: 'Epic',
    description: 'A big user story that needs to be broken down.',
    subtask: false,
    hierarchyLevel: 1,
    avatarId: 10307,
    requiredFields: [],
  },
  {
    id: '10001',
    name: 'Story',
    description: 'Stories track functionality or features expressed as user goals.',
    subtask: false,
    hierarchyLevel: 0,
    avatarId: 10315,
    requiredFields: [],
  },
  {
    id: '3',
    name: 'Task',
    description: 'A task that needs to be done.',
    subtask: false,
    hierarchyLevel: 0,
    avatarId: 10318,
    requiredFields: [],
  },
  {
    id: '1',
    name: 'Bug',
    description: 'A problem which impairs or prevents the functions of the product.',
    subtask: false,
    hierarchyLevel: 0,
    avatarId: 10303,
    // Defect forms are createmeta-driven: a type with an extra required field proves it.
    requiredFields: ['description'],
  },
  {
    id: '5',
    name: 'Sub-task',
    description: 'The sub-task of the issue',
    subtask: true,
    hierarchyLevel: -1,
    avatarId: 10316,
    requiredFields: ['parent'],
  },
];

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';
export type StatusDef = { id: string; name: string; description: string; category: StatusCategoryKey };

export const STATUSES: StatusDef[] = [
  { id: '10001', name: 'To Do', description: '', category: 'new' },
  {
    id: '3',
    name: 'In Progress',
    description: 'This issue is being actively worked on at the moment by the assignee.',
    category: 'indeterminate',
  },
  { id: '10002', name: 'Done', description: '', category: 'done' },
];

export const STATUS_CATEGORIES: Record<StatusCategoryKey, { id: number; colorName: string; name: string }> = {
  new: { id: 2, colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, colorName: 'green', name: 'Done' },
};

export type TransitionDef = { id: string; name: string; to: string };

/** Jira's simplified workflow: every status can move to every other one. */
export const TRANSITIONS: TransitionDef[] = [
  { id: '11', name: 'To Do', to: '10001' },
  { id: '21', name: 'In Progress', to: '3' },
  { id: '31', name: 'Done', to: '10002' },
];

export const PRIORITIES = [
  { id: '1', name: 'Highest', icon: 'highest' },
  { id: '2', name: 'High', icon: 'high' },
  { id: '3', name: 'Medium', icon: 'medium' },
  { id: '4', name: 'Low', icon: 'low' },
  { id: '5', name: 'Lowest', icon: 'lowest' },
];
export const DEFAULT_PRIORITY_ID = '3';

export const RESOLUTIONS = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: 'This issue won\u2019t be actioned.' },
  { id: '10002', name: 'Duplicate', description: 'The problem is a duplicate of an existing issue.' },
];

export const LINK_TYPES = [
  { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  { id: '10001', name: 'Cloners', inward: 'is cloned by', outward: 'clones' },
  { id: '10002', name: 'Duplicate', inward: 'is duplicated by', outward: 'duplicates' },
  { id: '10003', name: 'Relates', inward: 'relates to', outward: 'relates to' },
];

export const findIssueType = (idOrName: string) =>
  ISSUE_TYPES.find((t) => t.id === idOrName || t.name.toLowerCase() === idOrName.toLowerCase());
export const findStatus = (idOrName: string) =>
  STATUSES.find((s) => s.id === idOrName || s.name.toLowerCase() === idOrName.toLowerCase());
export const findPriority = (idOrName: string) =>
  PRIORITIES.find((p) => p.id === idOrName || p.name.toLowerCase() === idOrName.toLowerCase());
export const findResolution = (idOrName: string) =>
  RESOLUTIONS.find((r) => r.id === idOrName || r.name.toLowerCase() === idOrName.toLowerCase());
