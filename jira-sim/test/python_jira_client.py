#!/usr/bin/python3
"""Drives jira-sim with Debian's python3-jira, an independent client with an independent
OAuth 1.0a signer (oauthlib): the OAuth dance with an RSA key, then one step per API call.

Input: one JSON object on stdin:
  {"server": url, "consumer_key": str, "private_key": pem, "wrong_private_key": pem?,
   "approver": [login, password], "steps": ["server_info", "myself", ...]}
Output: one JSON object per line on stdout: {"step": name, "ok": bool, "result"|"error": ...}.

To add a call, add a function to STEPS: it gets the JIRA client and a dict shared between
steps (to pass e.g. a created issue key on), and returns something JSON can encode.
"""
import io
import json
import re
import sys
import traceback

import requests
from jira import JIRA, JIRAError
from oauthlib.oauth1 import SIGNATURE_RSA
from requests_oauthlib import OAuth1Session


def emit(step, ok, **fields):
    print(json.dumps({"step": step, "ok": ok, **fields}), flush=True)


def oauth_dance(config):
    server = config["server"]
    consumer_key = config["consumer_key"]
    private_key = config["private_key"]
    servlet = server + "/plugins/servlet/oauth"
    session = OAuth1Session(
        consumer_key,
        signature_method=SIGNATURE_RSA,
        rsa_key=private_key,
        signature_type="auth_header",
        callback_uri="oob",
    )
    request_token = session.fetch_request_token(servlet + "/request-token")
    # Approve on the authorize page by HTTP, signed in with Basic auth, as a browser would post it.
    page = requests.post(
        servlet + "/authorize",
        data={"oauth_token": request_token["oauth_token"], "approve": "Allow"},
        auth=tuple(config.get("approver", ["admin", "admin"])),
        timeout=30,
    )
    page.raise_for_status()
    found = re.search(r"verification code is '(?:<[^>]+>)?([^<']+)", page.text)
    if not found:
        raise RuntimeError("no verification code on the authorize page")
    session = OAuth1Session(
        consumer_key,
        signature_method=SIGNATURE_RSA,
        rsa_key=private_key,
        signature_type="auth_header",
        resource_owner_key=request_token["oauth_token"],
        resource_owner_secret=request_token["oauth_token_secret"],
        verifier=found.group(1),
    )
    access = session.fetch_access_token(servlet + "/access-token")
    return access


def client(config, access, key):
    return JIRA(
        server=config["server"],
        oauth={
            "access_token": access["oauth_token"],
            "access_token_secret": access["oauth_token_secret"],
            "consumer_key": config["consumer_key"],
            "key_cert": key,
        },
        options={"check_update": False},
        max_retries=0,
    )


def step_server_info(jira, state):
    info = jira.server_info()
    return {key: info.get(key) for key in ("deploymentType", "version", "versionNumbers", "baseUrl")}


def step_myself(jira, state):
    me = jira.myself()
    return {key: me.get(key) for key in ("name", "key", "accountId", "displayName")}


def step_projects(jira, state):
    return {"keys": [project.key for project in jira.projects()]}


def step_project_versions(jira, state):
    versions = jira.project_versions("DEMO")
    return {"names": [version.name for version in versions], "released": [version.released for version in versions]}


def step_create_issue(jira, state):
    # Project by key and issue type by name: python-jira resolves both through the REST API.
    task = jira.create_issue(
        project="DEMO", summary="Filed by python-jira", description="From the OAuth client", issuetype={"name": "Task"}
    )
    bug = jira.create_issue(
        fields={
            "project": {"key": "DEMO"},
            "issuetype": {"name": "Bug"},
            "summary": "A defect",
            "description": "Bug requires a description on its create screen",
            "labels": ["python"],
        }
    )
    state["issue"] = task.key
    state["bug"] = bug.key
    return {"task": task.key, "bug": bug.key, "bug_labels": bug.fields.labels}


def step_issue(jira, state):
    issue = jira.issue(state["issue"])
    return {
        "key": issue.key,
        "id": issue.id,
        "summary": issue.fields.summary,
        "status": issue.fields.status.name,
        "issuetype": issue.fields.issuetype.name,
        "reporter": issue.fields.reporter.name,
    }


def step_search_issues(jira, state):
    found = jira.search_issues("project = DEMO AND issuetype = Bug ORDER BY key ASC", maxResults=10)
    keys = [issue.key for issue in found]
    everything = jira.search_issues("project = DEMO ORDER BY key ASC", maxResults=False, fields="summary")
    return {"total": found.total, "keys": keys, "all_count": len(everything)}


def step_transition_issue(jira, state):
    names = [transition["name"] for transition in jira.transitions(state["issue"])]
    jira.transition_issue(state["issue"], "In Progress")
    jira.transition_issue(state["issue"], "Done", comment="Closed by python-jira")
    issue = jira.issue(state["issue"])
    return {"available": names, "status": issue.fields.status.name, "resolution": issue.fields.resolution.name}


def step_add_comment(jira, state):
    comment = jira.add_comment(state["issue"], "A comment from python-jira")
    comments = jira.comments(state["issue"])
    return {"id": comment.id, "body": comment.body, "count": len(comments)}


def step_add_attachment(jira, state):
    attachment = jira.add_attachment(state["issue"], io.BytesIO(b"python-jira attachment\n"), filename="run.log")
    issue = jira.issue(state["issue"])
    return {
        "filename": attachment.filename,
        "size": attachment.size,
        "content": attachment.get().decode("utf-8"),
        "on_issue": [a.filename for a in issue.fields.attachment],
    }


def step_create_issue_link(jira, state):
    response = jira.create_issue_link("blocks", state["issue"], state["bug"])
    issue = jira.issue(state["issue"])
    links = [
        {"type": link.type.name, "outward": getattr(getattr(link, "outwardIssue", None), "key", None)}
        for link in issue.fields.issuelinks
    ]
    return {"status": response.status_code, "links": links}


STEPS = {
    "server_info": step_server_info,
    "myself": step_myself,
    "projects": step_projects,
    "project_versions": step_project_versions,
    "create_issue": step_create_issue,
    "issue": step_issue,
    "search_issues": step_search_issues,
    "transition_issue": step_transition_issue,
    "add_comment": step_add_comment,
    "add_attachment": step_add_attachment,
    "create_issue_link": step_create_issue_link,
}


def main():
    config = json.load(sys.stdin)
    try:
        access = oauth_dance(config)
    except Exception as error:  # report, do not crash: the test reads the JSON
        emit("oauth_dance", False, error=f"{type(error).__name__}: {error}")
        return 1
    emit(
        "oauth_dance",
        True,
        result={
            "oauth_expires_in": access.get("oauth_expires_in"),
            "oauth_authorization_expires_in": access.get("oauth_authorization_expires_in"),
            "has_session_handle": bool(access.get("oauth_session_handle")),
        },
    )

    try:
        jira = client(config, access, config["private_key"])
        emit("construct", True, result={"deploymentType": jira.deploymentType})
    except Exception as error:
        emit("construct", False, error=f"{type(error).__name__}: {error}")
        return 1

    state = {}
    failures = 0
    for name in config.get("steps", list(STEPS)):
        step = STEPS.get(name)
        if step is None:
            emit(name, False, error="unknown step")
            failures += 1
            continue
        try:
            emit(name, True, result=step(jira, state))
        except JIRAError as error:
            emit(name, False, error=f"JIRAError {error.status_code}: {error.text}")
            failures += 1
        except Exception as error:
            emit(name, False, error=f"{type(error).__name__}: {error}", trace=traceback.format_exc(limit=3))
            failures += 1

    if config.get("wrong_private_key"):
        try:
            wrong = JIRA(
                server=config["server"],
                oauth={
                    "access_token": access["oauth_token"],
                    "access_token_secret": access["oauth_token_secret"],
                    "consumer_key": config["consumer_key"],
                    "key_cert": config["wrong_private_key"],
                },
                options={"check_update": False},
                get_server_info=False,
                max_retries=0,
            )
            wrong.myself()
            emit("wrong_key", False, error="a request signed with the wrong key was accepted")
            failures += 1
        except JIRAError as error:
            emit("wrong_key", True, result={"status": error.status_code, "text": error.text or ""})
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
