import type { ReactNode } from 'react';
import { JiraInstancePage } from './pages/JiraInstance.js';
import { JiraWizard } from './pages/JiraWizard.js';
import { ProjectDetailPage } from './pages/ProjectDetail.js';

/** The Jira integration screens' paths (the wizard, an instance, a project), or null. */
export function jiraRoute(path: string): ReactNode | null {
  const clean = path.replace(/\/+$/, '');
  if (clean === '/admin/jira/new') return <JiraWizard />;
  const instance = /^\/admin\/jira\/instances\/([^/]+)$/.exec(clean);
  if (instance?.[1]) return <JiraInstancePage key={instance[1]} id={decodeURIComponent(instance[1])} />;
  const project = /^\/projects\/([^/]+)$/.exec(clean);
  if (project?.[1]) return <ProjectDetailPage key={project[1]} id={decodeURIComponent(project[1])} />;
  return null;
}
