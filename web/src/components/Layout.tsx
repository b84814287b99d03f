import type { ReactNode } from 'react';
import type { User } from '../api.js';
import { Link, usePath } from '../router.js';

type NavItem = { to: string; label: string };

const NAV: { heading?: string; adminOnly?: boolean; items: NavItem[] }[] = [
  {
    items: [
      { to: '/', label: 'Dashboard' },
      { to: '/projects', label: 'Projects' },
    ],
  },
  {
    heading: 'Administration',
    adminOnly: true,
    items: [
      { to: '/admin/jira', label: 'Jira Integration' },
      { to: '/admin/keys', label: 'Key generator' },
    ],
  },
];

function isCurrent(path: string, to: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

export function Layout({
  user,
  onSignOut,
  children,
}: {
  user: User;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const path = usePath();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Testbridge
        </Link>
        <div className="topbar-user">
          <span className="muted" title="Signed in">
            {user.username}
          </span>
          <button type="button" className="button button-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        {/* The server refuses these pages' APIs to testers; do not offer them dead ends. */}
        {NAV.filter((group) => !group.adminOnly || user.role === 'admin').map((group) => (
          <div className="nav-group" key={group.heading ?? group.items[0]?.to}>
            {group.heading ? <p className="nav-heading">{group.heading}</p> : null}
            <ul>
              {group.items.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={isCurrent(path, item.to) ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main className="content" id="main">
        {children}
      </main>
    </div>
  );
}
