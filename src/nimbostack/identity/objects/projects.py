"""Projects: the hierarchy (children, subtrees) and tag rules."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.params import shown
from nimbostack.core.api.schema import CONTROL_CHARS, has_control_chars
from nimbostack.core.errors import BadRequest
from nimbostack.identity.db.extension_models import Credential
from nimbostack.identity.db.models import ApplicationCredential, Assignment, Project

MAX_TAGS = 80
# Keystone's rules (1 to 255 characters, no "/" or ","), and printable.
TAG = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"^[^,/{CONTROL_CHARS}]*$"}
TAGS = {"type": "array", "items": TAG, "maxItems": MAX_TAGS, "uniqueItems": True}


async def children_map(session: AsyncSession) -> dict[str, list[str]]:
    """parent id → child project ids, over every project (one query)."""
    result: dict[str, list[str]] = {}
    rows = await session.execute(select(Project.id, Project.parent_id, Project.domain_id))
    for project_id, parent_id, domain_id in rows:
        result.setdefault(parent_id or domain_id, []).append(project_id)
    return result


def descendants(tree: dict[str, list[str]], root: str) -> list[str]:
    """Every project below ``root`` (a project or a domain), not ``root`` itself."""
    found: list[str] = []
    stack = list(tree.get(root, []))
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(tree.get(current, []))
    return found


async def has_children(session: AsyncSession, project_id: str) -> bool:
    return bool(await session.scalar(select(Project.id).where(Project.parent_id == project_id)))


async def delete_project(session: AsyncSession, project: Project) -> None:
    """Delete a leaf project with its grants and the (application) credentials on it."""
    await session.execute(delete(Assignment).where(Assignment.target_id == project.id))
    await session.execute(delete(Credential).where(Credential.project_id == project.id))
    await session.execute(
        delete(ApplicationCredential).where(ApplicationCredential.project_id == project.id)
    )
    await session.delete(project)


def check_tag(tag: str) -> None:
    if not tag or len(tag) > 255 or "/" in tag or "," in tag or has_control_chars(tag):
        raise BadRequest(
            f"Invalid input for field 'tags': {shown(tag)} must be 1 to 255 printable "
            "characters without '/' or ','"
        )


def matches_tags(tags: list[str], query: dict[str, str]) -> bool:
    """Keystone's tag filters: tags (all), tags-any, not-tags (not all), not-tags-any."""
    have = set(tags)

    def wanted(key: str) -> set[str] | None:
        raw = query.get(key)
        return None if raw is None else {t for t in raw.split(",") if t}

    checks = (
        ("tags", lambda w: w <= have),
        ("tags-any", lambda w: bool(w & have)),
        ("not-tags", lambda w: not w <= have),
        ("not-tags-any", lambda w: not w & have),
    )
    for key, check in checks:
        want = wanted(key)
        if want is not None and not check(want):
            return False
    return True
